"""Saying you are coming without an account: the form on the event's page, confirmation by a
POST from the emailed link, the waiting list, cancelling, and the same answer and the same work
whatever the address did before."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from undersigned.events import actions
from undersigned.events.emails import cancel_token
from undersigned.events.models import Attendee, AttendeeToken, Event
from undersigned.events.tests.conftest import link, make_event, rsvp_data, send_emails
from undersigned.jobs.models import Job
from undersigned.statements.models import Statement


def _rsvp(client: Client, event: Event, language: str = "en", **overrides: Any) -> Any:
    return client.post(f"/e/{event.pk}/{language}/rsvp/", rsvp_data(event, **overrides))


def _confirm_from(message: Any, client: Client) -> Any:
    path = link(message, r"/e/\d+/confirm/[-\w]+/")
    assert client.get(path).status_code == 200
    return client.post(path)


def test_the_event_page_shows_the_form_in_its_language(client: Client, event: Event) -> None:
    page = client.get(f"/e/{event.pk}/es/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Concentración urgente" in html
    assert 'lang="es"' in html
    assert f'action="/e/{event.pk}/es/rsvp/"' in html
    assert "Puerta del Sol" in html
    assert "<strong>pancartas</strong>" in html


def test_a_visitor_rsvps_confirms_and_gets_a_place(client: Client, event: Event) -> None:
    response = _rsvp(client, event, "es", guests="1")
    assert response.status_code == 302
    assert response["Location"] == f"/e/{event.pk}/es/check-email/"
    attendee = Attendee.objects.get()
    assert attendee.state == Attendee.State.PENDING
    (confirmation,) = send_emails()
    assert confirmation.to == ["lucia@example.net"]
    assert "Concentración urgente" in confirmation.subject
    answer = _confirm_from(confirmation, client)
    assert answer.status_code == 302
    assert answer["Location"] == f"/e/{event.pk}/es/confirmed/"
    attendee.refresh_from_db()
    assert (attendee.state, attendee.guests) == (Attendee.State.GOING, 1)
    (placed,) = send_emails()
    assert "Puerta del Sol" in placed.body
    assert f"/e/{event.pk}/cancel/" in placed.body
    assert actions.taken(event) == 2


def test_a_link_used_twice_does_nothing_more(client: Client, event: Event) -> None:
    _rsvp(client, event)
    (confirmation,) = send_emails()
    path = link(confirmation, r"/e/\d+/confirm/[-\w]+/")
    client.post(path)
    assert client.post(path).status_code == 404
    assert AttendeeToken.objects.count() == 0


def test_the_same_work_and_answer_whatever_the_address_did_before(
    client: Client, event: Event
) -> None:
    first = _rsvp(client, event)
    (confirmation,) = send_emails()
    _confirm_from(confirmation, client)
    send_emails()
    # In one minute of the rate counters: a new minute's first count inserts its row.
    with time_machine.travel(timezone.now(), tick=False):
        with CaptureQueriesContext(connection) as again:
            second = _rsvp(client, event)
        with CaptureQueriesContext(connection) as new:
            third = _rsvp(client, event, email="someone.else@example.net")
    assert first["Location"] == second["Location"] == third["Location"]

    def writes(queries: CaptureQueriesContext) -> list[str]:
        return [
            q["sql"].split()[0] + " " + q["sql"].split()[2]
            for q in queries.captured_queries
            if q["sql"].startswith(("INSERT", "UPDATE", "DELETE"))
        ]

    # The row already there is left alone; the rest is the same work.
    assert [w for w in writes(again) if 'attendee"' not in w] == [
        w for w in writes(new) if 'attendee"' not in w
    ]
    emails = send_emails()
    assert len(emails) == 2
    already = next(email for email in emails if email.to == ["lucia@example.net"])
    assert "already has a place" in already.body
    assert Attendee.objects.get(email="lucia@example.net").state == Attendee.State.GOING


def test_a_person_with_a_place_changes_their_guests_by_confirming(
    client: Client, event: Event
) -> None:
    _rsvp(client, event)
    _confirm_from(send_emails()[0], client)
    send_emails()
    _rsvp(client, event, guests="2")
    (again,) = send_emails()
    assert "you and 2 guests" in again.body
    _confirm_from(again, client)
    assert Attendee.objects.get().guests == 2


def test_the_waiting_list_moves_up_when_someone_cancels(client: Client, event: Event) -> None:
    Event.objects.filter(pk=event.pk).update(capacity=2)
    _rsvp(client, event, guests="1")
    _confirm_from(send_emails()[0], client)
    send_emails()
    _rsvp(client, event, name="Pedro", email="pedro@example.net")
    answer = _confirm_from(send_emails()[0], client)
    assert answer["Location"] == f"/e/{event.pk}/en/confirmed/?waiting"
    (waiting,) = send_emails()
    assert "waiting list" in waiting.body
    assert "Puerta del Sol" in waiting.body  # the place is public here
    pedro = Attendee.objects.get(email="pedro@example.net")
    assert pedro.state == Attendee.State.WAITING
    lucia = Attendee.objects.get(email="lucia@example.net")
    cancel = f"/e/{event.pk}/cancel/{cancel_token(lucia.pk)}/"
    assert "Cancel" in client.get(cancel).content.decode()
    assert client.post(cancel).status_code == 200
    pedro.refresh_from_db()
    assert pedro.state == Attendee.State.GOING
    (moved,) = send_emails()
    assert moved.to == ["pedro@example.net"]
    assert moved.subject == "A place opened up for you: Emergency demonstration"


def test_a_big_party_does_not_hold_back_a_smaller_one(event: Event) -> None:
    Event.objects.filter(pk=event.pk).update(capacity=3)
    event.refresh_from_db()
    now = timezone.now()

    def person(email: str, state: str, guests: int, minutes: int) -> Attendee:
        return Attendee.objects.create(
            event=event,
            name=email,
            email=email,
            email_canonical=email,
            guests=guests,
            language="en",
            consent_version="x",
            state=state,
            confirmed_at=now + dt.timedelta(minutes=minutes),
        )

    alone = person("a@example.net", Attendee.State.GOING, 0, 0)
    person("b@example.net", Attendee.State.GOING, 1, 1)
    big = person("c@example.net", Attendee.State.WAITING, 2, 2)
    small = person("d@example.net", Attendee.State.WAITING, 0, 3)
    actions.cancel(alone)
    # One place free: the party of three waits on, the one behind it gets it.
    assert Attendee.objects.get(pk=big.pk).state == Attendee.State.WAITING
    assert Attendee.objects.get(pk=small.pk).state == Attendee.State.GOING


def test_a_private_place_goes_only_to_those_with_a_place(client: Client, event: Event) -> None:
    Event.objects.filter(pk=event.pk).update(place_private=True, capacity=1)
    page = client.get(f"/e/{event.pk}/en/").content.decode()
    assert "Puerta del Sol" not in page
    assert "sent to confirmed attendees" in page
    ics = client.get(f"/e/{event.pk}/event.ics").content.decode()
    assert "Puerta del Sol" not in ics
    _rsvp(client, event)
    (confirmation,) = send_emails()
    assert "Puerta del Sol" not in confirmation.body
    _confirm_from(confirmation, client)
    (placed,) = send_emails()
    assert "Puerta del Sol" in placed.body
    _rsvp(client, event, email="late@example.net")
    _confirm_from(send_emails()[0], client)
    (waiting,) = send_emails()
    assert "Puerta del Sol" not in waiting.body


def test_a_robots_form_is_held_and_sent_nothing(client: Client, event: Event) -> None:
    response = _rsvp(client, event, website="http://spam.example")
    assert response.status_code == 302
    assert Attendee.objects.get().hold_reason == Attendee.HoldReason.HONEYPOT
    assert send_emails() == []
    response = _rsvp(client, event, email="noproof@example.net", proof="")
    assert Attendee.objects.get(email="noproof@example.net").hold_reason == "no_proof"
    assert send_emails() == []
    ids = list(Attendee.objects.values_list("pk", flat=True))
    assert actions.release(event, ids, actor=None) == 2
    assert len(send_emails()) == 2


def test_a_forged_token_is_refused_and_an_old_one_asks_again(client: Client, event: Event) -> None:
    assert _rsvp(client, event, form_token="forged").status_code == 403
    other = make_event(event.organisation)
    response = client.post(f"/e/{event.pk}/en/rsvp/", rsvp_data(other))  # another event's token
    assert response.status_code == 403
    assert Attendee.objects.count() == 0


def test_bad_input_gets_an_error_in_the_readers_language(client: Client, event: Event) -> None:
    response = _rsvp(client, event, "es", email="not an address", consent=None)
    assert response.status_code == 400
    html = response.content.decode()
    assert "Introduzca una dirección de correo electrónico válida." in html
    assert Attendee.objects.count() == 0


def test_no_form_once_cancelled_or_over(client: Client, event: Event) -> None:
    Event.objects.filter(pk=event.pk).update(status=Event.Status.CANCELLED)
    page = client.get(f"/e/{event.pk}/en/").content.decode()
    assert "rsvp/" not in page
    assert _rsvp(client, event).status_code == 409
    Event.objects.filter(pk=event.pk).update(status=Event.Status.SCHEDULED)
    with time_machine.travel(event.end + dt.timedelta(minutes=1)):
        assert _rsvp(client, event).status_code == 409
    assert Attendee.objects.count() == 0


def test_a_draft_is_hidden_from_the_public(client: Client, event: Event) -> None:
    Event.objects.filter(pk=event.pk).update(published_at=None)
    assert client.get(f"/e/{event.pk}/en/").status_code == 404
    assert client.get(f"/e/{event.pk}/event.ics").status_code == 404
    assert _rsvp(client, event).status_code == 404


def test_the_statement_page_shows_its_next_event(client: Client, event: Event) -> None:
    html = client.get("/s/free-them/es/").content.decode()
    assert "Concentración urgente" in html
    assert f"/e/{event.pk}/es/" in html


def test_unconfirmed_rsvps_and_past_attendees_are_deleted(
    client: Client, event: Event, settings: Any
) -> None:
    _rsvp(client, event)
    _rsvp(client, event, email="going@example.net")
    emails = send_emails()
    going = next(e for e in emails if e.to == ["going@example.net"])
    _confirm_from(going, client)
    with time_machine.travel(timezone.now() + dt.timedelta(days=settings.UNCONFIRMED_DAYS + 1)):
        actions.purge()
    assert list(Attendee.objects.values_list("email", flat=True)) == ["going@example.net"]
    later = event.end + dt.timedelta(days=settings.EVENT_ATTENDEES_DAYS + 1)
    with time_machine.travel(later):
        actions.purge()
    assert Attendee.objects.count() == 0
    assert not Job.objects.filter(payload__attendee__isnull=False).exists()


@pytest.mark.parametrize("language", ["en", "es"])
def test_the_default_address_goes_to_the_readers_language(
    client: Client, event: Event, language: str
) -> None:
    response = client.get(f"/e/{event.pk}/", HTTP_ACCEPT_LANGUAGE=language)
    assert response["Location"] == f"/e/{event.pk}/{language}/"


def test_an_event_without_a_statement_works(client: Client, statement: Statement) -> None:
    event = make_event(statement.organisation)
    assert client.get(f"/e/{event.pk}/en/").status_code == 200
    assert _rsvp(client, event).status_code == 302


def test_even_the_confirmation_email_can_cancel_the_request(client: Client, event: Event) -> None:
    _rsvp(client, event)
    (confirmation,) = send_emails()
    cancel = link(confirmation, rf"/e/{event.pk}/cancel/[-\w:]+/")
    confirm = link(confirmation, r"/e/\d+/confirm/[-\w]+/")
    assert client.post(cancel).status_code == 200
    # Nobody confirmed it: the request goes, address and all.
    assert not Attendee.objects.exists()
    assert client.post(confirm).status_code == 404
    assert client.get(cancel).status_code == 404


def test_each_confirmation_email_is_in_the_language_of_its_form(
    client: Client, event: Event
) -> None:
    _rsvp(client, event, "en")
    (english,) = send_emails()
    _rsvp(client, event, "es")
    (spanish,) = send_emails()
    assert "Emergency demonstration" in english.subject
    assert "Concentración urgente" in spanish.subject
    _confirm_from(spanish, client)
    assert Attendee.objects.get().language == "es"
