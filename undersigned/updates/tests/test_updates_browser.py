"""In real Chromium: an organiser writes an update in English and Spanish, publishes it and has
it emailed; each signer and follower who asked for updates gets it once, in their language,
across a real SMTP server; one of them unsubscribes from the link in the email."""

from __future__ import annotations

import re
from email.message import Message

import pytest
from django.contrib.auth.models import User
from django.utils import timezone
from playwright.sync_api import Page, expect

from undersigned.conftest import PASSWORD, SmtpSink, make_signature, text_body
from undersigned.jobs.queue import drain
from undersigned.statements.forms import FOLLOW_CONSENT_VERSION
from undersigned.statements.models import ConsentRecord, Signature, Statement
from undersigned.statements.tests import test_browser
from undersigned.statements.tests.test_browser import Chromium, subject_of
from undersigned.updates import recipients
from undersigned.updates.models import Follower, Update

pytestmark = pytest.mark.browser

# The signing tests' browser fixtures, shared.
site = test_browser.site
chromium = test_browser.chromium

TITLE_EN = "Strike on Friday"
TEXT_EN = "<p>Meet at the ministry at noon.</p>"
TITLE_ES = "Huelga el viernes"
TEXT_ES = "<p>Nos vemos en el ministerio a mediodía.</p>"


def field(label: str) -> re.Pattern[str]:
    """A field's label, with or without the mark of a required one."""
    return re.compile(rf"^{label}( \*)?$")


def log_in(page: Page, next_url: str) -> None:
    page.goto(f"/accounts/login/?next={next_url}")
    page.get_by_label("Username").fill("organiser")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name=re.compile("log in", re.IGNORECASE)).click()
    expect(page).to_have_url(re.compile(re.escape(next_url) + "$"))


def progress_on(page: Page) -> dict[str, str]:
    """The mailing's counts as the update's page lists them, by their terms."""
    rows: list[list[str]] = page.locator("#mailing-heading ~ dl dt").evaluate_all(
        "terms => terms.map(t => [t.textContent.trim(), t.nextElementSibling.textContent.trim()])"
    )
    return dict((term, value) for term, value in rows)


def messages_by_recipient(sink: SmtpSink) -> dict[str, list[Message]]:
    found: dict[str, list[Message]] = {}
    for envelope, message in zip(sink.envelopes, sink.messages, strict=True):
        for recipient in envelope.rcpt_tos:
            found.setdefault(recipient, []).append(message)
    return found


def test_an_organiser_emails_a_bilingual_update_and_a_signer_unsubscribes(
    chromium: Chromium,
    site: str,
    statement: Statement,
    organiser: User,
    smtp_server: SmtpSink,
) -> None:
    make_signature(
        statement,
        1,
        language="es",
        wants_updates=True,
        email="lucia@example.net",
        email_canonical="lucia@example.net",
    )
    ben = make_signature(
        statement, 2, wants_updates=True, email="ben@example.org", email_canonical="ben@example.org"
    )
    make_signature(
        statement,
        3,
        wants_updates=False,
        email="quiet@example.org",
        email_canonical="quiet@example.org",
    )
    Follower.objects.create(
        statement=statement,
        email="flor@example.com",
        email_canonical="flor@example.com",
        language="en",
        consent_version=FOLLOW_CONSENT_VERSION,
        confirmed_at=timezone.now(),
    )

    page = chromium.new_page()
    log_in(page, "/dashboard/s/free-them/updates/")
    expect(page.get_by_role("main")).to_contain_text("1 person follows the updates")
    page.get_by_role("link", name="Write an update").click()
    expect(page).to_have_url(re.compile(r"/dashboard/s/free-them/updates/new/$"))
    english = page.get_by_role("group", name="In en (default)")
    english.get_by_label(field("Title")).fill(TITLE_EN)
    english.get_by_label(field("Text")).fill(TEXT_EN)
    spanish = page.get_by_role("group", name="In es")
    spanish.get_by_label(field("Title")).fill(TITLE_ES)
    spanish.get_by_label(field("Text")).fill(TEXT_ES)
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page).to_have_url(re.compile(r"/dashboard/s/free-them/updates/\d+/$"))
    expect(page.locator(".messages")).to_contain_text("The update is saved.")
    update = Update.objects.get(statement=statement)
    assert {v.language: v.title for v in update.versions.all()} == {"en": TITLE_EN, "es": TITLE_ES}
    # A draft cannot be emailed yet.
    expect(page.get_by_role("link", name="Preview and email this update…")).to_have_count(0)

    page.get_by_role("button", name="Publish").click()
    expect(page.locator(".messages")).to_contain_text("The update is published")
    # The two signers who asked and the follower; not the signer who did not ask.
    expect(page.get_by_role("main")).to_contain_text(
        "Email it to the 3 people who asked for updates"
    )
    # Sending asks first: a preview of each version, and a test to oneself.
    page.get_by_role("link", name="Preview and email this update…").click()
    expect(page.get_by_role("heading", name="In en")).to_be_visible()
    expect(page.get_by_role("main")).to_contain_text(TITLE_ES)
    page.get_by_role("button", name=re.compile(r"^Send a test to me")).click()
    expect(page.locator(".messages")).to_contain_text("A test is on its way")
    drain()
    assert [m["To"] for m in smtp_server.messages] == ["organiser@example.com"]
    assert subject_of(smtp_server.messages[0]) == f"[Test] {TITLE_EN}"
    assert "noon" in text_body(smtp_server.messages[0])
    # What follows counts the recipients' messages only.
    smtp_server.messages.clear()
    smtp_server.envelopes.clear()
    tests = 0
    page.get_by_role("button", name="Send to 3 people").click()
    expect(page.locator(".messages")).to_contain_text("The update is being emailed.")
    expect(
        page.get_by_role("heading", name="Emailed to those who asked for updates")
    ).to_be_visible()
    expect(page.get_by_role("link", name="Preview and email this update…")).to_have_count(0)
    assert len(smtp_server.messages) == tests

    # The worker: prepares the recipients, then sends over SMTP.
    assert drain() >= 1
    page.reload()
    expect(page.get_by_role("main")).to_contain_text("Finished on")
    assert progress_on(page) == {
        "Sent": "3",
        "Still to send": "0",
        "Failed": "0",
        "Not sent: unsubscribed, erased or bouncing since": "0",
    }

    received = messages_by_recipient(smtp_server)
    assert sorted(received) == ["ben@example.org", "flor@example.com", "lucia@example.net"]
    assert all(len(messages) == 1 for messages in received.values()), received
    languages = {"lucia@example.net": "es", "ben@example.org": "en", "flor@example.com": "en"}
    for address, (message,) in received.items():
        title, text = (TITLE_ES, "mediodía") if languages[address] == "es" else (TITLE_EN, "noon")
        assert subject_of(message) == title
        assert message["To"] == address
        assert text in text_body(message)
        assert re.fullmatch(re.escape(site) + r"/u/[-\w:]+/", message["List-Unsubscribe"][1:-1])
        assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    # Once each: the worker again sends nothing more.
    drain()
    assert len(smtp_server.messages) == 3

    body = text_body(received["ben@example.org"][0])
    link = re.search(re.escape(site) + r"/u/[-\w:]+/", body)
    assert link is not None, body
    assert f"<{link.group()}>" == received["ben@example.org"][0]["List-Unsubscribe"]
    # From the email, in another browser: no session, no cookie.
    reader = chromium.new_page()
    reader.goto(link.group())
    expect(reader.get_by_role("heading", level=1)).to_have_text("Unsubscribe")
    # Opening the link changes nothing (mail scanners open links).
    assert Signature.objects.get(pk=ben.pk).wants_updates
    reader.get_by_role("button", name="Unsubscribe").click()
    expect(reader.get_by_role("heading", level=1)).to_have_text("You are unsubscribed")
    expect(reader.get_by_role("main")).to_contain_text("Free them")
    assert not reader.context.cookies()
    assert not Signature.objects.get(pk=ben.pk).wants_updates
    withdrawn = ConsentRecord.objects.filter(
        signature=ben, purpose=ConsentRecord.Purpose.UPDATES
    ).last()
    assert withdrawn is not None and not withdrawn.given
    assert recipients.recipient_count(update) == 2
    emailed = {s.email for s in recipients.signers_of(update)}
    assert emailed == {"lucia@example.net"}

    reader.goto("/s/free-them/es/")
    expect(reader.locator("html")).to_have_attribute("lang", "es")
    news = reader.locator("section.updates")
    expect(news.get_by_role("heading", level=3)).to_have_text(TITLE_ES)
    expect(news).to_contain_text("Nos vemos en el ministerio a mediodía.")
    assert chromium.outside_requests() == []
    assert chromium.csp_violations() == []
