"""Comments in real Chromium, with and without JavaScript: a visitor comments in Spanish,
confirms from the email, the comment waits, is approved and shows on both language versions
with its language label; without the script it is held before any email; a hostile comment is
inert; nothing is loaded from elsewhere and the page's policy is never broken."""

from __future__ import annotations

import re

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from undersigned.comments import moderation
from undersigned.comments.models import Comment
from undersigned.conftest import SmtpSink, text_body
from undersigned.jobs.queue import drain
from undersigned.public.tests.test_comments import published
from undersigned.statements.models import Statement
from undersigned.statements.tests.test_browser import (  # noqa: F401 - fixtures
    Chromium,
    chromium,
    site,
)

pytestmark = pytest.mark.browser


def _fill(tab: Page, *, name: str, email: str, text: str) -> None:
    """Fill in and send the comment form of the page open in `tab`."""
    form = tab.locator("form.comment-form")
    form.locator("input[name=name]").fill(name)
    form.locator("input[name=email]").fill(email)
    form.locator("textarea[name=text]").fill(text)
    form.locator("input[name=consent]").check()
    # With the script, the proof of work comes first, then the form goes: wait for it.
    with tab.expect_navigation():
        form.locator("button[type=submit]").click()


def _links(smtp_server: SmtpSink, base: str) -> tuple[str, str]:
    already = len(smtp_server.messages)
    assert drain() == 1
    (message,) = smtp_server.messages[already:]
    body = text_body(message)
    confirm = re.search(re.escape(base) + r"/c/confirm/[-\w]+/", body)
    manage = re.search(re.escape(base) + r"/c/manage/[-\w]+/", body)
    assert confirm and manage, body
    return confirm.group(), manage.group()


def test_a_visitor_comments_in_spanish_and_it_shows_on_both_versions_once_approved(
    chromium: Chromium,  # noqa: F811
    site: str,  # noqa: F811
    statement: Statement,
    smtp_server: SmtpSink,
) -> None:
    page = chromium.new_page()
    page.goto("/s/free-them/es/comments/")
    _fill(page, name="Rosa Quispe", email="rosa@example.net", text="¡Estamos con ustedes!")
    expect(page).to_have_url(re.compile(r"/s/free-them/es/comments/sent/$"))
    expect(page.locator("html")).to_have_attribute("lang", "es")
    comment = Comment.objects.get()
    # The browser did its proof of work: nothing holds the form.
    assert (comment.state, comment.reasons, comment.language) == ("unconfirmed", "", "es")

    confirm, _manage = _links(smtp_server, site)
    page.goto(confirm)
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    comment.refresh_from_db()
    assert comment.state == Comment.State.HELD
    page.goto("/s/free-them/es/")
    expect(page.locator("#comments")).not_to_contain_text("Estamos con ustedes")

    moderation.approve(comment, by=None)
    page.goto("/s/free-them/en/")
    shown = page.locator(f"#comment-{comment.pk}")
    expect(shown).to_contain_text("¡Estamos con ustedes!")
    expect(shown).to_contain_text("Written in español (es)")
    expect(shown.locator(".comment-text")).to_have_attribute("lang", "es")
    page.goto("/s/free-them/es/")
    expect(page.locator(f"#comment-{comment.pk}")).to_contain_text("¡Estamos con ustedes!")
    assert "rosa@" not in page.content()
    assert chromium.outside_requests() == [] and chromium.csp_violations() == []


def test_without_javascript_a_comment_is_held_before_any_email(
    chromium: Chromium,  # noqa: F811
    site: str,  # noqa: F811
    statement: Statement,
    smtp_server: SmtpSink,
) -> None:
    tab = chromium.new_page(javascript=False)
    tab.goto("/s/free-them/en/comments/")
    _fill(tab, name="Sam Carter", email="sam@example.net", text="Solidarity.")
    expect(tab).to_have_url(re.compile(r"/s/free-them/en/comments/sent/$"))
    comment = Comment.objects.get()
    assert (comment.state, comment.reasons) == ("unconfirmed", "no_proof")
    drain()
    assert smtp_server.messages == []
    # A moderator lets it through: its link is emailed then.
    assert moderation.release(comment, by=None)
    confirm, _manage = _links(smtp_server, site)
    tab.goto(confirm)
    tab.locator("main form button[type=submit]").click()
    expect(tab.locator("h1")).to_have_text("Your comment waits for the moderators")


def test_a_hostile_comment_is_inert_and_the_page_keeps_its_policy(
    chromium: Chromium,  # noqa: F811
    site: str,  # noqa: F811
    statement: Statement,
) -> None:
    page = chromium.new_page()
    page.add_init_script("window.__xss = 0; window.alert = () => { window.__xss = 99; };")
    published(
        statement,
        1,
        name='"><img src=x onerror="window.__xss=1">',
        organisation_name="<svg onload=window.__xss=2>",
        text=(
            "<script>window.__xss=3</script>\n\n"
            'javascript:window.__xss=4 www.example.org/"onmouseover="window.__xss=5'
        ),
        pinned_at=timezone.now(),
    )
    page.goto("/s/free-them/en/")
    comment = page.locator("#comments .comment").first
    expect(comment).to_contain_text("<script>window.__xss=3</script>")
    comment.locator("a", has_text="www.example.org").hover()
    assert page.evaluate("window.__xss") == 0
    assert comment.locator("a[href^=javascript]").count() == 0
    assert chromium.outside_requests() == [] and chromium.csp_violations() == []
