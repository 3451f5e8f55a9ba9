"""In real Chromium, with and without JavaScript: a moderator goes through the queue by keyboard
(j and k between comments, a, r and s on the one with the focus), or, without the script, with
each comment's buttons and the bulk action. No request leaves the site; nothing breaks the
Content-Security-Policy."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import Page, expect

from undersigned.comments.models import Comment
from undersigned.conftest import _client_for
from undersigned.dashboard.tests.test_comments import QUEUE, make_comment
from undersigned.statements.models import Statement
from undersigned.statements.tests import test_browser
from undersigned.statements.tests.test_browser import Chromium

pytestmark = pytest.mark.browser
State = Comment.State

# The signing tests' browser fixtures, shared.
site = test_browser.site
chromium = test_browser.chromium


def _logged_in(chromium: Chromium, site: str, user: User, *, javascript: bool) -> Page:
    page = chromium.new_page(javascript=javascript)
    client = _client_for(user)
    page.context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": site}]
    )
    return page


def _states(*comments: Comment) -> list[str]:
    for comment in comments:
        comment.refresh_from_db()
    return [str(comment.state) for comment in comments]


def _focused(page: Page) -> str:
    return str(page.evaluate("document.activeElement.id"))


def test_a_moderator_goes_through_the_queue_by_keyboard(
    chromium: Chromium, site: str, statement: Statement, member: User
) -> None:
    first, second, third = (make_comment(statement) for _ in range(3))
    page = _logged_in(chromium, site, member, javascript=True)
    page.goto(QUEUE)
    expect(page.locator("[data-comment-keys-help]")).to_be_visible()
    page.keyboard.press("j")
    assert _focused(page) == f"comment-{first.pk}"
    page.keyboard.press("j")
    page.keyboard.press("j")
    page.keyboard.press("j")
    assert _focused(page) == f"comment-{third.pk}"
    page.keyboard.press("k")
    assert _focused(page) == f"comment-{second.pk}"
    with page.expect_navigation():
        page.keyboard.press("a")
    expect(page.locator(".messages")).to_contain_text("1 comment approved")
    assert _states(first, second, third) == [State.HELD, State.PUBLISHED, State.HELD]
    page.keyboard.press("j")
    with page.expect_navigation():
        page.keyboard.press("s")
    page.keyboard.press("j")
    with page.expect_navigation():
        page.keyboard.press("r")
    assert _states(first, second, third) == [State.SPAM, State.PUBLISHED, State.REJECTED]
    expect(page.locator("main")).to_contain_text("Nothing waits.")
    assert chromium.outside_requests() == []
    assert chromium.csp_violations() == []


def test_keys_typed_into_a_field_are_text(
    chromium: Chromium, site: str, statement: Statement, member: User
) -> None:
    comment = make_comment(statement)
    page = _logged_in(chromium, site, member, javascript=True)
    page.goto(QUEUE)
    page.keyboard.press("j")
    page.get_by_label("Why it waits").focus()
    page.keyboard.press("a")
    page.keyboard.press("r")
    assert _states(comment) == [State.HELD]


def test_select_all_and_the_bulk_action(
    chromium: Chromium, site: str, statement: Statement, member: User
) -> None:
    comments = [make_comment(statement) for _ in range(3)]
    page = _logged_in(chromium, site, member, javascript=True)
    page.goto(QUEUE)
    page.get_by_role("button", name="Select all on this page").click()
    page.get_by_label("With the selected comments").select_option("reject")
    with page.expect_navigation():
        page.get_by_role("button", name="Apply to the selected").click()
    expect(page.locator(".messages")).to_contain_text("3 comments rejected")
    assert _states(*comments) == [State.REJECTED] * 3


def test_without_javascript_every_button_works(
    chromium: Chromium, site: str, statement: Statement, member: User
) -> None:
    first, second, third = (make_comment(statement) for _ in range(3))
    page = _logged_in(chromium, site, member, javascript=False)
    page.goto(QUEUE + "?reason=pre")
    expect(page.locator("[data-comment-keys-help]")).to_be_hidden()
    expect(page.get_by_role("button", name="Select all on this page")).to_be_hidden()
    item = page.locator(f"#comment-{first.pk}")
    with page.expect_navigation():
        item.get_by_role("button", name="Approve", exact=True).click()
    expect(page).to_have_url(site + QUEUE + "?reason=pre")
    expect(page.locator(".messages")).to_contain_text("1 comment approved")
    page.locator(f"#comment-{second.pk}").get_by_role("checkbox").check()
    page.locator(f"#comment-{third.pk}").get_by_role("checkbox").check()
    page.get_by_label("With the selected comments").select_option("spam")
    with page.expect_navigation():
        page.get_by_role("button", name="Apply to the selected").click()
    assert _states(first, second, third) == [State.PUBLISHED, State.SPAM, State.SPAM]
    # Approve and reply, on a page of its own.
    fourth = make_comment(statement, text="¿Y mañana?")
    page.goto(QUEUE)
    with page.expect_navigation():
        page.locator(f"#comment-{fourth.pk}").get_by_role(
            "button", name="Approve and reply"
        ).click()
    page.get_by_label("Your reply").fill("Mañana también.")
    with page.expect_navigation():
        page.get_by_role("button", name="Approve and publish the reply").click()
    expect(page.locator(".messages")).to_contain_text("The comment is approved")
    assert _states(fourth) == [State.PUBLISHED]
    assert Comment.objects.get(by_organisation=True).parent_id == fourth.pk
    assert chromium.outside_requests() == []
