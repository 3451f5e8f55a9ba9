"""Comments end to end, in real Chromium, with email crossing a real SMTP server: a visitor
comments in Spanish and confirms; the comment waits; an editor approves it and replies as the
organisation; it shows on both language versions, labelled with its language on the other; a
reader reports it and it returns to the queue. Without JavaScript the form still works (held
until a moderator releases its email). Script and link spam are held and inert."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import Page, expect

from undersigned.comments import moderation
from undersigned.comments.models import Comment, CommentPolicy, Moderation
from undersigned.conftest import SmtpSink, _client_for, text_body
from undersigned.jobs.queue import drain
from undersigned.statements.models import Statement
from undersigned.statements.tests import test_browser
from undersigned.statements.tests.test_browser import Chromium

pytestmark = pytest.mark.browser

site = test_browser.site
chromium = test_browser.chromium

SPANISH = "Desde el sindicato minero de Arequipa: estamos con ustedes."
XSS = '<script>alert("x")</script><img src=x onerror=alert("y")> ¡Libertad!'


def _log_in(page: Page, site: str, user: User) -> None:
    client = _client_for(user)
    page.context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": site}]
    )


def _write(page: Page, name: str, email: str, text: str) -> None:
    """From the statement's page, whose only form is the sign form, to the comments page's."""
    with page.expect_navigation():
        page.locator("#comments a[href$='#comment-form-heading']").click()
    expect(page).to_have_url(re.compile(r"/comments/(#comment-form-heading)?$"))
    assert page.locator("form.comment-form").count() == 1
    form = page.locator("#comments form.comment-form")
    form.locator("input[name=name]").fill(name)
    form.locator("input[name=email]").fill(email)
    form.locator("textarea[name=text]").fill(text)
    form.locator("input[name=consent]").check()
    with page.expect_navigation():
        form.locator("button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/comments/sent/$"))


def _confirm_from_email(page: Page, site: str, smtp_server: SmtpSink, to: str) -> None:
    drain()
    (message,) = [m for m in smtp_server.messages if m["To"] == to]
    found = re.search(re.escape(site) + r"/c/confirm/[-\w]+/", text_body(message))
    assert found is not None
    page.goto(found.group())
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()


def test_a_spanish_comment_from_the_form_to_the_queue_both_pages_and_back(
    chromium: Chromium, site: str, statement: Statement, member: User, smtp_server: SmtpSink
) -> None:
    dialogs: list[str] = []
    # The visitor comments in Spanish, with JavaScript (the proof of work is done).
    visitor = chromium.new_page()
    visitor.on("dialog", lambda dialog: dialogs.append(dialog.message))
    visitor.goto(f"/s/{statement.slug}/es/")
    _write(visitor, "Rosa Quispe", "rosa@example.net", SPANISH)
    comment = Comment.objects.get()
    assert (comment.state, comment.language, comment.reasons) == ("unconfirmed", "es", "")
    _confirm_from_email(visitor, site, smtp_server, "rosa@example.net")
    comment.refresh_from_db()
    # Pre-moderated, as every statement is until its organisers say otherwise: it waits.
    assert comment.state == Comment.State.HELD
    visitor.goto(f"/s/{statement.slug}/es/")
    expect(visitor.locator("#comments")).not_to_contain_text(SPANISH)

    # An editor finds it in the queue, approves it and replies as the organisation.
    editor = chromium.new_page()
    _log_in(editor, site, member)
    editor.goto(f"/dashboard/o/{statement.organisation.slug}/comments/")
    item = editor.locator(f"#comment-{comment.pk}")
    expect(item).to_contain_text(SPANISH)
    expect(item).not_to_contain_text("rosa@example.net")
    with editor.expect_navigation():
        item.get_by_role("button", name="Approve and reply").click()
    editor.locator("textarea[name=text]").fill("Gracias, compañeras. Nos vemos el sábado.")
    with editor.expect_navigation():
        editor.locator("main form button[type=submit]").click()
    comment.refresh_from_db()
    assert comment.state == Comment.State.PUBLISHED
    reply = Comment.objects.get(parent=comment)
    assert reply.by_organisation and reply.state == Comment.State.PUBLISHED

    # Both language versions show it and the answer; the English one says it is in Spanish.
    reader = chromium.new_page(javascript=False)
    for language in ("es", "en"):
        reader.goto(f"/s/{statement.slug}/{language}/")
        shown = reader.locator(f"#comment-{comment.pk}")
        expect(shown).to_contain_text(SPANISH)
        expect(shown.locator(".comment-text")).to_have_attribute("lang", "es")
        expect(reader.locator(f"#comment-{reply.pk}")).to_contain_text("Nos vemos el sábado")
        expect(reader.locator(f"#comment-{reply.pk}")).to_contain_text(statement.organisation.name)
        label = shown.locator(".language")
        if language == "en":
            expect(label).to_contain_text("Written in")
        else:
            expect(label).to_have_count(0)
        assert "rosa@example.net" not in reader.content()

    # A reader reports it; the organisation returns a comment to the queue at one report.
    Moderation.objects.create(organisation=statement.organisation, reports_to_hold=1)
    reporter = chromium.new_page()
    reporter.goto(f"/s/{statement.slug}/en/")
    with reporter.expect_navigation():
        reporter.locator(f"#comment-{comment.pk}").get_by_role("link", name="Report").click()
    reporter.locator("input[name=reason][value=abuse]").check()
    with reporter.expect_navigation():
        reporter.locator("main form button[type=submit]").click()
    comment.refresh_from_db()
    assert (comment.state, comment.reasons) == (Comment.State.HELD, "reported")
    reporter.goto(f"/s/{statement.slug}/en/")
    expect(reporter.locator(f"#comment-{comment.pk}")).to_have_count(0)
    editor.goto(f"/dashboard/o/{statement.organisation.slug}/comments/")
    expect(editor.locator(f"#comment-{comment.pk}")).to_contain_text(SPANISH)

    assert not dialogs
    assert not [url for url in chromium.requests if not url.startswith(site)]
    assert not chromium.violations


def test_without_javascript_script_and_link_spam_are_held_and_inert(
    chromium: Chromium, site: str, statement: Statement, member: User, smtp_server: SmtpSink
) -> None:
    moderation.set_policy(
        statement,
        mode=CommentPolicy.Mode.POST,
        hold_first=False,
        hold_links=True,
        hold_words=True,
        by=None,
    )
    dialogs: list[str] = []
    # Without JavaScript there is no proof of work: the form is held before any email.
    visitor = chromium.new_page(javascript=False)
    visitor.on("dialog", lambda dialog: dialogs.append(dialog.message))
    visitor.goto(f"/s/{statement.slug}/en/")
    _write(visitor, "Mallory", "mallory@example.net", XSS)
    script = Comment.objects.get()
    assert script.state == Comment.State.UNCONFIRMED and script.reasons == "no_proof"
    assert drain() == 0
    assert not smtp_server.messages

    # A moderator releases it from the held forms: now its link is emailed.
    editor = chromium.new_page()
    _log_in(editor, site, member)
    editor.goto(f"/dashboard/o/{statement.organisation.slug}/comments/held/")
    with editor.expect_navigation():
        editor.locator(f"#comment-{script.pk}").get_by_role("button", name="Release").click()
    # It emails someone: asked first.
    with editor.expect_navigation():
        editor.locator("main form button[type=submit]").first.click()
    _confirm_from_email(visitor, site, smtp_server, "mallory@example.net")
    script.refresh_from_db()
    # No link and comments are published at once: it shows, as text that runs nothing.
    assert script.state == Comment.State.PUBLISHED
    visitor.goto(f"/s/{statement.slug}/en/")
    shown = visitor.locator(f"#comment-{script.pk} .comment-text")
    expect(shown).to_contain_text('<script>alert("x")</script>')
    expect(shown.locator("script, img")).to_have_count(0)

    # Link spam, with JavaScript: confirmed, but held for its link, and its link inert.
    spammer = chromium.new_page()
    spammer.goto(f"/s/{statement.slug}/en/")
    _write(spammer, "Cheap Pills", "pills@example.net", "Buy now https://pills.example/buy")
    _confirm_from_email(spammer, site, smtp_server, "pills@example.net")
    spam = Comment.objects.get(name="Cheap Pills")
    assert spam.state == Comment.State.HELD and "link" in spam.reason_list()
    spammer.goto(f"/s/{statement.slug}/en/")
    expect(spammer.locator("#comments")).not_to_contain_text("Buy now")
    editor.goto(f"/dashboard/o/{statement.organisation.slug}/comments/")
    link = editor.locator(f"#comment-{spam.pk} a[href='https://pills.example/buy']")
    expect(link).to_have_attribute("rel", "nofollow ugc noopener noreferrer")

    assert not dialogs
    assert not [url for url in chromium.requests if not url.startswith(site)]
    assert not chromium.violations
