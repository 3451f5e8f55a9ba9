"""The demo shows a past event with its recording and an upcoming one people can come to."""

from __future__ import annotations

import icalendar
from django.core.management import call_command
from django.test import Client

from undersigned.events.models import Event
from undersigned.statements.demo import SLUG


def test_the_demo_has_an_upcoming_event_and_a_past_one_with_its_recording(
    client: Client, db: None
) -> None:
    call_command("load_demo", verbosity=0)
    call_command("load_demo", verbosity=0)  # safe to run again
    past, upcoming = Event.objects.order_by("start")
    statement_page = client.get(f"/s/{SLUG}/es/").content.decode()
    assert "Concentración urgente: libertad para los 41" in statement_page
    page = client.get(f"/e/{upcoming.pk}/es/").content.decode()
    assert f"/e/{upcoming.pk}/es/rsvp/" in page
    assert "openstreetmap.org/?mlat=-12.04637" in page
    past_page = client.get(f"/e/{past.pk}/en/").content.decode()
    assert "https://video.example.org/w/valmora-families" in past_page
    # Its meeting link was for attendees: the public page does not show it.
    assert "meet.example.org" not in past_page
    feed = client.get(f"/o/{upcoming.organisation.slug}/events.ics")
    calendar = icalendar.Calendar.from_ical(feed.content)
    assert len(calendar.walk("VEVENT")) == 2
