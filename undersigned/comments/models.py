"""Comments under a statement or one of its updates: written by anyone with an email address,
confirmed by a link sent to it before any moderator sees them, then moderated.

A commenter's address is never shown, anywhere: pages, feeds and the organisers' pages show
the name they chose (and the organisation they wrote for), an initials badge, and whether they
signed the statement (only if they asked, and only once the link sent to the address that
signed was followed).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from undersigned.organisations.models import Organisation
from undersigned.statements.models import EMAIL_MAX_LENGTH, Statement
from undersigned.updates.models import Update


class CommentPolicy(models.Model):
    """How a statement takes comments (on its updates too). A statement without a row takes
    them pre-moderated."""

    class Mode(models.TextChoices):
        OFF = "off", _("Off: no comments")
        PRE = "pre", _("Pre-moderated: every comment waits for approval")
        POST = "post", _("Published at once, unless a rule holds it back")

    statement = models.OneToOneField(
        Statement, on_delete=models.CASCADE, related_name="comment_policy"
    )
    mode = models.CharField(_("comments"), max_length=4, choices=Mode.choices, default=Mode.PRE)
    # The rules that still hold a comment back when comments are published at once.
    hold_first = models.BooleanField(
        _("hold a commenter's first comment"),
        default=True,
        help_text=_("The first comment from an address on this organisation's pages waits."),
    )
    hold_links = models.BooleanField(_("hold comments that contain a link"), default=True)
    hold_words = models.BooleanField(
        _("hold comments that contain a word from the organisation's list"), default=True
    )
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.statement_id}: {self.mode}"

    @property
    def is_open(self) -> bool:
        """Whether new comments are taken (published ones stay shown when closed)."""
        return self.mode != self.Mode.OFF and self.closed_at is None

    @property
    def is_shown(self) -> bool:
        return self.mode != self.Mode.OFF


def policy_for(statement: Statement) -> CommentPolicy:
    """The statement's policy, or the default one (unsaved) where it has none. Reads the
    cached statement's prefetched policy where there is one."""
    try:
        return statement.comment_policy
    except CommentPolicy.DoesNotExist:
        return CommentPolicy(statement=statement)


class Moderation(models.Model):
    """An organisation's moderation settings, shared by all its statements."""

    organisation = models.OneToOneField(
        Organisation, on_delete=models.CASCADE, related_name="moderation"
    )
    words = models.TextField(
        _("words that hold a comment back"),
        blank=True,
        help_text=_(
            "One word or phrase per line. A comment that contains one waits for a moderator, "
            "whatever the statement's setting. Case and accents are ignored."
        ),
    )
    reports_to_hold = models.PositiveSmallIntegerField(
        _("reports before a comment returns to the queue"), default=3
    )

    def __str__(self) -> str:
        return str(self.organisation_id)

    def word_list(self) -> list[str]:
        return [line.strip() for line in self.words.splitlines() if line.strip()]


class Comment(models.Model):
    class State(models.TextChoices):
        # Written, waiting for its link to be followed; nobody but the writer's inbox knows.
        UNCONFIRMED = "unconfirmed", pgettext_lazy("comment state", "not confirmed")
        HELD = "held", pgettext_lazy("comment state", "waiting for a moderator")
        PUBLISHED = "published", pgettext_lazy("comment state", "published")
        REJECTED = "rejected", pgettext_lazy("comment state", "rejected")
        SPAM = "spam", pgettext_lazy("comment state", "spam")
        # Its commenter's comments are hidden in the organisation.
        HIDDEN = "hidden", pgettext_lazy("comment state", "hidden")
        # Deleted by its writer, or erased on request: nothing of the writer is kept.
        DELETED = "deleted", pgettext_lazy("comment state", "deleted")

    class Reason(models.TextChoices):
        """Why a comment waits (several may apply, stored comma-separated)."""

        PREMODERATED = "pre", _("every comment waits")
        FIRST = "first", _("first comment from this address")
        LINK = "link", _("contains a link")
        WORDS = "words", _("contains a word from the list")
        REPORTED = "reported", _("reported by readers")
        EDITED = "edited", _("edited after approval")
        HIDDEN = "hidden", _("from a hidden commenter")
        # A form robots would send: held before confirmation, nothing emailed.
        HONEYPOT = "honeypot", _("hidden field filled in")
        TOO_FAST = "too_fast", _("sent too fast")
        NO_PROOF = "no_proof", _("no proof of work")
        RATE = "rate", _("too many from one network")

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="comments"
    )
    statement = models.ForeignKey(Statement, on_delete=models.CASCADE, related_name="comments")
    # A comment on one of the statement's updates; none for the statement itself.
    update = models.ForeignKey(
        Update, on_delete=models.CASCADE, null=True, blank=True, related_name="comments"
    )
    # One level of replies: a reply's parent is never a reply.
    parent = models.ForeignKey(
        "self", on_delete=models.CASCADE, null=True, blank=True, related_name="replies"
    )
    # The language version it was written on, shown beside it on the others.
    language = models.CharField(max_length=35)
    name = models.CharField(_("name"), max_length=100)
    organisation_name = models.CharField(_("organisation"), max_length=200, blank=True)
    email = models.EmailField(_("email"), max_length=EMAIL_MAX_LENGTH, blank=True)
    email_canonical = models.CharField(max_length=EMAIL_MAX_LENGTH, blank=True)
    text = models.TextField(_("comment"))
    state = models.CharField(max_length=12, choices=State.choices, default=State.UNCONFIRMED)
    # Why it waits or waited (Reason values, comma-separated).
    reasons = models.CharField(max_length=100, blank=True)
    # The commenter asked to be shown as a signatory, and signed from this address.
    wants_signatory = models.BooleanField(default=False)
    is_signatory = models.BooleanField(default=False)
    notify_replies = models.BooleanField(default=False)
    # A reply written by a moderator for the organisation: shown with its name.
    by_organisation = models.BooleanField(default=False)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    pinned_at = models.DateTimeField(null=True, blank=True)
    consent_version = models.CharField(max_length=32, blank=True)
    consent_at = models.DateTimeField(null=True, blank=True)
    confirm_hash = models.CharField(max_length=64, null=True, blank=True, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    # When it last started waiting for a moderator (for the moderators' digest).
    held_at = models.DateTimeField(null=True, blank=True)
    edited_at = models.DateTimeField(null=True, blank=True)
    moderated_at = models.DateTimeField(null=True, blank=True)
    moderated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        indexes = [
            # A page's comments, newest first, keyset-paginated.
            models.Index(
                fields=["statement", "update", "state", "parent", "-published_at", "-id"],
                name="comment_page",
            ),
            # The few pinned comments a page shows first, found without reading the others.
            models.Index(
                fields=["statement", "update", "state", "parent"],
                condition=models.Q(pinned_at__isnull=False),
                name="comment_pinned",
            ),
            # A comment's published replies (whether a deleted comment still has any).
            models.Index(fields=["parent", "state"], name="comment_replies"),
            models.Index(fields=["organisation", "state", "created_at"], name="comment_queue"),
            models.Index(fields=["organisation", "email_canonical"], name="comment_commenter"),
            models.Index(fields=["state", "created_at"], name="comment_purge"),
        ]

    def __str__(self) -> str:
        return f"{self.pk}: {self.name}"

    def reason_list(self) -> list[str]:
        return [code for code in self.reasons.split(",") if code]

    def reason_labels(self) -> list[str]:
        labels = dict(self.Reason.choices)
        return [str(labels.get(code, code)) for code in self.reason_list()]


class CommentToken(models.Model):
    """A link that lets a comment's writer edit it (for a while) or delete it: one per email
    sent, only its hash kept."""

    comment = models.ForeignKey(Comment, on_delete=models.CASCADE, related_name="tokens")
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return str(self.comment_id)


class Report(models.Model):
    """A reader's report of a published comment. `client` is a keyed hash of where it came
    from, so one reader counts once; reports a moderator has dealt with are `settled`."""

    class Reason(models.TextChoices):
        SPAM = "spam", _("Spam or advertising")
        ABUSE = "abuse", _("Abusive, hateful or threatening")
        PERSONAL = "personal", _("It reveals someone's personal details")
        OTHER = "other", _("Something else")

    comment = models.ForeignKey(Comment, on_delete=models.CASCADE, related_name="reports")
    reason = models.CharField(_("reason"), max_length=12, choices=Reason.choices)
    detail = models.CharField(_("details"), max_length=500, blank=True)
    client = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now)
    settled = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["comment", "client"], name="report_once_per_client")
        ]

    def __str__(self) -> str:
        return f"{self.comment_id}: {self.reason}"


class HiddenCommenter(models.Model):
    """An address whose comments are hidden on all the organisation's pages, and whose new
    comments wait for a moderator. `name` is the name they used, for the organisers' list."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="hidden_commenters"
    )
    email_canonical = models.CharField(max_length=EMAIL_MAX_LENGTH)
    name = models.CharField(max_length=100)
    hidden_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "email_canonical"], name="hidden_commenter_once"
            )
        ]

    def __str__(self) -> str:
        return self.name


class DigestSubscription(models.Model):
    """A moderator who is emailed, at most every COMMENT_DIGEST_MINUTES, what waits in their
    organisation's queue."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    # The interface language the moderator asked in: the digest's.
    language = models.CharField(max_length=35, default="en")
    last_sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["organisation", "user"], name="digest_once")]

    def __str__(self) -> str:
        return f"{self.organisation_id}: {self.user_id}"


def statement_policy() -> models.Prefetch[Any]:
    """The statement's comment policy, read with the cached statement (see policy_for)."""
    return models.Prefetch("comment_policy")
