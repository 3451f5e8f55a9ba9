"""Reminders before the start, and the emails that tell attendees of a change: each queued in
the transaction that asks for it, sent by the worker, dropped when the event moved on."""

from __future__ import annotations

import datetime as dt

import time_machine
from django.core import mail
from django.utils import timezone, translation
from django.utils.translation import gettext, ngettext

from undersigned.events import actions
from undersigned.events.models import Attendee, Event
from undersigned.events.tests.conftest import send_emails
from undersigned.jobs.models import Job
from undersigned.jobs.queue import drain


def _attendee(event: Event, email: str, state: str = Attendee.State.GOING) -> Attendee:
    return Attendee.objects.create(
        event=event,
        name=email.split("@")[0].title(),
        email=email,
        email_canonical=email,
        language="es",
        consent_version="x",
        state=state,
        confirmed_at=timezone.now(),
    )


def test_reminders_go_at_their_hours_to_those_with_a_place(event: Event) -> None:
    event.capacity = 1
    event.save()
    actions.schedule_reminders(event)
    _attendee(event, "ana@example.net")
    _attendee(event, "wait@example.net", Attendee.State.WAITING)
    _attendee(event, "pending@example.net", Attendee.State.PENDING)
    assert send_emails() == []
    with time_machine.travel(event.start - dt.timedelta(hours=24, minutes=-1)):
        (day_before,) = send_emails()
    assert day_before.to == ["ana@example.net"]
    assert "24" in day_before.subject
    assert "Concentración urgente" in day_before.subject
    assert "Puerta del Sol" in day_before.body
    assert f"/e/{event.pk}/cancel/" in day_before.body
    with time_machine.travel(event.start - dt.timedelta(minutes=59)):
        (hour_before,) = send_emails()
    with translation.override("es"):
        expected = ngettext("In %(hours)s hour: %(title)s", "In %(hours)s hours: %(title)s", 1)
    assert hour_before.subject == expected % {"hours": 1, "title": "Concentración urgente"}


def test_a_reminders_job_run_twice_sends_once(event: Event) -> None:
    _attendee(event, "ana@example.net")
    assert actions.remind(event.pk, 24, event.sequence) == 1
    assert actions.remind(event.pk, 24, event.sequence) == 0
    assert len(send_emails()) == 1


def test_moving_the_event_tells_everyone_and_sets_the_reminders_again(event: Event) -> None:
    event.capacity = 1
    event.save()
    actions.schedule_reminders(event)
    _attendee(event, "ana@example.net")
    _attendee(event, "wait@example.net", Attendee.State.WAITING)
    _attendee(event, "gone@example.net", Attendee.State.CANCELLED)
    before = actions.snapshot(event)
    event.start += dt.timedelta(hours=1)
    event.end += dt.timedelta(hours=1)
    event.save()
    assert actions.changed(event, before, actor=None)
    emails = send_emails()
    assert sorted(email.to[0] for email in emails) == ["ana@example.net", "wait@example.net"]
    told = emails[0]
    with translation.override("es"):
        assert told.subject == gettext("New time: %(title)s") % {"title": "Concentración urgente"}
    assert "18:00" in told.body and "19:00" in told.body  # what it was, and what it is
    runs = sorted(Job.objects.filter(kind=actions.REMIND).values_list("run_after", flat=True))
    assert runs == [event.start - dt.timedelta(hours=24), event.start - dt.timedelta(hours=1)]


def test_an_old_reminder_is_dropped_after_a_change(event: Event) -> None:
    _attendee(event, "ana@example.net")
    actions.remind(event.pk, 24, event.sequence)
    before = actions.snapshot(event)
    event.place = "Plaza Mayor"
    event.save()
    actions.changed(event, before, actor=None)
    emails = send_emails()
    # Only the change: the reminder queued for the old state of the event is not sent.
    assert len(emails) == 1
    assert "Plaza Mayor" in emails[0].body


def test_editing_what_attendees_were_not_told_emails_nobody(event: Event) -> None:
    _attendee(event, "ana@example.net")
    before = actions.snapshot(event)
    event.recording_url = "https://video.example.org/w/1"
    event.attendance = 40
    event.save()
    assert not actions.changed(event, before, actor=None)
    assert send_emails() == []
    assert Event.objects.get(pk=event.pk).sequence == 0


def test_cancelling_tells_everyone_and_stops_the_reminders(event: Event) -> None:
    actions.schedule_reminders(event)
    _attendee(event, "ana@example.net")
    before = actions.snapshot(event)
    event.status = Event.Status.CANCELLED
    event.save()
    version = event.versions.get(language="es")
    version.status_reason = "La plaza está cerrada."
    version.save()
    actions.changed(event, before, actor=None)
    (told,) = send_emails()
    with translation.override("es"):
        assert told.subject == gettext("Cancelled: %(title)s") % {"title": "Concentración urgente"}
    assert "La plaza está cerrada." in told.body
    assert not Job.objects.filter(kind=actions.REMIND).exists()
    assert len(mail.outbox) == 1


def test_a_change_email_over_smtp(event: Event, smtp_server: object) -> None:
    _attendee(event, "ana@example.net")
    before = actions.snapshot(event)
    event.start += dt.timedelta(hours=1)
    event.end += dt.timedelta(hours=1)
    event.save()
    actions.changed(event, before, actor=None)
    drain()
    (message,) = smtp_server.messages  # type: ignore[attr-defined]
    assert message["To"] == "ana@example.net"
    assert message["Auto-Submitted"] == "auto-generated"
