"""Changes to events and their attendees: each atomic, each audited without personal data.

Places are decided with the event's row locked, so two confirmations cannot both take the last
place: a person gets a place if their party (themselves and their guests) fits in what is left,
else joins the waiting list. When places free up (a cancellation, fewer guests, more places),
the waiting list moves up in the order people confirmed; a party too big for what is left does
not hold back a smaller one behind it. Everyone who moves up is told by email.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Count, QuerySet, Sum
from django.utils import timezone

from undersigned.abuse import limits, quota
from undersigned.audit.models import AuditLog, record
from undersigned.events.emails import CHANGED, CONFIRM, MESSAGE, MESSAGE_TEST, PLACE
from undersigned.events.forms import RSVP_CONSENT_VERSION
from undersigned.events.models import Attendee, AttendeeToken, Event, Message, Reminder
from undersigned.jobs import queue, scrub
from undersigned.jobs.models import Job
from undersigned.lib.emails import canonical_email
from undersigned.lib.tokens import hash_token, new_token
from undersigned.mailings import outbox

# The job that sends one of an event's reminders (undersigned.events.jobs).
REMIND = "events.remind"


@dataclasses.dataclass(frozen=True, slots=True)
class Client:
    """Who sent a public form without an account (an RSVP, a pledge, a comment), for
    anti-abuse: keyed hashes only, as for a sign form."""

    # Counted against SIGN_RATE_LIMITS: the client and the event.
    rate_key: str = ""
    # Counted against CLIENT_EMAIL_LIMITS: the emails the client made the site send.
    email_key: str = ""
    # Held for review, and sent nothing until released (honeypot, too fast, no proof of work).
    hold_reason: str = ""

    def held_for(self, now: dt.datetime) -> str:
        """Why its form is held: its own reason, or "rate" once it is past the rate limits
        (counted now: call inside the transaction that stores the form); "" if it is not."""
        if self.hold_reason:
            return self.hold_reason
        if self.rate_key and limits.beyond_limits([self.rate_key], now, other=[self.email_key])[0]:
            # Spelt so by every model that holds forms (funds' and comments' too).
            return str(Attendee.HoldReason.RATE)
        return ""


def rsvp(
    event: Event, language: str, name: str, email: str, guests: int, *, client: Client
) -> None:
    """Ask for a place. Returns nothing on purpose: what the caller can observe must not depend
    on whether the address asked before. Every request does the same work: an attendee row
    where there was none, a link token holding what this form asked for, and (unless held,
    or past the address's daily cap) one email; the email says what confirming would do.
    An address keeps its row's details until its owner confirms a form."""
    canonical = canonical_email(email)
    address_key = quota.key_for(canonical)
    token = new_token()
    now = timezone.now()
    with transaction.atomic():
        hold = client.held_for(now)
        attendee = _attendee(event, canonical, email, name, guests, language, hold, now)
        AttendeeToken.objects.create(
            attendee=attendee,
            token_hash=hash_token(token),
            name=name,
            guests=guests,
            language=language,
            created_at=now,
        )
        # A held form sends nothing, so it does not use up the address's day.
        if not hold and quota.take([address_key])[0]:
            outbox.enqueue(CONFIRM, {"attendee": attendee.pk, "token": token})


def _attendee(
    event: Event,
    canonical: str,
    email: str,
    name: str,
    guests: int,
    language: str,
    hold: str,
    now: dt.datetime,
) -> Attendee:
    """The address's attendee row, inserted pending if there was none."""
    try:
        with transaction.atomic():
            return Attendee.objects.create(
                event=event,
                email_canonical=canonical,
                email=email,
                name=name,
                guests=guests,
                language=language,
                consent_version=RSVP_CONSENT_VERSION,
                consent_at=now,
                created_at=now,
                hold_reason=hold,
            )
    except IntegrityError:
        return Attendee.objects.get(event=event, email_canonical=canonical)


def attendee_for_token(event: Event, token: str) -> tuple[Attendee, AttendeeToken] | None:
    """The attendee of this event a confirmation link names, and what its form asked for,
    while the link is valid (UNCONFIRMED_DAYS)."""
    cutoff = timezone.now() - dt.timedelta(days=settings.UNCONFIRMED_DAYS)
    found = (
        AttendeeToken.objects.select_related("attendee")
        .filter(
            attendee__event=event,
            token_hash=hash_token(token),
            created_at__gte=cutoff,
        )
        .first()
    )
    return (found.attendee, found) if found else None


def taken(event: Event) -> int:
    """Places taken: those with a place and their guests."""
    total = event.attendees.going().aggregate(guests=Sum("guests", default=0), parties=Count("pk"))
    return int(total["guests"]) + int(total["parties"])


def _fits(event: Event, places: int, taken_now: int) -> bool:
    return event.capacity is None or taken_now + places <= event.capacity


class Outcome:
    GOING = "going"
    WAITING = "waiting"
    # The new number of guests did not fit: the place is kept with the old number.
    KEPT = "kept"
    CLOSED = "closed"


def confirm(attendee: Attendee, asked: AttendeeToken) -> str:
    """Apply what a confirmed form asked for: a place, or a place on the waiting list, or the
    new name and guests of someone who has one. The address's links are spent. Returns an
    Outcome; the attendee is emailed where they stand."""
    with transaction.atomic():
        event = Event.objects.select_for_update().get(pk=attendee.event_id)
        person = Attendee.objects.select_for_update().get(pk=attendee.pk)
        AttendeeToken.objects.filter(attendee=person).delete()
        guests = min(asked.guests, event.max_guests)
        now = timezone.now()
        person.name, person.language = asked.name, asked.language
        person.hold_reason = ""
        if person.state in (Attendee.State.GOING, Attendee.State.WAITING):
            outcome = _change_guests(event, person, guests)
        elif not event.takes_rsvps(now):
            person.save(update_fields=("name", "language", "hold_reason"))
            return Outcome.CLOSED
        else:
            person.guests = guests
            person.confirmed_at = now
            person.cancelled_at = None
            if _fits(event, person.places, taken(event)):
                person.state, person.placed_at = Attendee.State.GOING, now
                outcome = Outcome.GOING
            else:
                person.state = Attendee.State.WAITING
                outcome = Outcome.WAITING
        person.save(
            update_fields=(
                "name",
                "language",
                "guests",
                "state",
                "hold_reason",
                "confirmed_at",
                "placed_at",
                "cancelled_at",
            )
        )
        record("attendee.confirmed", object_id=person.pk, event=event.pk, outcome=outcome)
        outbox.enqueue(PLACE, {"attendee": person.pk, "sequence": event.sequence})
        move_up(event)
    return outcome


def _change_guests(event: Event, person: Attendee, guests: int) -> str:
    """Someone with a place, or waiting, asks to bring a different number of guests."""
    if person.state == Attendee.State.WAITING:
        person.guests = guests
        return Outcome.WAITING
    others = taken(event) - person.places
    if _fits(event, 1 + guests, others):
        person.guests = guests
        return Outcome.GOING
    return Outcome.KEPT


def move_up(event: Event) -> int:
    """Give places to the waiting list, in order of confirmation, as far as they go; each one
    who moves up is emailed. Call with the event's row locked. Returns how many moved."""
    if event.status == Event.Status.CANCELLED or event.is_over():
        return 0
    free = None if event.capacity is None else event.capacity - taken(event)
    moved: list[int] = []
    now = timezone.now()
    for person in event.attendees.waiting().order_by("confirmed_at", "pk"):
        if free is not None and person.places > free:
            continue
        moved.append(person.pk)
        if free is not None:
            free -= person.places
    if moved:
        Attendee.objects.filter(pk__in=moved).update(state=Attendee.State.GOING, placed_at=now)
        outbox.enqueue_many(
            PLACE,
            [{"attendee": pk, "sequence": event.sequence, "moved_up": True} for pk in moved],
        )
        record("attendees.moved_up", object_id=event.pk, count=len(moved))
    return len(moved)


def cancel(attendee: Attendee) -> bool:
    """The attendee is not coming: their place goes to the waiting list. A request nobody
    confirmed is deleted with its address (someone who did not ask says so this way). True if
    this call cancelled it; cancelling twice cancels once."""
    with transaction.atomic():
        event = Event.objects.select_for_update().get(pk=attendee.event_id)
        unconfirmed = Attendee.objects.filter(pk=attendee.pk, confirmed_at__isnull=True)
        if erase(unconfirmed):
            record("attendee.withdrawn", object_id=None, event=event.pk)
            return True
        changed = (
            Attendee.objects.filter(pk=attendee.pk)
            .exclude(state=Attendee.State.CANCELLED)
            .update(state=Attendee.State.CANCELLED, cancelled_at=timezone.now())
        )
        AttendeeToken.objects.filter(attendee=attendee.pk).delete()
        if changed:
            record("attendee.cancelled", object_id=attendee.pk, event=event.pk)
            move_up(event)
    return bool(changed)


def release(event: Event, ids: list[int], *, actor: Any) -> int:
    """Held RSVPs an organiser looked at: each gets its confirmation email now."""
    with transaction.atomic():
        people = list(
            Attendee.objects.filter(event=event, pk__in=ids, state=Attendee.State.PENDING).exclude(
                hold_reason=""
            )
        )
        for person in people:
            token = new_token()
            latest = person.tokens.order_by("-created_at").first()
            AttendeeToken.objects.create(
                attendee=person,
                token_hash=hash_token(token),
                name=latest.name if latest else person.name,
                guests=latest.guests if latest else person.guests,
                language=latest.language if latest else person.language,
            )
            outbox.enqueue(CONFIRM, {"attendee": person.pk, "token": token})
        Attendee.objects.filter(pk__in=[person.pk for person in people]).update(hold_reason="")
        if people:
            record("attendees.released", actor=actor, object_id=event.pk, count=len(people))
    return len(people)


# What attendees are told of when it changes, with the calendar's SEQUENCE.
TOLD_FIELDS = (
    "start",
    "end",
    "zone",
    "status",
    "place",
    "latitude",
    "longitude",
    "online_url",
    "place_private",
    "online_private",
)


def snapshot(event: Event) -> dict[str, Any]:
    """What attendees were told, before an organiser's edit (for `changed`)."""
    return {field: getattr(event, field) for field in TOLD_FIELDS}


def changed(event: Event, before: dict[str, Any], *, actor: Any) -> bool:
    """After an organiser saved the event: if anything attendees were told changed, the
    calendar's SEQUENCE grows, reminders are set again for the new time, and everyone with a
    place or waiting is emailed what changed. Places free up if capacity grew. Returns
    whether attendees are told."""
    now_values = snapshot(event)
    fields = [field for field in TOLD_FIELDS if before.get(field) != now_values[field]]
    with transaction.atomic():
        locked = Event.objects.select_for_update().get(pk=event.pk)
        if not fields:
            Event.objects.filter(pk=event.pk).update(changed_at=timezone.now())
            move_up(locked)
            return False
        locked.sequence += 1
        locked.changed_at = timezone.now()
        locked.save(update_fields=("sequence", "changed_at"))
        event.sequence, event.changed_at = locked.sequence, locked.changed_at
        schedule_reminders(locked)
        was = {
            "start": before["start"].isoformat(),
            "end": before["end"].isoformat(),
            "zone": before["zone"],
            "status": before["status"],
            "place": before["place"] if not before["place_private"] else "",
            "fields": fields,
        }
        people = list(event.attendees.told_of_changes().values_list("pk", flat=True))
        outbox.enqueue_many(
            CHANGED,
            [{"attendee": pk, "sequence": locked.sequence, "was": was} for pk in people],
        )
        record(
            "event.changed",
            actor=actor,
            object_id=event.pk,
            fields=fields,
            told=len(people),
            sequence=locked.sequence,
        )
        move_up(locked)
    return True


def publish(event: Event, *, actor: Any) -> None:
    with transaction.atomic():
        if Event.objects.filter(pk=event.pk, published_at__isnull=True).update(
            published_at=timezone.now(), changed_at=timezone.now()
        ):
            event.refresh_from_db()
            schedule_reminders(event)
            record("event.published", actor=actor, object_id=event.pk)


def schedule_reminders(event: Event) -> None:
    """Queue the event's reminders for its current time, in place of any queued before. Call
    inside the transaction that changed the event."""
    Job.objects.filter(kind=REMIND, payload__event=event.pk).delete()
    if not event.is_published or event.status != Event.Status.SCHEDULED:
        return
    now = timezone.now()
    hours = sorted({int(h) for h in event.reminders if int(h) > 0}, reverse=True)
    due = [(h, event.start - dt.timedelta(hours=h)) for h in hours]
    due = [(h, at) for h, at in due if at > now]
    queue.enqueue_many(
        REMIND,
        [{"event": event.pk, "hours": h, "sequence": event.sequence} for h, _at in due],
        after=[at for _h, at in due],
    )


def remind(event_id: int, hours: int, sequence: int) -> int:
    """Queue one reminder email per attendee with a place, once per event, time and sequence
    (a job run twice queues them once). Returns how many."""
    from undersigned.events.emails import REMINDER

    with transaction.atomic():
        event = Event.objects.select_for_update().filter(pk=event_id).first()
        if (
            event is None
            or event.sequence != sequence
            or event.status != Event.Status.SCHEDULED
            or not event.is_published
        ):
            return 0
        _reminder, created = Reminder.objects.get_or_create(
            event=event, hours=hours, sequence=sequence
        )
        if not created:
            return 0
        people = list(event.attendees.going().values_list("pk", flat=True))
        outbox.enqueue_many(
            REMINDER,
            [{"attendee": pk, "sequence": sequence, "hours": hours} for pk in people],
        )
    return len(people)


def send_message(message: Message, *, actor: Any) -> int:
    """Email an organiser's message to the event's attendees (those with a place, and the
    waiting list if asked), once. Returns how many it goes to."""
    with transaction.atomic():
        if not Message.objects.filter(pk=message.pk, sent_at__isnull=True).update(
            sent_at=timezone.now()
        ):
            return 0
        people = message.event.attendees.going()
        if message.include_waiting:
            people = message.event.attendees.told_of_changes()
        ids = list(people.values_list("pk", flat=True))
        outbox.enqueue_many(MESSAGE, [{"attendee": pk, "message": message.pk} for pk in ids])
        Message.objects.filter(pk=message.pk).update(recipients=len(ids))
        record(
            "event.message_sent",
            actor=actor,
            object_id=message.event_id,
            message=message.pk,
            recipients=len(ids),
        )
    return len(ids)


def send_test(message: Message, language: str, to: str) -> None:
    """The message as an attendee reading `language` gets it, to the organiser only."""
    with transaction.atomic():
        outbox.enqueue(MESSAGE_TEST, {"message": message.pk, "language": language, "to": to})


def erase(attendees: QuerySet[Attendee]) -> int:
    """Delete these attendees with their link tokens, queued emails, demo mails, and the audit
    log's link to their rows. Returns how many. Call inside a transaction."""
    rows = list(attendees.values_list("pk", "email"))
    if not rows:
        return 0
    ids = [pk for pk, _email in rows]
    outbox.forget("attendee", ids, emails=[email for _pk, email in rows])
    AuditLog.objects.filter(action__startswith="attendee.", object_id__in=ids).update(
        object_id=None
    )
    Attendee.objects.filter(pk__in=ids).delete()
    scrub.after_erasure()
    return len(ids)


scrub.holds_personal_data(Attendee)
scrub.holds_personal_data(AttendeeToken)


def erase_attendees(event: Event, *, reason: str, actor: Any = None) -> int:
    """Delete every attendee of the event (see erase); audited with the number only."""
    with transaction.atomic():
        deleted = erase(Attendee.objects.filter(event=event))
        if deleted:
            record(
                "attendees.erased", actor=actor, object_id=event.pk, reason=reason, count=deleted
            )
    return deleted


def purge(now: dt.datetime | None = None) -> int:
    """Housekeeping: delete RSVPs nobody confirmed within UNCONFIRMED_DAYS, and every
    attendee of events over for EVENT_ATTENDEES_DAYS (the organiser's attendance figure
    stays). Returns how many rows went."""
    now = now or timezone.now()
    unconfirmed = now - dt.timedelta(days=settings.UNCONFIRMED_DAYS)
    over = now - dt.timedelta(days=settings.EVENT_ATTENDEES_DAYS)
    deleted = 0
    with transaction.atomic():
        stale = Attendee.objects.filter(
            state=Attendee.State.PENDING, created_at__lt=unconfirmed
        ).exclude(tokens__created_at__gte=unconfirmed)
        ids = list(stale.order_by("pk").values_list("pk", flat=True)[:10_000])
        deleted += erase(Attendee.objects.filter(pk__in=ids))
        ended = list(
            Event.objects.filter(end__lt=over, attendees__isnull=False)
            .distinct()
            .values_list("pk", flat=True)[:100]
        )
        for pk in ended:
            deleted += erase(Attendee.objects.filter(event_id=pk))
        if deleted:
            record("attendees.purged", count=deleted)
    return deleted
