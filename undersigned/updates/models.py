"""Campaign news: an organiser's update to a statement, written in each language version and
published on the statement's page and in its feeds."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from undersigned.lib.languages import version_in
from undersigned.statements.models import MARKDOWN_HELP, Statement


class UpdateQuerySet(models.QuerySet["Update"]):
    def published(self) -> UpdateQuerySet:
        return self.filter(published_at__isnull=False, published_at__lte=timezone.now())


class Update(models.Model):
    statement = models.ForeignKey(Statement, on_delete=models.CASCADE, related_name="updates")
    # None while a draft; set once, when published.
    published_at = models.DateTimeField(_("published"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    objects = UpdateQuerySet.as_manager()

    class Meta:
        ordering = ("-published_at", "-created_at", "-pk")
        indexes = [models.Index(fields=("statement", "published_at"), name="update_list")]
        verbose_name = _("update")
        verbose_name_plural = _("updates")

    def __str__(self) -> str:
        return f"update {self.pk} of {self.statement_id}"

    @property
    def is_published(self) -> bool:
        return self.published_at is not None

    def version_for(self, language: str) -> UpdateVersion | None:
        """The version in `language`, else in the statement's default language, else any."""
        return version_in(self.versions.all(), language, self.statement.default_language)


class UpdateVersion(models.Model):
    """The update in one language. Organiser text is content, not gettext."""

    update = models.ForeignKey(Update, on_delete=models.CASCADE, related_name="versions")
    language = models.CharField(_("language"), max_length=35)
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("text"), help_text=MARKDOWN_HELP)

    class Meta:
        ordering = ("update", "language")
        constraints = [
            models.UniqueConstraint(
                fields=("update", "language"), name="one_update_version_per_language"
            )
        ]
        verbose_name = _("update version")
        verbose_name_plural = _("update versions")

    def __str__(self) -> str:
        return f"update {self.update_id} [{self.language}]"


class UpdateMailing(models.Model):
    """An update emailed to those who asked for the organisation's updates: asked for once,
    then delivered by the worker (undersigned.updates.delivery)."""

    update = models.OneToOneField(Update, on_delete=models.CASCADE, related_name="mailing")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    requested_at = models.DateTimeField(default=timezone.now)
    # Set once every recipient has a Delivery row.
    prepared_at = models.DateTimeField(null=True, blank=True)
    # Set once no delivery is left to try.
    finished_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"mailing of update {self.update_id}"


class Delivery(models.Model):
    """One recipient of an update's email: a signer or a follower, never an address (it is
    read when sending, so an erased or unsubscribed person is skipped)."""

    class State(models.TextChoices):
        QUEUED = "queued", _("waiting")
        SENT = "sent", _("sent")
        # Refused by the mail server for good, or given up after retries.
        FAILED = "failed", _("failed")
        # Unsubscribed, erased or bounced since the mailing was asked for.
        SKIPPED = "skipped", _("skipped")

    mailing = models.ForeignKey(UpdateMailing, on_delete=models.CASCADE, related_name="deliveries")
    signature = models.ForeignKey(
        "statements.Signature", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    follower = models.ForeignKey(
        "Follower", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    state = models.CharField(max_length=8, choices=State.choices, default=State.QUEUED)
    attempts = models.PositiveSmallIntegerField(default=0)
    # Set while a worker holds it; one that dies frees it when this passes.
    locked_until = models.DateTimeField(null=True, blank=True)
    # Not before this (a retry's backoff).
    run_after = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    # Exception class and SMTP code of the last failure; never message text.
    error = models.CharField(max_length=200, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=("mailing", "signature"),
                condition=models.Q(signature__isnull=False),
                name="one_delivery_per_signature",
            ),
            models.UniqueConstraint(
                fields=("mailing", "follower"),
                condition=models.Q(follower__isnull=False),
                name="one_delivery_per_follower",
            ),
        ]
        indexes = [
            # The deliveries still to send, a mailing at a time, however many were sent.
            models.Index(
                fields=("mailing", "id"),
                condition=models.Q(state="queued"),
                name="delivery_queue",
            ),
            # Progress: deliveries per state of one mailing.
            models.Index(fields=("mailing", "state"), name="delivery_state"),
        ]

    def __str__(self) -> str:
        return f"delivery {self.pk} of {self.mailing_id}"


class FollowerQuerySet(models.QuerySet["Follower"]):
    def following(self) -> FollowerQuerySet:
        """Confirmed and not unsubscribed: those updates are emailed to."""
        return self.filter(confirmed_at__isnull=False, unsubscribed_at__isnull=True)


class Follower(models.Model):
    """Someone who follows a statement's updates without signing it: double opt-in, the same
    consent as a signer's "email me updates"."""

    statement = models.ForeignKey(Statement, on_delete=models.CASCADE, related_name="followers")
    email = models.EmailField(_("email"), max_length=254)
    email_canonical = models.CharField(max_length=254)
    # The language version followed; updates come in it, or in the default one.
    language = models.CharField(max_length=35)
    consent_version = models.CharField(max_length=32)
    consent_at = models.DateTimeField(default=timezone.now)
    created_at = models.DateTimeField(default=timezone.now)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    unsubscribed_at = models.DateTimeField(null=True, blank=True)

    objects = FollowerQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=("statement", "email_canonical"), name="one_follower_per_email"
            )
        ]
        verbose_name = _("follower")
        verbose_name_plural = _("followers")

    def __str__(self) -> str:
        return f"follower {self.pk} of {self.statement_id}"

    @property
    def is_following(self) -> bool:
        """Confirmed and not unsubscribed: updates are emailed to this follower."""
        return self.confirmed_at is not None and self.unsubscribed_at is None


class FollowerToken(models.Model):
    """The hash of the secret link in one confirmation email to a follower.

    A random token stored as its hash, as for signatures, rather than a signed token with an
    expiry: confirming spends it (every token of the follower is deleted, so a link used
    again does nothing), and none outlives the follower it names (deleted with the row by
    purging or erasure), whereas a signed token stays valid until it expires whatever
    happened since. It works for UNCONFIRMED_DAYS after it was sent; earlier links of a
    follower who asked again stay valid, so nobody can disable another's link by following
    with their address.
    """

    follower = models.ForeignKey(Follower, on_delete=models.CASCADE, related_name="tokens")
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"token of follower {self.follower_id}"


class Bounce(models.Model):
    """An address that bounced, as a keyed hash of its canonical form (recipients.bounce_key):
    no update is sent to it again, whichever statement it signed or followed."""

    key = models.CharField(max_length=64, unique=True)
    # Where it was reported from: "command" or "hook".
    source = models.CharField(max_length=16)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"bounce {self.pk}"


# Updates shown on a statement's page, newest first.
LATEST_UPDATES = 3


def latest_updates() -> models.Prefetch[Any]:
    """A statement's latest published updates with their versions, as `latest_updates`."""
    return models.Prefetch(
        "updates",
        Update.objects.filter(published_at__isnull=False)
        .prefetch_related("versions")
        .order_by("-published_at", "-pk")[:LATEST_UPDATES],
        to_attr="latest_updates",
    )


class NoticeQuerySet(models.QuerySet["Notice"]):
    def shown(self) -> NoticeQuerySet:
        now = timezone.now()
        return self.filter(models.Q(shown_until__isnull=True) | models.Q(shown_until__gt=now))


class Notice(models.Model):
    """A short announcement at the top of a statement's page, such as an emergency
    demonstration ("Saturday 3 pm, Trafalgar Square"), with a link; without a statement, on the
    home page and every statement's page (a superuser's, in the admin). A reader can hide it
    (see undersigned.public.views.notices)."""

    statement = models.ForeignKey(
        Statement, on_delete=models.CASCADE, related_name="notices", null=True, blank=True
    )
    text = models.CharField(_("text"), max_length=200)
    link = models.URLField(_("link"), blank=True, help_text=_("Where to read more (https://…)."))
    link_text = models.CharField(
        _("link text"), max_length=60, blank=True, help_text=_("Such as “Details and route”.")
    )
    shown_until = models.DateTimeField(_("shown until"), null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    objects = NoticeQuerySet.as_manager()

    class Meta:
        ordering = ("-created_at", "-pk")
        verbose_name = _("notice")
        verbose_name_plural = _("notices")

    def __str__(self) -> str:
        return self.text
