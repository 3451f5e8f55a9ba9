"""Events as iCalendar (RFC 5545, through undersigned.lib.ical): one event's .ics and an
organisation's calendar feed. A cancelled event stays in the feed as CANCELLED, so calendars
that hold it drop it; each change the attendees were told of grows its SEQUENCE."""

from __future__ import annotations

from collections.abc import Sequence

from django.conf import settings
from django.urls import reverse
from django.utils.html import strip_tags

from undersigned.events.models import Event
from undersigned.lib import ical
from undersigned.lib.markdown import render
from undersigned.mailings.compose import domain

_STATUS = {
    Event.Status.SCHEDULED: "CONFIRMED",
    # Its date is not known: calendars show it as not yet certain.
    Event.Status.POSTPONED: "TENTATIVE",
    Event.Status.CANCELLED: "CANCELLED",
}


def uid(event: Event) -> str:
    """Stable for the event's life, unique to this site."""
    return f"event-{event.pk}@{domain()}"


def as_ical(event: Event, language: str) -> ical.Event:
    """The event as a calendar holds it, in `language` (else its default). A place or link kept
    for confirmed attendees is left out: calendar files and feeds are public."""
    version = event.version_for(language)
    lang = version.language if version else event.default_language
    description = strip_tags(render(version.description)).strip() if version else ""
    if version and version.status_reason and event.status != Event.Status.SCHEDULED:
        description = f"{version.status_reason}\n\n{description}".strip()
    online = event.online_url if not event.online_private else ""
    if online:
        description = f"{description}\n\n{online}".strip()
    location = "" if event.place_private else event.place.strip()
    if not location and online:
        location = online
    geo = None
    if not event.place_private and event.latitude is not None and event.longitude is not None:
        geo = (float(event.latitude), float(event.longitude))
    return ical.Event(
        uid=uid(event),
        start=event.start,
        end=event.end,
        zone=event.zone,
        summary=version.title if version else "",
        stamp=event.changed_at,
        sequence=event.sequence,
        status=_STATUS[Event.Status(event.status)],
        description=description,
        location=location,
        url=settings.SITE_URL + reverse("event", args=(event.pk, lang)),
        geo=geo,
        language=lang,
    )


def calendar(events: Sequence[Event], language: str, *, name: str = "") -> bytes:
    return ical.calendar([as_ical(event, language) for event in events], name=name)
