"""Sources and sharing in real Chromium: the share link's source reaches the count through the
cached page's script, and only through it; a reader shares the statement before signing, with
the source they came by."""

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


@pytest.mark.parametrize("javascript", [True, False])
def test_a_reader_shares_before_signing_with_the_source_they_came_by(
    chromium: Chromium,  # noqa: F811
    site: str,  # noqa: F811
    statement: Statement,
    javascript: bool,
) -> None:
    page = chromium.new_page(javascript=javascript)
    # The browser's share sheet, as a phone's browser has it: what it is given is kept.
    page.add_init_script(
        "navigator.share = (data) => { window.sharedData = data; return Promise.resolve(); };"
    )
    page.goto("/s/free-them/en/")  # the page without a source, cached first
    page.goto("/s/free-them/en/?src=union-newsletter")
    share = page.locator("section.share-statement")
    expect(share.get_by_role("link", name="Bluesky")).to_be_visible()
    assert share.locator("a").evaluate_all("links => links.every(a => !!a.href)")
    link = page.locator("#share-url")
    if not javascript:
        # Plain links and a link to copy; no source (the page is the same for everyone).
        assert link.input_value().endswith("/s/free-them/en/")
        assert share.get_by_role("button").count() == 0
    else:
        assert link.input_value().endswith("/s/free-them/en/?src=union-newsletter")
        share.get_by_role("button", name="Share…").click()
        shared = page.evaluate("window.sharedData")
        assert shared["title"] == statement.versions.get(language="en").title
        assert shared["url"].endswith("/s/free-them/en/?src=union-newsletter")
    # Shown before the sign form is sent: nothing signed yet.
    assert statement.signatures.count() == 0
    assert chromium.outside_requests() == []
    assert chromium.csp_violations() == []
