"""Events: an emergency demonstration at a square, an online meeting and its recording. An
organisation publishes them, each in its language versions; people say they are coming without
an account (Attendee), confirmed by email, with a waiting list once the places are taken."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import Any

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from undersigned.events.display import span
from undersigned.lib.languages import version_in
from undersigned.organisations.models import Organisation
from undersigned.statements.models import EMAIL_MAX_LENGTH, MARKDOWN_HELP, Statement

# Hours before the start at which attendees are reminded, unless the event says otherwise.
DEFAULT_REMINDERS = (24, 1)


def default_reminders() -> list[int]:
    return list(DEFAULT_REMINDERS)


class EventQuerySet(models.QuerySet["Event"]):
    def published(self) -> EventQuerySet:
        return self.filter(published_at__isnull=False)

    def upcoming(self, now: dt.datetime | None = None) -> EventQuerySet:
        """Not over yet (cancelled ones included: their page says so)."""
        return self.filter(end__gt=now or timezone.now())

    def past(self, now: dt.datetime | None = None) -> EventQuerySet:
        return self.filter(end__lte=now or timezone.now())


class Event(models.Model):
    class Status(models.TextChoices):
        SCHEDULED = "scheduled", pgettext_lazy("event status", "scheduled")
        POSTPONED = "postponed", pgettext_lazy("event status", "postponed")
        CANCELLED = "cancelled", pgettext_lazy("event status", "cancelled")

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="events")
    statement = models.ForeignKey(
        Statement,
        verbose_name=_("statement"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="events",
        help_text=_("Shown on the statement's page, and its leaflets ask people to sign it."),
    )
    default_language = models.CharField(_("default language"), max_length=35)
    # In UTC, as every datetime; shown in `zone` and in the reader's own.
    start = models.DateTimeField(_("starts"))
    end = models.DateTimeField(_("ends"))
    zone = models.CharField(
        _("time zone"),
        max_length=64,
        help_text=_("Where the event's times are given, e.g. Europe/Madrid or America/Lima."),
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.SCHEDULED
    )
    place = models.TextField(
        _("place"),
        blank=True,
        help_text=_("The address or meeting point, as people should read it."),
    )
    latitude = models.DecimalField(
        _("latitude"),
        max_digits=8,
        decimal_places=5,
        null=True,
        blank=True,
        validators=[MinValueValidator(-90), MaxValueValidator(90)],
    )
    longitude = models.DecimalField(
        _("longitude"),
        max_digits=8,
        decimal_places=5,
        null=True,
        blank=True,
        validators=[MinValueValidator(-180), MaxValueValidator(180)],
    )
    online_url = models.URLField(
        _("online link"), blank=True, help_text=_("Where to join online (https://…).")
    )
    # For actions where the police should not read the place first: the public page says it
    # is sent to confirmed attendees, and their emails carry it.
    place_private = models.BooleanField(
        _("place for confirmed attendees only"),
        default=False,
        help_text=_(
            "The public page says the place is sent to confirmed attendees; their emails carry it."
        ),
    )
    online_private = models.BooleanField(
        _("online link for confirmed attendees only"), default=False
    )
    capacity = models.PositiveIntegerField(
        _("places"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1)],
        help_text=_(
            "Guests included. Once they are taken, people join a waiting list and move up "
            "when someone cancels. Empty for no limit."
        ),
    )
    max_guests = models.PositiveSmallIntegerField(
        _("guests each attendee may bring"),
        default=0,
        validators=[MaxValueValidator(20)],
    )
    rsvp_open = models.BooleanField(_("people can say they are coming"), default=True)
    reminders = models.JSONField(
        _("reminders"),
        default=default_reminders,
        help_text=_("Hours before the start at which attendees are reminded."),
    )
    # Grows with every change attendees are told of (RFC 5545 SEQUENCE): calendars replace the
    # event they hold with the newer one.
    sequence = models.PositiveIntegerField(default=0)
    recording_url = models.URLField(
        _("recording"), blank=True, help_text=_("A link to the video or audio, after the event.")
    )
    attendance = models.PositiveIntegerField(
        _("attendance"), null=True, blank=True, help_text=_("How many came, as counted.")
    )
    # None while a draft; set once, when published.
    published_at = models.DateTimeField(_("published"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    # Any change to what the page or the calendar shows (DTSTAMP, the feeds' updated).
    changed_at = models.DateTimeField(default=timezone.now)

    objects = EventQuerySet.as_manager()

    class Meta:
        ordering = ("start", "pk")
        indexes = [models.Index(fields=("organisation", "start"), name="event_calendar")]
        verbose_name = _("event")
        verbose_name_plural = _("events")

    def __str__(self) -> str:
        return f"event {self.pk}"

    @property
    def tz(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.zone)

    @property
    def local_start(self) -> dt.datetime:
        return self.start.astimezone(self.tz)

    @property
    def local_end(self) -> dt.datetime:
        return self.end.astimezone(self.tz)

    @property
    def when(self) -> str:
        """The day and hours in the event's zone, in the active language."""
        return span(self.local_start, self.local_end, self.zone)

    @property
    def is_published(self) -> bool:
        return self.published_at is not None

    @property
    def is_cancelled(self) -> bool:
        return self.status == self.Status.CANCELLED

    def is_over(self, now: dt.datetime | None = None) -> bool:
        return self.end <= (now or timezone.now())

    def takes_rsvps(self, now: dt.datetime | None = None) -> bool:
        """Whether the form is shown and accepted: published, scheduled, not over."""
        return (
            self.is_published
            and self.rsvp_open
            and self.status != self.Status.CANCELLED
            and not self.is_over(now)
        )

    @property
    def has_place(self) -> bool:
        return bool(self.place.strip() or self.latitude is not None)

    @property
    def map_url(self) -> str:
        """A link to the place on OpenStreetMap (a link only: no map is loaded on our pages)."""
        if self.latitude is None or self.longitude is None:
            return ""
        return (
            f"https://www.openstreetmap.org/?mlat={self.latitude}&mlon={self.longitude}"
            f"#map=17/{self.latitude}/{self.longitude}"
        )

    def version_for(self, language: str | None) -> EventVersion | None:
        """The version in `language`, else in the default language, else any."""
        return version_in(self.versions.all(), language, self.default_language)


class EventVersion(models.Model):
    """The event in one language. Organiser text is content, not gettext."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="versions")
    language = models.CharField(_("language"), max_length=35)
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True, help_text=MARKDOWN_HELP)
    # Why it was postponed or cancelled, shown beside the status.
    status_reason = models.CharField(_("reason for the status"), max_length=300, blank=True)
    # After the event: what happened, in a few paragraphs.
    report = models.TextField(_("report"), blank=True, help_text=MARKDOWN_HELP)

    class Meta:
        ordering = ("event", "language")
        constraints = [
            models.UniqueConstraint(
                fields=("event", "language"), name="one_event_version_per_language"
            )
        ]
        verbose_name = _("event version")
        verbose_name_plural = _("event versions")

    def __str__(self) -> str:
        return f"event {self.event_id} [{self.language}]"


class AttendeeQuerySet(models.QuerySet["Attendee"]):
    def going(self) -> AttendeeQuerySet:
        return self.filter(state=Attendee.State.GOING)

    def waiting(self) -> AttendeeQuerySet:
        return self.filter(state=Attendee.State.WAITING)

    def told_of_changes(self) -> AttendeeQuerySet:
        """Those a change is emailed to: with a place or on the waiting list."""
        return self.filter(state__in=(Attendee.State.GOING, Attendee.State.WAITING))


class Attendee(models.Model):
    """Someone who said they are coming, without an account. Their address is shown to the
    organisation's editors and owners only, and is kept until the event's data are erased."""

    class State(models.TextChoices):
        # Asked, not yet confirmed by the email's link.
        PENDING = "pending", pgettext_lazy("attendee", "not confirmed")
        GOING = "going", pgettext_lazy("attendee", "has a place")
        WAITING = "waiting", pgettext_lazy("attendee", "on the waiting list")
        CANCELLED = "cancelled", pgettext_lazy("attendee", "cancelled")

    class HoldReason(models.TextChoices):
        NONE = "", _("none")
        HONEYPOT = "honeypot", _("hidden field filled in")
        TOO_FAST = "too_fast", _("sent too fast")
        NO_PROOF = "no_proof", _("no proof of work")
        RATE = "rate", _("too many from one network")

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="attendees")
    name = models.CharField(_("name"), max_length=100)
    email = models.EmailField(_("email"), max_length=EMAIL_MAX_LENGTH)
    email_canonical = models.CharField(max_length=EMAIL_MAX_LENGTH)
    guests = models.PositiveSmallIntegerField(_("guests"), default=0)
    # The language version the person read; emails come in it.
    language = models.CharField(max_length=35)
    consent_version = models.CharField(max_length=32)
    consent_at = models.DateTimeField(default=timezone.now)
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    # Held for an organiser to look at (as a held signature): sent nothing until released.
    hold_reason = models.CharField(
        max_length=10, choices=HoldReason.choices, blank=True, default=""
    )
    created_at = models.DateTimeField(default=timezone.now)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    # When the person got a place: the waiting list moves up in order of confirmation.
    placed_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    checked_in_at = models.DateTimeField(null=True, blank=True)

    objects = AttendeeQuerySet.as_manager()

    class Meta:
        ordering = ("event", "confirmed_at", "pk")
        constraints = [
            models.UniqueConstraint(
                fields=("event", "email_canonical"), name="one_attendee_per_email"
            )
        ]
        indexes = [models.Index(fields=("event", "state"), name="attendee_state")]
        verbose_name = _("attendee")
        verbose_name_plural = _("attendees")

    def __str__(self) -> str:
        return f"attendee {self.pk} of {self.event_id}"

    @property
    def places(self) -> int:
        return 1 + self.guests


class AttendeeToken(models.Model):
    """The hash of the secret link in one confirmation email, with what that form asked for:
    confirming applies it (a new RSVP, or a change of name or guests), so a form sent again by
    someone else changes nothing until the address's owner confirms it."""

    attendee = models.ForeignKey(Attendee, on_delete=models.CASCADE, related_name="tokens")
    token_hash = models.CharField(max_length=64, unique=True)
    name = models.CharField(max_length=100)
    guests = models.PositiveSmallIntegerField(default=0)
    language = models.CharField(max_length=35)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"token of attendee {self.attendee_id}"


class Reminder(models.Model):
    """A reminder queued for an event's attendees: one per time before the start and per
    SEQUENCE, however often its job runs."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="+")
    hours = models.PositiveSmallIntegerField()
    sequence = models.PositiveIntegerField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=("event", "hours", "sequence"), name="one_reminder_per_time"
            )
        ]

    def __str__(self) -> str:
        return f"reminder {self.hours} h of {self.event_id}"


class Message(models.Model):
    """An organiser's email to an event's attendees, sent through the outbox."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="messages")
    subject = models.CharField(_("subject"), max_length=150)
    body = models.TextField(_("text"), help_text=MARKDOWN_HELP)
    # Who it goes to: those with a place, or the waiting list too.
    include_waiting = models.BooleanField(_("the waiting list too"), default=False)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    sent_at = models.DateTimeField(null=True, blank=True)
    recipients = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("-created_at", "-pk")

    def __str__(self) -> str:
        return f"message {self.pk} of {self.event_id}"


# Events shown on a statement's page: the next ones.
STATEMENT_EVENTS = 3


def upcoming_events() -> models.Prefetch[Any]:
    """A statement's next published events with their versions, as `upcoming_events`. Which
    are over is decided when the page is shown (the statement is cached a while)."""
    return models.Prefetch(
        "events",
        Event.objects.published()
        .filter(end__gt=timezone.now() - dt.timedelta(days=1))
        .prefetch_related("versions")
        .order_by("start", "pk")[: STATEMENT_EVENTS + 2],
        to_attr="upcoming_events",
    )
