"""In real Chromium: two people follow a statement's updates from the same cached page, one of
them without JavaScript, and each confirms from the email that crossed a real SMTP server."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from undersigned.conftest import SmtpSink, text_body
from undersigned.jobs.queue import drain
from undersigned.statements.models import Statement
from undersigned.statements.tests import test_browser
from undersigned.statements.tests.test_browser import Chromium, subject_of
from undersigned.updates.models import Follower

pytestmark = pytest.mark.browser

# The signing tests' browser fixtures, shared.
site = test_browser.site
chromium = test_browser.chromium


def _follow(page: Page, email: str, language: str) -> str:
    """Follow from the statement page; return the page's form token."""
    response = page.goto("/s/free-them/en/")
    assert response is not None and response.status == 200
    assert response.headers["cache-control"].startswith("public")
    form = page.locator("#follow form")
    token = form.locator("input[name=form_token]").get_attribute("value")
    assert token
    form.get_by_role("textbox", name="Email address").fill(email)
    form.get_by_label("Language of the updates").select_option(language)
    form.get_by_role("checkbox").check()
    with page.expect_navigation():
        form.get_by_role("button", name="Follow").click()
    expect(page).to_have_url(re.compile(r"/s/free-them/en/follow/check-email/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your email")
    return token


def test_two_people_follow_from_the_cached_page_and_confirm_by_email(
    chromium: Chromium,
    site: str,
    statement: Statement,
    smtp_server: SmtpSink,
    still_page_store: float,
) -> None:
    # The page store's clock stands still: the second person surely gets the stored page.
    first = chromium.new_page()
    second = chromium.new_page(javascript=False)
    token = _follow(first, "ana@example.net", "es")
    # The same bytes, token and all, for someone else: nothing in them is the first's.
    assert _follow(second, "bo@example.org", "en") == token
    assert not first.context.cookies() and not second.context.cookies()

    assert drain() == 2
    links = {}
    for message in smtp_server.messages:
        found = re.search(
            re.escape(site) + r"/s/free-them/follow/confirm/[-\w]+/", text_body(message)
        )
        assert found is not None
        links[message["To"]] = found.group()
    subjects = {message["To"]: subject_of(message) for message in smtp_server.messages}
    assert "Libertad para ellos" in subjects["ana@example.net"]
    assert "Free them" in subjects["bo@example.org"]

    words = {
        "ana@example.net": ("Confirmar: quiero recibir las novedades", "Sigues las novedades"),
        "bo@example.org": ("Confirm: send me the updates", "You are following the updates"),
    }
    for page, address in ((first, "ana@example.net"), (second, "bo@example.org")):
        confirm, following = words[address]
        page.goto(links[address])
        # Each in the language they chose.
        button = page.get_by_role("button", name=confirm)
        expect(button).to_be_visible()
        # Opening the link confirms nothing (mail scanners open links).
        assert Follower.objects.get(email=address).confirmed_at is None
        button.click()
        expect(page).to_have_url(re.compile(r"/s/free-them/(en|es)/follow/confirmed/$"))
        expect(page.get_by_role("heading", level=1)).to_have_text(following)
        assert Follower.objects.get(email=address).confirmed_at is not None
    assert chromium.outside_requests() == []
    assert chromium.csp_violations() == []
