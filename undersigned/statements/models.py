from __future__ import annotations

import datetime as dt

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.core.validators import MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from undersigned.lib.html import sanitise
from undersigned.lib.languages import direction
from undersigned.organisations.models import Organisation


class Statement(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", pgettext_lazy("statement status", "draft")
        OPEN = "open", pgettext_lazy("statement status", "open")
        CLOSED = "closed", pgettext_lazy("statement status", "closed")

    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="statements"
    )
    slug = models.SlugField(_("slug"), max_length=80, unique=True)
    status = models.CharField(
        _("status"), max_length=8, choices=Status.choices, default=Status.DRAFT
    )
    addressed_to = models.CharField(
        _("addressed to"),
        max_length=200,
        blank=True,
        help_text=_("Whom the statement addresses, e.g. a government or an embassy."),
    )
    goal = models.PositiveIntegerField(
        _("signature goal"), null=True, blank=True, validators=[MinValueValidator(1)]
    )
    deadline = models.DateTimeField(_("deadline"), null=True, blank=True)
    default_language = models.CharField(
        _("default language"),
        max_length=35,
        help_text=_("Language tag of the version shown when none is asked for, e.g. en or es."),
    )
    ask_country = models.BooleanField(_("ask for country"), default=True)
    require_country = models.BooleanField(_("country is required"), default=False)
    ask_postcode = models.BooleanField(_("ask for postcode"), default=False)
    allow_organisations = models.BooleanField(_("organisations may sign"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("-created_at",)
        verbose_name = _("statement")
        verbose_name_plural = _("statements")

    def __str__(self) -> str:
        return self.slug

    @property
    def is_open(self) -> bool:
        if self.status != self.Status.OPEN:
            return False
        return self.deadline is None or self.deadline > timezone.now()

    def days_remaining(self, now: dt.datetime | None = None) -> int | None:
        """Days left before the deadline, a partial day counting as one; None without deadline."""
        if self.deadline is None:
            return None
        left = self.deadline - (now or timezone.now())
        if left.total_seconds() <= 0:
            return 0
        return left.days + (1 if left.seconds or left.microseconds else 0)

    def progress_percent(self, count: int) -> int:
        if not self.goal:
            return 0
        return min(100, count * 100 // self.goal)

    def is_member(self, user: AbstractBaseUser | AnonymousUser) -> bool:
        if not user.is_authenticated:
            return False
        return self.organisation.membership_set.filter(user_id=user.pk).exists()


class StatementVersion(models.Model):
    """The statement in one language. Organiser text is content, not gettext."""

    statement = models.ForeignKey(Statement, on_delete=models.CASCADE, related_name="versions")
    language = models.CharField(
        _("language"),
        max_length=35,
        help_text=_("A BCP 47 language tag: en, es, qu, ay, es-419…"),
    )
    title = models.CharField(_("title"), max_length=200)
    summary = models.TextField(
        _("summary"), max_length=500, help_text=_("One or two sentences, shown in link previews.")
    )
    body = models.TextField(
        _("body"),
        help_text=_(
            "HTML with paragraphs, headings (h2–h4), lists, emphasis and links; "
            "anything else is removed."
        ),
    )
    demands = models.TextField(_("demands"), blank=True, help_text=_("One demand per line."))

    class Meta:
        ordering = ("statement", "language")
        constraints = [
            models.UniqueConstraint(
                fields=("statement", "language"), name="one_version_per_language"
            )
        ]
        verbose_name = _("language version")
        verbose_name_plural = _("language versions")

    def __str__(self) -> str:
        return f"{self.statement.slug} [{self.language}]"

    def save(self, *args: object, **kwargs: object) -> None:
        # Sanitising is normalisation, not validation: whatever path wrote the text (admin,
        # shell, import), only the safe subset reaches the database.
        self.body = sanitise(self.body)
        super().save(*args, **kwargs)  # type: ignore[arg-type]

    @property
    def demand_list(self) -> list[str]:
        return [line.strip() for line in self.demands.splitlines() if line.strip()]

    @property
    def direction(self) -> str:
        return direction(self.language)

    @property
    def og_locale(self) -> str:
        """The tag as OpenGraph writes locales: es_419, pt_BR."""
        return self.language.replace("-", "_")


# The longest address SMTP allows (RFC 5321 path limit less the angle brackets).
EMAIL_MAX_LENGTH = 254


class SignatureQuerySet(models.QuerySet["Signature"]):
    def counted(self) -> SignatureQuerySet:
        return self.filter(state=Signature.State.CONFIRMED)

    def listed(self) -> SignatureQuerySet:
        return self.counted().exclude(display=Signature.Display.HIDDEN)


class Signature(models.Model):
    class Kind(models.TextChoices):
        INDIVIDUAL = "individual", _("as an individual")
        ORGANISATION = "organisation", _("for an organisation")

    class Display(models.TextChoices):
        FULL = "full", _("my full name")
        INITIAL = "initial", _("my first name and initial")
        HIDDEN = "hidden", _("not listed, only counted")

    class State(models.TextChoices):
        # Waiting for the signer to confirm by email.
        PENDING = "pending", _("waiting for email confirmation")
        # Email confirmed; an organisation's signature waits for the organiser's approval.
        AWAITING_APPROVAL = "approval", _("waiting for approval")
        # Counted, and listed unless the signer chose not to be.
        CONFIRMED = "confirmed", _("confirmed")
        # An organisation's signature the organiser turned down.
        REJECTED = "rejected", _("rejected")

    statement = models.ForeignKey(Statement, on_delete=models.CASCADE, related_name="signatures")
    # The language version signed; emails go out in it.
    language = models.CharField(max_length=35)
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.INDIVIDUAL)
    name = models.CharField(_("name"), max_length=100)
    email = models.EmailField(_("email"), max_length=EMAIL_MAX_LENGTH)
    email_canonical = models.CharField(max_length=EMAIL_MAX_LENGTH)
    country = models.CharField(_("country"), max_length=2, blank=True)
    postcode = models.CharField(_("postcode"), max_length=16, blank=True)
    organisation_name = models.CharField(_("organisation"), max_length=200, blank=True)
    organisation_role = models.CharField(_("role or title"), max_length=100, blank=True)
    display = models.CharField(max_length=8, choices=Display.choices, default=Display.FULL)
    wants_updates = models.BooleanField(default=False)
    consent_version = models.CharField(max_length=32)
    consent_at = models.DateTimeField()
    state = models.CharField(max_length=12, choices=State.choices, default=State.PENDING)
    created_at = models.DateTimeField(default=timezone.now)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    approved_at = models.DateTimeField(null=True, blank=True)

    objects = SignatureQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=("statement", "email_canonical"), name="one_signature_per_email"
            )
        ]
        indexes = [
            # The count, and the signatory list in keyset order (queries.signatory_page).
            models.Index(
                fields=("statement", "state", "confirmed_at", "id"), name="signature_list"
            ),
            # The organisations that signed, a few among many individuals.
            models.Index(fields=("statement", "kind", "state"), name="signature_kind"),
        ]
        verbose_name = pgettext_lazy("model name", "signature")
        verbose_name_plural = pgettext_lazy("model name", "signatures")

    def __str__(self) -> str:
        return f"signature {self.pk} on {self.statement_id}"

    @property
    def public_name(self) -> str:
        """The name as the signer chose to appear: full, or first name and initial."""
        if self.display == self.Display.INITIAL:
            return initialled(self.name)
        return self.name


class SignatureToken(models.Model):
    """The hash of one secret link sent to a signer. Every email gets its own token and all stay
    valid, so nobody can disable a signer's withdraw link by signing again with their address.
    """

    signature = models.ForeignKey(Signature, on_delete=models.CASCADE, related_name="tokens")
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"token of signature {self.signature_id}"


def initialled(name: str) -> str:
    """'Ana García López' -> 'Ana G.'; a single name stays as it is."""
    words = name.split()
    if len(words) < 2:
        return name
    return f"{words[0]} {words[1][0]}."
