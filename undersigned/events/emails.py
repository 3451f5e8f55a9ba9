"""The events' emails, as kinds of the outbox: the link that confirms an RSVP, where the person
stands once confirmed (a place, the waiting list, moved up), the reminders, a change of time,
place or status, and the organisers' messages (with a test sent to the organiser first).

Each is read from the database when sent: an attendee who cancelled or was erased meanwhile is
sent nothing, and an email about an older state of the event (a reminder for a time since
changed) is dropped. Every email carries the link that cancels; the place and the online link
reach only those with a place when the organisers keep them for confirmed attendees.
"""

from __future__ import annotations

import dataclasses
import zoneinfo
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.core import signing
from django.urls import reverse
from django.utils import translation
from django.utils.dateparse import parse_datetime

from undersigned.events.display import span
from undersigned.events.models import Attendee, AttendeeToken, Event, EventVersion, Message
from undersigned.lib.languages import ui_language
from undersigned.lib.markdown import render_for_email
from undersigned.lib.tokens import hash_token
from undersigned.mailings import outbox

CONFIRM = "event_confirm"
PLACE = "event_place"
REMINDER = "event_reminder"
CHANGED = "event_changed"
MESSAGE = "event_message"
MESSAGE_TEST = "event_message_test"

_CANCEL_SALT = "undersigned.events.cancel"


def cancel_token(attendee_id: int) -> str:
    """The secret in an attendee's cancel link: it names the attendee, signed with the site's
    key, so that every email (a reminder sent weeks later) can carry it."""
    return signing.Signer(salt=_CANCEL_SALT).sign(str(attendee_id))


def attendee_of_cancel_token(token: str) -> int | None:
    try:
        value = signing.Signer(salt=_CANCEL_SALT).unsign(token)
    except signing.BadSignature:
        return None
    return int(value) if value.isdigit() else None


def event_context(event: Event, version: EventVersion | None, *, insider: bool) -> dict[str, Any]:
    """What every event email shows of the event, in the active language. `insider`: the
    person has a place, so a place or link kept for confirmed attendees is shown."""
    language = version.language if version else event.default_language
    return {
        "event": event,
        "version": version,
        "title": version.title if version else "",
        "organisation": event.organisation,
        "when": span(event.local_start, event.local_end, event.zone),
        "place": event.place if insider or not event.place_private else "",
        "map_url": event.map_url if insider or not event.place_private else "",
        "place_private": event.place_private and not insider,
        "online_url": event.online_url if insider or not event.online_private else "",
        "online_private": bool(event.online_url) and event.online_private and not insider,
        "event_url": settings.SITE_URL + reverse("event", args=(event.pk, language)),
        "ics_url": settings.SITE_URL + reverse("event_ics", args=(event.pk,)),
    }


def _event(pk: int) -> Event | None:
    return (
        Event.objects.select_related("organisation")
        .prefetch_related("versions")
        .filter(pk=pk, published_at__isnull=False)
        .first()
    )


def _email(
    kind: str,
    attendee: Attendee,
    event: Event,
    extra: Mapping[str, Any],
    *,
    personal: Mapping[str, str] | None = None,
    to: str = "",
) -> outbox.Email:
    version = event.version_for(attendee.language)
    language = ui_language(version.language if version else "", event.default_language)
    insider = attendee.state == Attendee.State.GOING
    with translation.override(language):
        # `when` and the labels are rendered in the email's language.
        shown = event_context(event, version, insider=insider)
    cancel_url = settings.SITE_URL + reverse(
        "event_cancel", args=(event.pk, cancel_token(attendee.pk))
    )
    fixed = {
        **shown,
        **extra,
        "attendee": attendee,
        "cancel_url": cancel_url if attendee.pk else "",
    }

    def context(values: Mapping[str, str]) -> dict[str, Any]:
        found = dict(fixed)
        if "token" in values:
            found["confirm_url"] = settings.SITE_URL + reverse(
                "event_confirm", args=(event.pk, values["token"])
            )
        return found

    def headers(_context: Mapping[str, Any]) -> dict[str, str]:
        return {"Auto-Submitted": "auto-generated"}

    return outbox.Email(
        kind=kind,
        to=to or attendee.email,
        sender=event.organisation.name,
        language=language,
        context=context,
        personal=dict(personal or {}),
        headers=headers,
    )


def _load_confirm(payloads: list[dict[str, Any]]) -> list[outbox.Email | None]:
    emails: list[outbox.Email | None] = []
    for payload in payloads:
        asked = (
            AttendeeToken.objects.select_related("attendee")
            .filter(attendee=payload["attendee"], token_hash=hash_token(payload["token"]))
            .first()
        )
        event = _event(asked.attendee.event_id) if asked else None
        if asked is None or event is None:
            emails.append(None)
            continue
        attendee = asked.attendee
        # In the language of the form this link confirms (the row keeps the confirmed one's).
        attendee.language = asked.language
        emails.append(
            _email(
                CONFIRM,
                attendee,
                event,
                {
                    "asked": asked,
                    "unconfirmed_days": settings.UNCONFIRMED_DAYS,
                    # What confirming would do, decided now: the address's past is told only to
                    # its owner.
                    "has_place": attendee.state == Attendee.State.GOING,
                    "is_waiting": attendee.state == Attendee.State.WAITING,
                    "guests_changed": asked.guests != attendee.guests,
                },
                personal={"token": payload["token"]},
            )
        )
    return emails


def _attendee_email(
    kind: str, payload: dict[str, Any], states: tuple[str, ...], extra: dict[str, Any]
) -> outbox.Email | None:
    """An email to an attendee still in one of `states`, about the event as it is now, if it
    is still the event's state the email was queued for (its SEQUENCE)."""
    attendee = Attendee.objects.filter(pk=payload["attendee"], state__in=states).first()
    event = _event(attendee.event_id) if attendee else None
    if attendee is None or event is None:
        return None
    if "sequence" in payload and payload["sequence"] != event.sequence:
        return None
    return _email(kind, attendee, event, extra)


def _load_place(payloads: list[dict[str, Any]]) -> list[outbox.Email | None]:
    return [
        _attendee_email(
            PLACE,
            payload,
            (Attendee.State.GOING, Attendee.State.WAITING),
            {"moved_up": payload.get("moved_up", False)},
        )
        for payload in payloads
    ]


def _load_reminders(payloads: list[dict[str, Any]]) -> list[outbox.Email | None]:
    return [
        _attendee_email(REMINDER, payload, (Attendee.State.GOING,), {"hours": payload["hours"]})
        for payload in payloads
    ]


def _was(payload: dict[str, Any], event: Event | None) -> dict[str, Any]:
    """What the event was before the change, as the email shows it."""
    was = payload.get("was", {})
    start, end = parse_datetime(was.get("start", "")), parse_datetime(was.get("end", ""))
    zone = was.get("zone", "")
    if not (start and end and zone and event):
        return {}
    try:
        tz = zoneinfo.ZoneInfo(zone)
    except (ValueError, KeyError):
        return {}
    fields = set(was.get("fields", ()))
    return {
        "time_changed": bool(fields & {"start", "end", "zone"}),
        "place_changed": bool(
            fields & {"place", "latitude", "longitude", "online_url", "place_private"}
        ),
        "status_changed": "status" in fields,
        "was_start": start.astimezone(tz),
        "was_end": end.astimezone(tz),
        "was_zone": zone,
    }


def _load_changed(payloads: list[dict[str, Any]]) -> list[outbox.Email | None]:
    emails: list[outbox.Email | None] = []
    for payload in payloads:
        attendee = Attendee.objects.filter(
            pk=payload["attendee"], state__in=(Attendee.State.GOING, Attendee.State.WAITING)
        ).first()
        event = _event(attendee.event_id) if attendee else None
        if attendee is None or event is None or payload["sequence"] != event.sequence:
            emails.append(None)
            continue
        was = _was(payload, event)
        version = event.version_for(attendee.language)
        language = ui_language(version.language if version else "", event.default_language)
        if was:
            with translation.override(language):
                was["was_when"] = span(was["was_start"], was["was_end"], was["was_zone"])
        emails.append(_email(CHANGED, attendee, event, was))
    return emails


def _load_messages(payloads: list[dict[str, Any]]) -> list[outbox.Email | None]:
    emails: list[outbox.Email | None] = []
    for payload in payloads:
        message = Message.objects.filter(pk=payload["message"]).first()
        attendee = Attendee.objects.filter(
            pk=payload["attendee"], state__in=(Attendee.State.GOING, Attendee.State.WAITING)
        ).first()
        event = _event(message.event_id) if message else None
        if message is None or attendee is None or event is None:
            emails.append(None)
            continue
        emails.append(_email(MESSAGE, attendee, event, _message_context(message)))
    return emails


def _message_context(message: Message) -> dict[str, Any]:
    return {
        "message": message,
        "message_html": render_for_email(message.body, settings.SITE_URL),
    }


def test_email(message: Message, language: str, to: str) -> outbox.Email | None:
    """The message as an attendee reading `language` with a place gets it, to `to`, its subject
    marked as a test; its cancel link names nobody."""
    event = _event(message.event_id)
    if event is None:
        return None
    nobody = Attendee(
        pk=0, event=event, name="", email=to, language=language, state=Attendee.State.GOING
    )
    email = _email(MESSAGE_TEST, nobody, event, {**_message_context(message), "test": True})
    return dataclasses.replace(email, to=to)


def _load_tests(payloads: list[dict[str, Any]]) -> list[outbox.Email | None]:
    emails: list[outbox.Email | None] = []
    for payload in payloads:
        message = Message.objects.filter(pk=payload["message"]).first()
        emails.append(test_email(message, payload["language"], payload["to"]) if message else None)
    return emails


outbox.register(CONFIRM, _load_confirm)
outbox.register(PLACE, _load_place)
outbox.register(REMINDER, _load_reminders, priority=1)
outbox.register(CHANGED, _load_changed, priority=1)
outbox.register(MESSAGE, _load_messages, priority=2)
outbox.register(MESSAGE_TEST, _load_tests)
