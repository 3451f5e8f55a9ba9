"""An organisation's events for the tests: a bilingual emergency demonstration in Madrid."""

from __future__ import annotations

import datetime as dt
import re
import time
from typing import Any

import pytest
from django.conf import settings
from django.core import mail
from django.utils import timezone

from undersigned.events.models import Event, EventVersion
from undersigned.jobs.queue import drain
from undersigned.lib import proof
from undersigned.lib.formtoken import issue
from undersigned.organisations.models import Organisation
from undersigned.statements.models import Statement


def make_event(
    organisation: Organisation, statement: Statement | None = None, **fields: Any
) -> Event:
    """A published bilingual demonstration two days from now, 18:00-20:00 in Madrid."""
    start = (
        (timezone.now() + dt.timedelta(days=2))
        .astimezone(dt.UTC)
        .replace(hour=17, minute=0, second=0, microsecond=0)
    )
    values: dict[str, Any] = {
        "organisation": organisation,
        "statement": statement,
        "default_language": "en",
        "start": start,
        "end": start + dt.timedelta(hours=2),
        "zone": "Europe/Madrid",
        "place": "Puerta del Sol, Madrid",
        "published_at": timezone.now(),
        "max_guests": 2,
    }
    values.update(fields)
    event = Event.objects.create(**values)
    EventVersion.objects.create(
        event=event,
        language="en",
        title="Emergency demonstration",
        description="Bring **banners**.",
    )
    EventVersion.objects.create(
        event=event,
        language="es",
        title="Concentración urgente",
        description="Trae **pancartas**.",
    )
    return event


@pytest.fixture
def event(statement: Statement) -> Event:
    return make_event(statement.organisation, statement)


def rsvp_data(event: Event, **overrides: Any) -> dict[str, Any]:
    """The RSVP form as a person's browser sends it: its page loaded a minute ago, the proof
    of work done."""
    data: dict[str, Any] = {
        "form_token": issue(f"event-{event.pk}", at=time.time() - 60),
        "name": "Lucía Mamani",
        "email": "lucia@example.net",
        "guests": "0",
        "consent": "on",
    }
    data.update(overrides)
    if "proof" not in data and isinstance(data.get("email"), str):
        data["proof"] = proof.solve(
            str(data["form_token"]), data["email"], settings.SIGN_PROOF_BITS
        )
    return {key: value for key, value in data.items() if value is not None}


def send_emails() -> list[Any]:
    """Run the worker's due jobs; the emails sent by them."""
    before = len(mail.outbox)
    drain()
    return list(mail.outbox[before:])


def link(message: Any, pattern: str) -> str:
    """The site-relative path of the first link in the email matching `pattern`."""
    found = re.search(rf"https?://[^/\s]+({pattern})", message.body)
    assert found, message.body
    return found.group(1)
