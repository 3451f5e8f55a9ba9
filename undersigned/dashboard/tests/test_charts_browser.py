"""Sources in real Chromium: the share link's source reaches the count through the cached
page's script, and only through it."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from undersigned.jobs.queue import drain
from undersigned.statements.models import Source, SourceCount, Statement
from undersigned.statements.tests.test_browser import (  # noqa: F401 - fixtures
    Chromium,
    chromium,
    fill_sign_form,
    site,
)

pytestmark = pytest.mark.browser


@pytest.mark.parametrize(("javascript", "counted"), [(True, 1), (False, 0)])
def test_a_share_links_source_is_counted_when_the_page_runs_its_script(
    chromium: Chromium,  # noqa: F811
    site: str,  # noqa: F811
    statement: Statement,
    javascript: bool,
    counted: int,
) -> None:
    Source.objects.create(statement=statement, code="union-newsletter")
    page = chromium.new_page(javascript=javascript)
    # Another reader's visit puts the page without a source in the cache first.
    page.goto("/s/free-them/en/")
    page.goto("/s/free-them/en/?src=union-newsletter")
    fill_sign_form(page, name="Ana García", email="ana@example.net", display="full")
    expect(page).to_have_url(re.compile(r"/s/free-them/en/check-email/$"))
    drain()  # the worker counts a new signature's source
    assert sum(SourceCount.objects.values_list("count", flat=True)) == counted
    assert chromium.outside_requests() == []
    assert chromium.csp_violations() == []
