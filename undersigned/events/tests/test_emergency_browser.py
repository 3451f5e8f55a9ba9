"""The emergency demonstration, end to end: an organiser creates it in the dashboard in two
languages, a visitor says she is coming in Spanish in real Chromium without JavaScript, and
confirms from the email that crossed a real SMTP server; the reminders reach her; the
organiser moves it by an hour, everyone coming is told, and the calendar files show the
change to a calendar program (the icalendar package)."""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo

import icalendar
import pytest
import time_machine
from django.test import Client
from django.utils import timezone
from playwright.sync_api import expect

from undersigned.conftest import SmtpSink, text_body
from undersigned.events.models import Attendee, Event
from undersigned.jobs.queue import drain
from undersigned.statements.models import Statement
from undersigned.statements.tests import test_browser
from undersigned.statements.tests.test_browser import Chromium, subject_of

pytestmark = pytest.mark.browser

site = test_browser.site
chromium = test_browser.chromium

MADRID = zoneinfo.ZoneInfo("Europe/Madrid")


def _calendar_start(client: Client, path: str) -> tuple[dt.datetime, int]:
    response = client.get(path)
    assert response.status_code == 200
    (vevent,) = icalendar.Calendar.from_ical(response.content).walk("VEVENT")
    return vevent.decoded("DTSTART"), int(vevent["SEQUENCE"])


def test_an_emergency_demonstration_from_the_dashboard_to_the_attendees_calendar(
    chromium: Chromium,
    site: str,
    statement: Statement,
    member_client: Client,
    smtp_server: SmtpSink,
) -> None:
    # The organiser creates it, in English and Spanish, and publishes it.
    day = (timezone.now() + dt.timedelta(days=3)).astimezone(MADRID).date()
    created = member_client.post(
        "/dashboard/o/red-estudiantil/events/new/",
        {
            "language": "en",
            "title": "Emergency demonstration",
            "description": "Bring a banner.",
            "statement": str(statement.pk),
            "zone": "Europe/Madrid",
            "start": f"{day.isoformat()}T18:00",
            "end": f"{day.isoformat()}T20:00",
            "place": "Puerta del Sol, Madrid",
            "max_guests": "2",
            "rsvp_open": "on",
            "reminders": "24, 1",
        },
    )
    assert created.status_code == 302
    event = Event.objects.get()
    spanish = {"language": "es", "title": "Concentración urgente", "description": "Trae algo."}
    assert (
        member_client.post(f"/dashboard/events/{event.pk}/versions/new/", spanish).status_code
        == 302
    )
    assert member_client.post(f"/dashboard/events/{event.pk}/publish/").status_code == 302

    # A visitor, without JavaScript, says she is coming in Spanish.
    page = chromium.new_page(javascript=False)
    response = page.goto(f"/e/{event.pk}/es/")
    assert response is not None and response.status == 200
    expect(page.locator("html")).to_have_attribute("lang", "es")
    expect(page.get_by_role("heading", level=1)).to_have_text("Concentración urgente")
    form = page.locator("#rsvp form")
    form.locator("input[name=name]").fill("Lucía Mamani")
    form.locator("input[name=email]").fill("lucia@example.net")
    form.locator("select[name=guests]").select_option("1")
    form.locator("input[name=consent]").check()
    with page.expect_navigation():
        form.locator("button[type=submit]").click()
    expect(page).to_have_url(re.compile(rf"/e/{event.pk}/es/check-email/$"))
    # Without the browser's proof of work the form is held, as a sign form is: the organiser
    # releases it from the attendees' page.
    held = Attendee.objects.get()
    assert held.hold_reason == Attendee.HoldReason.NO_PROOF
    assert drain() == 0
    released = member_client.post(
        f"/dashboard/events/{event.pk}/attendees/held/",
        {"attendee": [str(held.pk)], "decision": "release"},
    )
    assert released.status_code == 302
    drain()
    (confirmation,) = smtp_server.messages
    assert confirmation["To"] == "lucia@example.net"
    assert "Concentración urgente" in subject_of(confirmation)
    found = re.search(re.escape(site) + rf"/e/{event.pk}/confirm/[-\w]+/", text_body(confirmation))
    assert found is not None
    page.goto(found.group())
    with page.expect_navigation():
        page.locator("main form button").click()
    expect(page).to_have_url(re.compile(rf"/e/{event.pk}/es/confirmed/$"))
    attendee = Attendee.objects.get()
    assert (attendee.state, attendee.guests, attendee.language) == ("going", 1, "es")
    drain()
    placed = smtp_server.messages[-1]
    assert "Puerta del Sol" in text_body(placed)

    # The reminders, 24 hours and 1 hour before.
    for hours in (24, 1):
        with time_machine.travel(event.start - dt.timedelta(hours=hours, minutes=-1)):
            drain()
        reminder = smtp_server.messages[-1]
        assert reminder["To"] == "lucia@example.net"
        assert f"/e/{event.pk}/cancel/" in text_body(reminder)
    assert len(smtp_server.messages) == 4

    # The organiser moves it by an hour: asked first how many are emailed, then saved.
    before, sequence = _calendar_start(Client(), f"/e/{event.pk}/event.ics")
    assert (before, sequence) == (event.start, 0)
    later = {
        "default_language": "en",
        "statement": str(statement.pk),
        "zone": "Europe/Madrid",
        "start": f"{day.isoformat()}T19:00",
        "end": f"{day.isoformat()}T21:00",
        "place": "Puerta del Sol, Madrid",
        "max_guests": "2",
        "rsvp_open": "on",
        "reminders": "24, 1",
    }
    url = f"/dashboard/events/{event.pk}/edit/"
    asked = member_client.post(url, later)
    assert asked.status_code == 200
    assert Event.objects.get().start == event.start  # nothing saved before the organiser agrees
    assert member_client.post(url, {**later, "confirmed": "1"}).status_code == 302
    drain()
    told = smtp_server.messages[-1]
    assert told["To"] == "lucia@example.net"
    assert "19:00" in text_body(told) and "18:00" in text_body(told)

    # Calendars see the change: the new time, a higher SEQUENCE, in the event's file and the
    # organisation's feed.
    after, sequence = _calendar_start(Client(), f"/e/{event.pk}/event.ics")
    assert after == event.start + dt.timedelta(hours=1)
    assert after.astimezone(MADRID).hour == 19
    assert sequence == 1
    feed = icalendar.Calendar.from_ical(Client().get("/o/red-estudiantil/events.ics").content)
    (vevent,) = feed.walk("VEVENT")
    assert vevent.decoded("DTSTART") == after
    assert int(vevent["SEQUENCE"]) == 1
    assert not [url for url in chromium.requests if not url.startswith(site)]


def test_with_javascript_the_form_is_not_held_and_the_time_shows_in_the_readers_zone(
    chromium: Chromium, site: str, statement: Statement, smtp_server: SmtpSink
) -> None:
    from undersigned.events.tests.conftest import make_event

    event = make_event(statement.organisation, statement)
    context = chromium.browser.new_context(
        base_url=site, locale="es-PE", timezone_id="America/Lima"
    )
    page = context.new_page()
    page.goto(f"/e/{event.pk}/es/")
    # Madrid's 18:00 is Lima's 12:00: the page says both.
    local = page.locator("[data-local-time]")
    expect(local).to_be_visible()
    expect(local).to_contain_text("12:00")
    form = page.locator("#rsvp form")
    form.locator("input[name=name]").fill("Rosa Quispe")
    form.locator("input[name=email]").fill("rosa@example.net")
    form.locator("input[name=consent]").check()
    with page.expect_navigation():
        form.locator("button[type=submit]").click()
    expect(page).to_have_url(re.compile(rf"/e/{event.pk}/es/check-email/$"))
    assert Attendee.objects.get().hold_reason == ""
    drain()
    (confirmation,) = smtp_server.messages
    assert confirmation["To"] == "rosa@example.net"
    context.close()
