"""Every kind of email says what was typed, as it was typed: its subject and its text part are
plain text, never HTML-escaped ("Tom & Jerry", not "Tom &amp; Jerry"). Each kind is made
through the path production takes, sent over SMTP and read as a mail program reads it. The
kinds are taken from the email templates and the outbox's registry, so a new kind without a
way to make it here fails the test."""

from __future__ import annotations

from collections.abc import Callable
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

import pytest
from django.test import Client
from django.utils import timezone

from undersigned.conftest import SmtpSink, follow_data, make_signature, sign_data, text_body
from undersigned.jobs.queue import drain
from undersigned.mailings import outbox
from undersigned.organisations import actions as organisation_actions
from undersigned.statements import actions
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


# Each kind of email, and how a person makes the site send one.
MAKERS: dict[str, Callable[[Statement], None]] = {
    "confirm_signature": _sign,
    "already_signed": _already_signed,
    "confirm_follower": _follow,
    "invitation": _invite,
    "update": _update,
    "update_test": _update_test,
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
