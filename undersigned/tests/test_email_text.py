"""Every kind of email says what was typed, as it was typed: its subject and its text part are
plain text, never HTML-escaped ("Tom & Jerry", not "Tom &amp; Jerry"). Each kind is made
through the path production takes, sent over SMTP and read as a mail program reads it. The
kinds are taken from the email templates and the outbox's registry, so a new kind without a
way to make it here fails the test."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from undersigned.comments import actions as comment_actions
from undersigned.comments import moderation as comment_moderation
from undersigned.comments.models import Comment
from undersigned.conftest import SmtpSink, follow_data, make_signature, sign_data, text_body
from undersigned.events import actions as event_actions
from undersigned.events.actions import Client as RsvpClient
from undersigned.events.models import Attendee, Event, Message
from undersigned.events.tests.conftest import make_event, rsvp_data
from undersigned.funds import actions as fund_actions
from undersigned.funds.models import Contribution, Fund
from undersigned.funds.tests.conftest import make_fund
from undersigned.jobs.models import Job
from undersigned.jobs.queue import drain
from undersigned.mailings import outbox
from undersigned.organisations import actions as organisation_actions
from undersigned.organisations.models import Membership, Organisation
from undersigned.statements import actions, coalition
from undersigned.statements.models import Signature, Statement
from undersigned.updates import delivery
from undersigned.updates import emails as update_emails
from undersigned.updates.models import Update, UpdateVersion

ROOT = Path(__file__).resolve().parent.parent
TRICKY = 'Tom & "Jerry" <fund>\'s'
ENTITIES = ("&amp;", "&quot;", "&lt;", "&gt;", "&#x27;", "&#39;")


def _sign(statement: Statement) -> None:
    assert Client().post("/s/free-them/en/sign/", sign_data(statement)).status_code == 302


def _already_signed(statement: Statement) -> None:
    _sign(statement)
    drain()
    actions.confirm_signature(Signature.objects.get())
    _sign(statement)


def _follow(statement: Statement) -> None:
    assert Client().post("/s/free-them/en/follow/", follow_data(statement)).status_code == 302


def _invite(statement: Statement) -> None:
    organisation_actions.invite(statement.organisation, None, "lucia@example.org", "editor", "en")


def _update(statement: Statement) -> None:
    make_signature(statement, 1, wants_updates=True)
    update = Update.objects.create(statement=statement, published_at=timezone.now())
    UpdateVersion.objects.create(update=update, language="en", title=TRICKY, body="<p>b</p>")
    delivery.request_mailing(update, actor=None)


def _update_test(statement: Statement) -> None:
    update = Update.objects.create(statement=statement, published_at=timezone.now())
    UpdateVersion.objects.create(update=update, language="en", title=TRICKY, body="<p>b</p>")
    outbox.enqueue(
        update_emails.UPDATE_TEST, {"update": update.pk, "language": "en", "to": "o@example.org"}
    )


def _partnership(statement: Statement) -> None:
    union = Organisation.objects.create(name="Sindicato Unido", slug="sindicato")
    owner = User.objects.create_user("owner", "owner@example.org", "x")
    Membership.objects.create(organisation=union, user=owner, role=Membership.Role.OWNER)
    coalition.add_partner(statement, union, actor=None)


def _event(statement: Statement) -> Event:
    event = make_event(statement.organisation, statement)
    event.versions.filter(language="en").update(title=TRICKY)
    return event


def _attendee(event: Event) -> Attendee:
    return Attendee.objects.create(
        event=event,
        name=TRICKY,
        email="ana@example.net",
        email_canonical="ana@example.net",
        language="en",
        consent_version="x",
        state=Attendee.State.GOING,
        confirmed_at=timezone.now(),
    )


def _event_confirm(statement: Statement) -> None:
    event = _event(statement)
    response = Client().post(f"/e/{event.pk}/en/rsvp/", rsvp_data(event, name="Tom & Jerry"))
    assert response.status_code == 302


def _event_place(statement: Statement) -> None:
    event = _event(statement)
    event_actions.rsvp(event, "en", "Tom & Jerry", "ana@example.net", 1, client=RsvpClient())
    attendee = Attendee.objects.get()
    event_actions.confirm(attendee, attendee.tokens.get())


def _event_reminder(statement: Statement) -> None:
    event = _event(statement)
    _attendee(event)
    event_actions.remind(event.pk, 24, event.sequence)


def _event_changed(statement: Statement) -> None:
    event = _event(statement)
    _attendee(event)
    before = event_actions.snapshot(event)
    event.start += dt.timedelta(hours=1)
    event.end += dt.timedelta(hours=1)
    event.save()
    event_actions.changed(event, before, actor=None)


def _event_message(statement: Statement) -> None:
    event = _event(statement)
    _attendee(event)
    message = Message.objects.create(event=event, subject=TRICKY, body=f"{TRICKY}\n\nSee you.")
    event_actions.send_message(message, actor=None)


def _event_message_test(statement: Statement) -> None:
    event = _event(statement)
    message = Message.objects.create(event=event, subject=TRICKY, body=f"{TRICKY}\n\nSee you.")
    event_actions.send_test(message, "en", "o@example.org")


def _fund(statement: Statement) -> Fund:
    fund = make_fund(statement.organisation, statement)
    fund.versions.filter(language="en").update(title=TRICKY)
    return fund


def _fund_pledge_confirm(statement: Statement) -> None:
    fund_actions.pledge(
        _fund(statement),
        "en",
        TRICKY,
        "ana@example.net",
        2_000,
        show_name=False,
        client=RsvpClient(),
    )


def _fund_transfer(statement: Statement) -> None:
    fund_actions.expect_transfer(
        _fund(statement), "en", 2_000, name=TRICKY, email="ana@example.net", client=RsvpClient()
    )


def _fund_receipt(statement: Statement) -> None:
    fund_actions.add_entry(
        _fund(statement),
        method=Contribution.Method.CHEQUE,
        amount=2_000,
        received_on=dt.date(2026, 12, 1),
        donor_name=TRICKY,
        donor_email="ana@example.net",
        language="en",
        send_receipt=True,
    )


def _comment(statement: Statement, **fields: Any) -> Comment:
    values: dict[str, Any] = {
        "name": TRICKY,
        "email": "ana@example.net",
        "text": TRICKY,
        "client": RsvpClient(),
    }
    values.update(fields)
    return comment_actions.submit(statement, "en", **values)


def _comment_confirm(statement: Statement) -> None:
    _comment(statement)


def _comment_reply(statement: Statement) -> None:
    comment = _comment(statement, notify_replies=True)
    comment_actions.confirm(comment)
    comment_moderation.approve(comment, by=None)
    # Its confirmation is not this test's: the one email sent must be the reply's.
    Job.objects.filter(kind="mail.comment_confirm").delete()
    # Under the organisation's name, which the test makes tricky.
    comment_moderation.reply_as_organisation(comment, TRICKY, by=None)


def _comment_digest(statement: Statement) -> None:
    moderator = User.objects.create_user("moderator", "moderator@example.org", "x")
    User.objects.filter(pk=moderator.pk).update(date_joined=timezone.now() - dt.timedelta(1))
    Membership.objects.create(
        organisation=statement.organisation, user=moderator, role=Membership.Role.EDITOR
    )
    comment_moderation.subscribe_digest(statement.organisation, moderator, wanted=True)
    comment_actions.confirm(_comment(statement))
    Job.objects.filter(kind="mail.comment_confirm").delete()
    comment_moderation.send_digests()


# Each kind of email, and how a person makes the site send one.
MAKERS: dict[str, Callable[[Statement], None]] = {
    "confirm_signature": _sign,
    "already_signed": _already_signed,
    "confirm_follower": _follow,
    "invitation": _invite,
    "partnership": _partnership,
    "update": _update,
    "update_test": _update_test,
    "event_confirm": _event_confirm,
    "event_place": _event_place,
    "event_reminder": _event_reminder,
    "event_changed": _event_changed,
    "event_message": _event_message,
    "event_message_test": _event_message_test,
    "fund_pledge_confirm": _fund_pledge_confirm,
    "fund_transfer": _fund_transfer,
    "fund_receipt": _fund_receipt,
    "comment_confirm": _comment_confirm,
    "comment_reply": _comment_reply,
    "comment_digest": _comment_digest,
}


def _kinds() -> set[str]:
    templates = {
        path.name.removesuffix("-subject.txt")
        for path in ROOT.glob("**/templates/emails/*-subject.txt")
    }
    return templates | set(outbox._KINDS)


def test_every_kind_of_email_is_checked() -> None:
    assert _kinds() == set(MAKERS)


@pytest.mark.parametrize("kind", sorted(MAKERS))
def test_an_email_says_titles_and_names_as_typed(
    kind: str, statement: Statement, smtp_server: SmtpSink
) -> None:
    statement.organisation.name = TRICKY
    statement.organisation.save()
    statement.versions.filter(language="en").update(title=TRICKY)
    statement.save()  # tells the caches
    MAKERS[kind](statement)
    drain()
    assert smtp_server.messages, f"no {kind} email was sent"
    raw = smtp_server.messages[-1]
    message = message_from_bytes(raw.as_bytes(), policy=policy.default)
    assert isinstance(message, EmailMessage)
    subject, text = str(message["Subject"]), text_body(raw)
    assert TRICKY in subject, subject
    assert TRICKY in text
    assert not any(entity in subject + text for entity in ENTITIES)


# An address a mail program can follow: absolute, http(s) or mailto.
_ABSOLUTE = re.compile(r"(?:https?://[^/\s\"'<>]+/|mailto:)")


@pytest.mark.parametrize("kind", sorted(MAKERS))
def test_an_email_is_strictly_well_formed_with_only_absolute_links(
    kind: str, statement: Statement, smtp_server: SmtpSink, settings: Any
) -> None:
    settings.SITE_URL = "https://sign.example.org"
    statement.organisation.name = "Federación Estudiantil"
    statement.organisation.save()
    statement.versions.filter(language="en").update(title="Free them: ¡libertad!")
    statement.save()  # tells the caches
    UpdateVersion.objects.filter(language="en").update(
        body="See [who signed](/s/free-them/en/signatories/) and [more](https://x.example/)."
    )
    MAKERS[kind](statement)
    UpdateVersion.objects.filter(language="en").update(
        body="See [who signed](/s/free-them/en/signatories/) and [more](https://x.example/)."
    )
    drain()
    assert smtp_server.messages, f"no {kind} email was sent"
    envelope = smtp_server.envelopes[-1]
    data = envelope.original_content or envelope.content
    # policy.strict raises on any defect the parser finds.
    message = message_from_bytes(data, policy=policy.strict)
    assert isinstance(message, EmailMessage)
    assert not message.defects
    for part in message.walk():
        assert not part.defects, (kind, part.get_content_type(), part.defects)
    assert message["Auto-Submitted"] == "auto-generated"
    assert re.fullmatch(r"<[^<>@\s]+@sign\.example\.org>", message["Message-ID"])
    # A body beyond ASCII is declared to a server that offers 8BITMIME (aiosmtpd does).
    if not data.isascii():
        assert "BODY=8BITMIME" in envelope.mail_options
    text = message.get_body(("plain",))
    html = message.get_body(("html",))
    assert text is not None and html is not None
    links = re.findall(r'(?:href|src)="([^"]*)"', html.get_content())
    assert links, kind
    for link in links:
        assert _ABSOLUTE.match(link), (kind, link)
    for url in re.findall(r"(?:^|\s)(/\S*|https?://\S+)", text.get_content()):
        assert _ABSOLUTE.match(url), (kind, url)
