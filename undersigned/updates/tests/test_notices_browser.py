"""A notice in real Chromium without JavaScript: shown at the top, hidden with its button, still
hidden on the next visit, still shown to anyone else."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from undersigned.statements.models import Statement
from undersigned.statements.tests.test_browser import (  # noqa: F401 - fixtures
    Chromium,
    chromium,
    site,
)
from undersigned.updates.models import Notice

pytestmark = pytest.mark.browser


def test_a_notice_shows_and_hides_without_javascript(
    chromium: Chromium,  # noqa: F811
    site: str,  # noqa: F811
    statement: Statement,
) -> None:
    Notice.objects.create(
        statement=statement,
        text="Emergency demonstration Saturday 3 pm",
        link="https://example.org/route",
        link_text="Details and route",
    )
    page = chromium.new_page(javascript=False)
    page.goto("/s/free-them/en/")
    banner = page.get_by_role("complementary", name="Announcement")
    expect(banner).to_contain_text("Emergency demonstration Saturday 3 pm")
    expect(banner.get_by_role("link", name="Details and route")).to_have_attribute(
        "href", "https://example.org/route"
    )
    banner.get_by_role("button", name="Hide this notice").click()
    expect(page).to_have_url(re.compile(r"/s/free-them/en/$"))
    expect(page.get_by_role("complementary", name="Announcement")).to_have_count(0)
    page.reload()
    expect(page.get_by_role("complementary", name="Announcement")).to_have_count(0)
    # Someone else still sees it.
    other = chromium.new_page(javascript=False)
    other.goto("/s/free-them/en/")
    expect(other.get_by_role("complementary", name="Announcement")).to_be_visible()
    assert chromium.outside_requests() == []
    assert chromium.csp_violations() == []
