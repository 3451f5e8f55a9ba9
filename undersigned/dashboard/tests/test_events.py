"""Events in the dashboard: creating a bilingual one through the forms, changes attendees are
told of (and asked about first), what is never emailed, times the clocks skip or repeat, the
attendees' lists, check-in, export and held RSVPs, and the organisers' emails to attendees."""

from __future__ import annotations

import csv
import datetime as dt
import io
import zoneinfo
from typing import Any

from django.contrib.auth.models import User
from django.core import mail
from django.test import Client
from django.utils import timezone

from undersigned.audit.models import AuditLog
from undersigned.events import actions
from undersigned.events.models import Attendee, Event, EventVersion, Message
from undersigned.events.tests.conftest import make_event, send_emails
from undersigned.jobs.models import Job
from undersigned.organisations.models import Organisation
from undersigned.statements.models import Statement

MADRID = zoneinfo.ZoneInfo("Europe/Madrid")
LOCAL = "%Y-%m-%dT%H:%M"


def _attendee(event: Event, n: int, state: str = Attendee.State.GOING, **fields: Any) -> Attendee:
    now = timezone.now()
    values: dict[str, Any] = {
        "event": event,
        "name": f"Attendee {n}",
        "email": f"a{n}@example.net",
        "email_canonical": f"a{n}@example.net",
        "language": "es",
        "consent_version": "test",
        "state": state,
        "confirmed_at": None if state == Attendee.State.PENDING else now,
        "placed_at": now if state == Attendee.State.GOING else None,
    }
    values.update(fields)
    return Attendee.objects.create(**values)


def _local(moment: dt.datetime, zone: str = "Europe/Madrid") -> str:
    return moment.astimezone(zoneinfo.ZoneInfo(zone)).strftime(LOCAL)


def _edit_data(event: Event, **overrides: Any) -> dict[str, Any]:
    """The edit form as the browser sends it back unchanged."""
    data: dict[str, Any] = {
        "default_language": event.default_language,
        "statement": event.statement_id or "",
        "zone": event.zone,
        "start": _local(event.start, event.zone),
        "end": _local(event.end, event.zone),
        "place": event.place,
        "latitude": "" if event.latitude is None else str(event.latitude),
        "longitude": "" if event.longitude is None else str(event.longitude),
        "online_url": event.online_url,
        "capacity": "" if event.capacity is None else str(event.capacity),
        "max_guests": str(event.max_guests),
        "rsvp_open": "on" if event.rsvp_open else "",
        "reminders": ", ".join(str(hours) for hours in event.reminders),
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def _new_data(**overrides: Any) -> dict[str, Any]:
    day = (timezone.now() + dt.timedelta(days=10)).astimezone(MADRID).date()
    data = {
        "language": "en",
        "title": "Emergency demonstration",
        "description": "Bring **banners**.",
        "zone": "Europe/Madrid",
        "start": f"{day.isoformat()}T18:00",
        "end": f"{day.isoformat()}T20:00",
        "place": "Puerta del Sol, Madrid",
        "latitude": "40.41690",
        "longitude": "-3.70350",
        "max_guests": "2",
        "rsvp_open": "on",
        "reminders": "24, 1",
    }
    data.update(overrides)
    return data


def test_an_organiser_creates_a_bilingual_event_through_the_forms(
    member_client: Client, statement: Statement
) -> None:
    page = member_client.get("/dashboard/o/red-estudiantil/events/new/")
    assert page.status_code == 200
    data = _new_data(statement=str(statement.pk))
    response = member_client.post("/dashboard/o/red-estudiantil/events/new/", data)
    assert response.status_code == 302
    event = Event.objects.get()
    assert response["Location"] == f"/dashboard/events/{event.pk}/"
    day = dt.date.fromisoformat(data["start"][:10])
    start = dt.datetime.combine(day, dt.time(18), tzinfo=MADRID)
    assert (event.start, event.end) == (start, start + dt.timedelta(hours=2))
    assert event.start.utcoffset() == dt.timedelta(0)  # stored in UTC
    assert (event.statement, event.default_language, event.reminders) == (statement, "en", [24, 1])
    assert not event.is_published
    spanish = {"language": "es", "title": "Concentración urgente", "description": "Trae algo."}
    response = member_client.post(f"/dashboard/events/{event.pk}/versions/new/", spanish)
    assert response["Location"] == f"/dashboard/events/{event.pk}/versions/es/"
    assert sorted(event.versions.values_list("language", flat=True)) == ["en", "es"]
    assert Client().get(f"/e/{event.pk}/es/").status_code == 404  # a draft
    assert member_client.post(f"/dashboard/events/{event.pk}/publish/").status_code == 302
    public = Client().get(f"/e/{event.pk}/es/")
    assert public.status_code == 200
    assert "Concentración urgente" in public.content.decode()
    # Reminders are set for 24 h and 1 h before the start.
    reminders = Job.objects.filter(kind=actions.REMIND, payload__event=event.pk)
    assert sorted(job.payload["hours"] for job in reminders) == [1, 24]
    listed = member_client.get("/dashboard/o/red-estudiantil/events/").content.decode()
    assert "Emergency demonstration" in listed
    actions_logged = set(AuditLog.objects.values_list("action", flat=True))
    assert {"event.created", "event.version_added", "event.published"} <= actions_logged


def test_the_zone_defaults_to_the_organisations_country(
    member_client: Client, organisation: Organisation
) -> None:
    Organisation.objects.filter(pk=organisation.pk).update(country="PE")
    page = member_client.get("/dashboard/o/red-estudiantil/events/new/")
    assert page.context["form"]["zone"].value() == "America/Lima"


def test_the_statement_is_one_of_the_organisations_own(
    member_client: Client, statement: Statement
) -> None:
    other = Organisation.objects.create(name="Other", slug="other-org")
    theirs = Statement.objects.create(organisation=other, slug="theirs", default_language="en")
    response = member_client.post(
        "/dashboard/o/red-estudiantil/events/new/", _new_data(statement=str(theirs.pk))
    )
    assert response.status_code == 400
    assert "statement" in response.context["form"].errors
    assert not Event.objects.exists()


def test_bad_times_zones_and_reminders_are_refused_with_a_reason(
    member_client: Client, organisation: Organisation
) -> None:
    url = "/dashboard/o/red-estudiantil/events/new/"
    day = _new_data()["start"][:10]
    cases = [
        ({"end": f"{day}T17:00"}, "end", "must end after it starts"),
        ({"zone": "Europe/Atlantis"}, "zone", "Pick a time zone"),
        ({"reminders": "24, 0"}, "reminders", "whole hours from 1 to 720"),
        ({"reminders": "721"}, "reminders", "whole hours from 1 to 720"),
        ({"reminders": "a day"}, "reminders", "whole hours from 1 to 720"),
        ({"place": "", "latitude": "", "longitude": ""}, "place", "online link, or both"),
        ({"longitude": ""}, "longitude", "both the latitude and the longitude"),
        ({"online_url": "http://meet.example.org/x"}, "online_url", "https://"),
    ]
    for change, field, message in cases:
        response = member_client.post(url, _new_data(**change))
        assert response.status_code == 400, change
        assert message in str(response.context["form"].errors[field]), change
    assert not Event.objects.exists()
    member_client.post(url, _new_data(reminders="1 24 24; 3"))
    assert Event.objects.get().reminders == [24, 3, 1]


def test_a_time_the_clocks_skip_is_refused_and_one_they_repeat_is_asked_about(
    member_client: Client, organisation: Organisation
) -> None:
    url = "/dashboard/o/red-estudiantil/events/new/"
    # Madrid's clocks go from 02:00 to 03:00 on 28 March 2027, and back on 31 October 2027.
    skipped = member_client.post(url, _new_data(start="2027-03-28T02:30", end="2027-03-28T05:00"))
    assert skipped.status_code == 400
    error = str(skipped.context["form"].errors["start"])
    assert "does not exist in Europe/Madrid" in error
    assert "03:30" in error  # the time it would be, offered instead
    twice = member_client.post(url, _new_data(start="2027-10-31T02:30", end="2027-10-31T05:00"))
    assert twice.status_code == 400
    assert "comes twice in Europe/Madrid" in str(twice.context["form"].errors["start"])
    page = twice.content.decode()
    assert 'name="start_fold"' in page and "UTC+2" in page and "UTC+1" in page
    assert not Event.objects.exists()
    chosen = _new_data(start="2027-10-31T02:30", end="2027-10-31T05:00", start_fold="1")
    assert member_client.post(url, chosen).status_code == 302
    event = Event.objects.get()
    assert event.start == dt.datetime(2027, 10, 31, 1, 30, tzinfo=dt.UTC)  # the second 02:30
    # Sent back unchanged, the time stays the second one.
    response = member_client.post(f"/dashboard/events/{event.pk}/edit/", _edit_data(event))
    assert response.status_code == 302
    event.refresh_from_db()
    assert event.start == dt.datetime(2027, 10, 31, 1, 30, tzinfo=dt.UTC)


def test_moving_the_event_by_an_hour_asks_first_then_emails_every_attendee(
    member_client: Client, statement: Statement
) -> None:
    event = make_event(statement.organisation, statement, capacity=2)
    for n, state in enumerate(
        [
            Attendee.State.GOING,
            Attendee.State.GOING,
            Attendee.State.WAITING,
            Attendee.State.PENDING,
            Attendee.State.CANCELLED,
        ]
    ):
        _attendee(event, n, state)
    url = f"/dashboard/events/{event.pk}/edit/"
    assert "3 people with a place or on the waiting list" in member_client.get(url).content.decode()
    start, end = event.start, event.end
    later = _edit_data(
        event,
        start=_local(start + dt.timedelta(hours=1)),
        end=_local(end + dt.timedelta(hours=1)),
    )
    asked = member_client.post(url, later)
    assert asked.status_code == 200
    text = asked.content.decode()
    assert "Saving emails 3 attendees what changed:" in text and "the time" in text
    event.refresh_from_db()
    assert event.start == start and send_emails() == []
    done = member_client.post(url, {**later, "confirmed": "1"})
    assert done.status_code == 302
    event.refresh_from_db()
    assert (event.start, event.end) == (start + dt.timedelta(hours=1), end + dt.timedelta(hours=1))
    assert event.sequence == 1
    told = send_emails()
    assert sorted(message.to[0] for message in told) == [
        "a0@example.net",
        "a1@example.net",
        "a2@example.net",
    ]
    # The reminders follow the new time.
    job = Job.objects.get(kind=actions.REMIND, payload__event=event.pk, payload__hours=1)
    assert job.run_after == event.start - dt.timedelta(hours=1)


def test_a_change_of_capacity_or_guests_saves_without_asking_or_emailing(
    member_client: Client, statement: Statement
) -> None:
    event = make_event(statement.organisation, statement)
    _attendee(event, 1)
    url = f"/dashboard/events/{event.pk}/edit/"
    response = member_client.post(url, _edit_data(event, capacity="50", max_guests="0"))
    assert response.status_code == 302
    event.refresh_from_db()
    assert (event.capacity, event.max_guests, event.sequence) == (50, 0, 0)
    assert send_emails() == []


def test_cancelling_emails_every_attendee_and_stops_the_reminders(
    member_client: Client, statement: Statement
) -> None:
    event = make_event(statement.organisation, statement, capacity=1)
    actions.schedule_reminders(event)
    _attendee(event, 1)
    _attendee(event, 2, Attendee.State.WAITING, language="en")
    url = f"/dashboard/events/{event.pk}/status/"
    data = {
        "status": "cancelled",
        "en-status_reason": "The square is closed.",
        "es-status_reason": "La plaza está cerrada.",
    }
    assert member_client.post(url, data).status_code == 200  # asked first
    assert Event.objects.get(pk=event.pk).status == Event.Status.SCHEDULED
    assert member_client.post(url, {**data, "confirmed": "1"}).status_code == 302
    event.refresh_from_db()
    assert event.status == Event.Status.CANCELLED
    assert EventVersion.objects.get(event=event, language="es").status_reason == (
        "La plaza está cerrada."
    )
    assert sorted(message.to[0] for message in send_emails()) == [
        "a1@example.net",
        "a2@example.net",
    ]
    assert not Job.objects.filter(kind=actions.REMIND, payload__event=event.pk).exists()


def test_the_recording_attendance_and_report_email_nobody(
    member_client: Client, statement: Statement
) -> None:
    event = make_event(statement.organisation, statement)
    _attendee(event, 1)
    data = {
        "recording_url": "https://video.example.org/watch/1",
        "attendance": "240",
        "en-report": "We were **many**.",
        "es-report": "Fuimos **muchos**.",
    }
    response = member_client.post(f"/dashboard/events/{event.pk}/after/", data)
    assert response.status_code == 302
    event.refresh_from_db()
    assert (event.recording_url, event.attendance, event.sequence) == (
        data["recording_url"],
        240,
        0,
    )
    assert event.versions.get(language="es").report == "Fuimos **muchos**."
    assert send_emails() == []
    assert mail.outbox == []


def test_a_published_event_cannot_be_deleted_but_a_draft_can(
    member_client: Client, statement: Statement
) -> None:
    published = make_event(statement.organisation, statement)
    draft = make_event(statement.organisation, statement, published_at=None)
    member_client.post(f"/dashboard/events/{published.pk}/delete/")
    assert Event.objects.filter(pk=published.pk).exists()
    response = member_client.post(f"/dashboard/events/{draft.pk}/delete/")
    assert response["Location"] == "/dashboard/o/red-estudiantil/events/"
    assert not Event.objects.filter(pk=draft.pk).exists()


def test_the_default_version_cannot_be_deleted_but_another_can(
    member_client: Client, statement: Statement
) -> None:
    event = make_event(statement.organisation, statement)
    member_client.post(f"/dashboard/events/{event.pk}/versions/en/delete/")
    member_client.post(f"/dashboard/events/{event.pk}/versions/es/delete/")
    assert list(event.versions.values_list("language", flat=True)) == ["en"]


def test_editors_see_attendees_viewers_only_counts_and_outsiders_nothing(
    member_client: Client, viewer_client: Client, outsider_client: Client, statement: Statement
) -> None:
    event = make_event(statement.organisation, statement, capacity=10)
    _attendee(event, 1, guests=2)
    _attendee(event, 2, Attendee.State.WAITING)
    _attendee(event, 3, Attendee.State.PENDING, hold_reason=Attendee.HoldReason.HONEYPOT)
    url = f"/dashboard/events/{event.pk}/attendees/"
    page = member_client.get(url).content.decode()
    assert "a1@example.net" in page and "Attendee 2" in page and "a3@example.net" in page
    assert "3 / 10" in page  # places taken, with guests
    viewers = viewer_client.get(url)
    assert viewers.status_code == 200
    text = viewers.content.decode()
    assert "@example.net" not in text and "Attendee 1" not in text
    assert "3 / 10" in text
    for path in ("attendees/check-in-list/", "attendees/export.csv"):
        assert viewer_client.get(f"/dashboard/events/{event.pk}/{path}").status_code == 403
        assert outsider_client.get(f"/dashboard/events/{event.pk}/{path}").status_code == 404
    assert outsider_client.get(url).status_code == 404


def test_the_check_in_list_is_sorted_by_name_and_shows_no_address(
    member_client: Client, statement: Statement
) -> None:
    event = make_event(statement.organisation, statement)
    _attendee(event, 1, name="Zoila Quispe", guests=1)
    _attendee(event, 2, name="ana Mamani")
    _attendee(event, 3, name="Beto Condori", checked_in_at=timezone.now())
    _attendee(event, 4, Attendee.State.WAITING, name="Carla Waiting")
    page = member_client.get(f"/dashboard/events/{event.pk}/attendees/check-in-list/")
    text = page.content.decode()
    assert text.index("ana Mamani") < text.index("Beto Condori") < text.index("Zoila Quispe")
    assert "+1" in text
    assert "@example.net" not in text and "Carla Waiting" not in text
    assert 'href="/static/css/dashboard-events.css"' in text


def test_checking_in_marks_and_unmarks_someone_with_a_place(
    member_client: Client, statement: Statement
) -> None:
    event = make_event(statement.organisation, statement)
    person = _attendee(event, 1)
    waiting = _attendee(event, 2, Attendee.State.WAITING)
    url = f"/dashboard/events/{event.pk}/attendees/check-in/"
    response = member_client.post(url, {"attendee": person.pk})
    assert response["Location"].endswith(f"/attendees/#attendee-{person.pk}")
    person.refresh_from_db()
    assert person.checked_in_at is not None
    member_client.post(url, {"attendee": person.pk})
    member_client.post(url, {"attendee": waiting.pk})
    person.refresh_from_db()
    waiting.refresh_from_db()
    assert person.checked_in_at is None and waiting.checked_in_at is None


def test_the_export_has_those_who_confirmed_safe_for_spreadsheets(
    member_client: Client, statement: Statement
) -> None:
    event = make_event(statement.organisation, statement)
    _attendee(event, 1, name='=HYPERLINK("https://evil.example","x")', guests=2)
    _attendee(event, 2, Attendee.State.WAITING, language="en")
    _attendee(event, 3, Attendee.State.PENDING)
    response = member_client.get(f"/dashboard/events/{event.pk}/attendees/export.csv")
    assert response.status_code == 200
    assert response["Cache-Control"] == "private, no-store"
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0] == ["name", "email", "guests", "state", "confirmed_at", "language"]
    assert [row[1] for row in rows[1:]] == ["a1@example.net", "a2@example.net"]
    assert rows[1][0].startswith("'=HYPERLINK")
    assert rows[1][2:4] == ["2", "going"]
    assert (rows[2][3], rows[2][5]) == ("waiting", "en")
    logged = AuditLog.objects.get(action="attendees.exported")
    assert logged.object_id == event.pk and "@" not in str(logged.data)


def test_held_rsvps_are_released_or_deleted_as_spam(
    member_client: Client, statement: Statement
) -> None:
    event = make_event(statement.organisation, statement)
    robot = actions.Client(hold_reason=Attendee.HoldReason.TOO_FAST)
    actions.rsvp(event, "es", "Lucía Mamani", "lucia@example.net", 0, client=robot)
    actions.rsvp(event, "en", "Spam Bot", "bot@example.net", 0, client=robot)
    assert send_emails() == []
    lucia = Attendee.objects.get(email="lucia@example.net")
    bot = Attendee.objects.get(email="bot@example.net")
    url = f"/dashboard/events/{event.pk}/attendees/held/"
    member_client.post(url, {"attendee": lucia.pk, "decision": "release"})
    (confirmation,) = send_emails()
    assert confirmation.to == ["lucia@example.net"]
    member_client.post(url, {"attendee": bot.pk, "decision": "delete"})
    assert not Attendee.objects.filter(pk=bot.pk).exists()
    assert Attendee.objects.filter(pk=lucia.pk).exists()
    assert AuditLog.objects.get(action="attendees.held_deleted").data["count"] == 1


def test_a_message_is_previewed_tested_and_sent_once(
    member: User, member_client: Client, statement: Statement
) -> None:
    event = make_event(statement.organisation, statement, capacity=2)
    _attendee(event, 1)
    _attendee(event, 2, language="en")
    _attendee(event, 3, Attendee.State.WAITING)
    written = member_client.post(
        f"/dashboard/events/{event.pk}/emails/",
        {"subject": "Meet at the fountain", "body": "Come **early**."},
    )
    message = Message.objects.get()
    assert written["Location"] == f"/dashboard/events/emails/{message.pk}/"
    page = member_client.get(written["Location"]).content.decode()
    assert "Meet at the fountain" in page and "Come **early**." in page
    assert "Concentración urgente" in page  # the Spanish version's preview
    assert "Send to 2 people" in page
    assert send_emails() == []
    member_client.post(f"/dashboard/events/emails/{message.pk}/test/", {"language": "es"})
    (test,) = send_emails()
    assert test.to == [member.email] and test.subject.startswith("[")
    send = f"/dashboard/events/emails/{message.pk}/send/"
    assert member_client.post(send).status_code == 302
    sent = send_emails()
    assert sorted(email.to[0] for email in sent) == ["a1@example.net", "a2@example.net"]
    assert all(email.subject == "Meet at the fountain" for email in sent)
    member_client.post(send)
    assert send_emails() == []
    message.refresh_from_db()
    assert message.recipients == 2 and message.sent_at is not None
    changed = member_client.post(written["Location"], {"subject": "Other", "body": "x"})
    assert changed.status_code == 302
    message.refresh_from_db()
    assert message.subject == "Meet at the fountain"
    listed = member_client.get(f"/dashboard/events/{event.pk}/emails/").content.decode()
    assert "Meet at the fountain" in listed


def test_viewers_change_nothing(viewer_client: Client, statement: Statement) -> None:
    event = make_event(statement.organisation, statement)
    start = event.start
    data = _edit_data(event, start=_local(start + dt.timedelta(hours=1)), confirmed="1")
    assert viewer_client.post(f"/dashboard/events/{event.pk}/edit/", data).status_code == 403
    page = viewer_client.get(f"/dashboard/events/{event.pk}/edit/").content.decode()
    assert "disabled" in page
    event.refresh_from_db()
    assert event.start == start
