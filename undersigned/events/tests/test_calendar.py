"""The calendar files and feeds, read back as calendar programs and feed readers read them."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import feedparser
import icalendar
from django.test import Client
from django.utils import translation

from undersigned.events import actions
from undersigned.events.models import Event
from undersigned.events.tests.conftest import make_event
from undersigned.statements.templatetags.undersigned import grouped


def _calendar(client: Client, path: str) -> icalendar.Calendar:
    response = client.get(path)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    return icalendar.Calendar.from_ical(response.content)


def _event(calendar: icalendar.Calendar) -> icalendar.Event:
    (event,) = calendar.walk("VEVENT")
    return event


def test_an_events_ics_parses_with_its_zone(client: Client, event: Event) -> None:
    calendar = _calendar(client, f"/e/{event.pk}/event.ics?language=es")
    vevent = _event(calendar)
    assert str(vevent["SUMMARY"]) == "Concentración urgente"
    start = vevent.decoded("DTSTART")
    assert start == event.start
    assert (
        str(start.tzinfo) == "Europe/Madrid" or start.utcoffset() == event.local_start.utcoffset()
    )
    assert str(vevent["LOCATION"]) == "Puerta del Sol, Madrid"
    assert str(vevent["STATUS"]) == "CONFIRMED"
    assert int(vevent["SEQUENCE"]) == 0
    assert str(vevent["UID"]).startswith(f"event-{event.pk}@")
    assert str(vevent["URL"]).endswith(f"/e/{event.pk}/es/")
    (zone,) = calendar.walk("VTIMEZONE")
    assert str(zone["TZID"]) == "Europe/Madrid"


def test_a_change_grows_the_sequence_and_moves_the_time(client: Client, event: Event) -> None:
    before = actions.snapshot(event)
    event.start += dt.timedelta(hours=1)
    event.end += dt.timedelta(hours=1)
    event.save()
    assert actions.changed(event, before, actor=None)
    vevent = _event(_calendar(client, f"/e/{event.pk}/event.ics"))
    assert int(vevent["SEQUENCE"]) == 1
    assert vevent.decoded("DTSTART") == event.start
    local = vevent.decoded("DTSTART").astimezone(ZoneInfo("Europe/Madrid"))
    assert local.hour == 19


def test_a_cancelled_event_stays_in_the_feed_as_cancelled(client: Client, event: Event) -> None:
    other = make_event(event.organisation)
    before = actions.snapshot(event)
    event.status = Event.Status.CANCELLED
    event.save()
    actions.changed(event, before, actor=None)
    calendar = _calendar(client, f"/o/{event.organisation.slug}/events.ics")
    by_uid = {str(v["UID"]): v for v in calendar.walk("VEVENT")}
    assert len(by_uid) == 2
    cancelled = next(v for uid, v in by_uid.items() if uid.startswith(f"event-{event.pk}@"))
    assert str(cancelled["STATUS"]) == "CANCELLED"
    assert int(cancelled["SEQUENCE"]) == 1
    kept = next(v for uid, v in by_uid.items() if uid.startswith(f"event-{other.pk}@"))
    assert str(kept["STATUS"]) == "CONFIRMED"


def test_a_draft_is_in_no_feed(client: Client, event: Event) -> None:
    Event.objects.filter(pk=event.pk).update(published_at=None)
    assert client.get(f"/o/{event.organisation.slug}/events.ics").status_code == 404
    make_event(event.organisation)
    calendar = _calendar(client, f"/o/{event.organisation.slug}/events.ics")
    assert len(calendar.walk("VEVENT")) == 1


def test_the_atom_feed_of_events(client: Client, event: Event) -> None:
    response = client.get(f"/o/{event.organisation.slug}/events.atom")
    assert response.status_code == 200
    assert response["ETag"]
    feed = feedparser.parse(response.content)
    assert not feed.bozo
    (entry,) = feed.entries
    assert entry.title == "Emergency demonstration"
    assert entry.link.endswith(f"/e/{event.pk}/en/")
    assert "Madrid" in entry.summary
    again = client.get(
        f"/o/{event.organisation.slug}/events.atom", HTTP_IF_NONE_MATCH=response["ETag"]
    )
    assert again.status_code == 304


def test_the_organisations_events_page(client: Client, event: Event) -> None:
    past = make_event(
        event.organisation,
        start=event.start - dt.timedelta(days=30),
        end=event.end - dt.timedelta(days=30),
        recording_url="https://video.example.org/w/1",
    )
    html = client.get(f"/o/{event.organisation.slug}/events/").content.decode()
    assert html.index(f"/e/{event.pk}/") < html.index(f"/e/{past.pk}/")
    assert "events.ics" in html


def test_a_past_events_page_shows_its_recording_report_and_attendance(
    client: Client, event: Event
) -> None:
    past = make_event(
        event.organisation,
        start=event.start - dt.timedelta(days=30),
        end=event.end - dt.timedelta(days=30),
        recording_url="https://video.example.org/w/1",
        attendance=1200,
    )
    version = past.versions.get(language="es")
    version.report = "Fuimos **muchas**."
    version.save()
    html = client.get(f"/e/{past.pk}/es/").content.decode()
    assert "https://video.example.org/w/1" in html
    assert "<strong>muchas</strong>" in html
    with translation.override("es"):
        assert f"{grouped(1200)} people came" in html or f"{grouped(1200)} personas" in html
    assert "rsvp/" not in html
