from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from undersigned.lib.languages import direction, og_locale, version_in
from undersigned.lib.names import initialled
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
    # The page stays up with its count; the form is replaced by a notice.
    signing_paused = models.BooleanField(_("signing paused"), default=False)
    # Erasing a confirmed signer (retention after closing, an erasure request) keeps an
    # anonymous row so that the count does not drop; off, the row goes and the count drops.
    # A signer who withdraws always leaves the count.
    keep_count_after_erasure = models.BooleanField(
        _("keep the count after erasure"),
        default=True,
        help_text=_(
            "When signers' data are erased, keep each confirmed signature as an anonymous row "
            "that still counts. Names, email addresses and every other detail are deleted "
            "either way; a withdrawn signature never counts."
        ),
    )
    cover = models.ForeignKey(
        "pictures.Picture",
        verbose_name=_("cover picture"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("Shown at the top of every language version, with its credit."),
    )
    signatories_hidden = models.BooleanField(
        _("signatory list hidden"),
        default=False,
        help_text=_(
            "Show no signer's name on public pages, whatever each chose; the count stays. "
            "Organisers' exports still show every signature with the signer's choice."
        ),
    )
    # When the status last became closed; with a passed deadline, decides when signers' data
    # are erased (RETENTION_DAYS).
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("-created_at",)
        verbose_name = _("statement")
        verbose_name_plural = _("statements")

    def __str__(self) -> str:
        return self.slug

    def save(self, *args: Any, **kwargs: Any) -> None:
        # Normalisation, not validation: whatever closed it (admin, shell), the time is kept.
        if self.status == self.Status.CLOSED and self.closed_at is None:
            self.closed_at = timezone.now()
        elif self.status != self.Status.CLOSED:
            self.closed_at = None
        fields = kwargs.get("update_fields")
        if fields is not None and "status" in fields:
            kwargs["update_fields"] = {*fields, "closed_at"}
        super().save(*args, **kwargs)

    def closed_since(self, now: dt.datetime | None = None) -> dt.datetime | None:
        """When signing ended: closed by status, or by a deadline that has passed."""
        ends = [
            moment
            for moment in (self.closed_at, self.deadline)
            if moment is not None and moment <= (now or timezone.now())
        ]
        if self.status == self.Status.DRAFT or not ends:
            return None
        return min(ends)

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
        return self.organisation.has_member(user)

    def version_for(self, language: str | None) -> StatementVersion | None:
        """The version in `language`, else the default one, else any (see
        lib.languages.version_in); from the prefetched versions where there are some."""
        return version_in(self.versions.all(), language, self.default_language)


# How organisers write statements and updates (rendered by lib.markdown), for the forms.
MARKDOWN_HELP = _(
    "Markdown: a blank line between paragraphs, # for a heading, - for a list, **bold**, "
    "*italic*, [a link](https://…), ![a picture](address from the Pictures page). Other HTML "
    "than paragraphs, headings, lists, emphasis and links is removed."
)


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
    body = models.TextField(_("body"), help_text=MARKDOWN_HELP)
    demands = models.TextField(_("demands"), blank=True, help_text=_("One demand per line."))
    cover_alt = models.CharField(
        _("cover picture's description in this language"),
        max_length=500,
        blank=True,
        help_text=_(
            "For people who cannot see it. Left empty, the picture's own description is used."
        ),
    )
    addressed_to = models.CharField(
        _("addressed to, in this language"),
        max_length=200,
        blank=True,
        help_text=_(
            "Whom the statement addresses, as readers of this language name them. Left "
            "empty, the statement's own setting is shown."
        ),
    )

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

    @property
    def addressee(self) -> str:
        """Whom this version addresses: its own wording, else the statement's."""
        return self.addressed_to or self.statement.addressed_to

    @property
    def demand_list(self) -> list[str]:
        return [line.strip() for line in self.demands.splitlines() if line.strip()]

    @property
    def direction(self) -> str:
        return direction(self.language)

    @property
    def og_locale(self) -> str:
        """The version's language as OpenGraph's og:locale writes it: es_PE for es-PE; for a
        bare tag, with the organisation's country (es_PE for es in Peru), else the language's
        likely region (es_ES, qu_PE; see lib.languages.og_locale)."""
        return og_locale(self.language, self.statement.organisation.country)


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
        # Email confirmed, but held as suspect (see HoldReason): not counted until an
        # organiser releases it.
        HELD = "held", _("held for review")
        # Turned down by the organiser (an organisation's, or invalidated in bulk): not counted.
        REJECTED = "rejected", _("rejected")

    class Channel(models.TextChoices):
        ONLINE = "online", _("online")
        # Collected on paper (a stall, a demonstration) and typed in by an organiser.
        PAPER = "paper", _("on paper")

    class HoldReason(models.TextChoices):
        NONE = "", _("not held")
        RATE = "rate", _("many signatures from one network")
        HONEYPOT = "honeypot", _("a field only robots fill was filled")
        TOO_FAST = "fast", _("form sent faster than a person types")
        NO_PROOF = "noproof", _("no browser check (JavaScript off)")

    # Indexed with the id (signature_newest below), not alone.
    statement = models.ForeignKey(
        Statement, on_delete=models.CASCADE, related_name="signatures", db_index=False
    )
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
    # Why this signature is held on confirmation instead of counted; empty if it is not.
    hold_reason = models.CharField(
        max_length=8, choices=HoldReason.choices, default=HoldReason.NONE, blank=True
    )
    # A keyed hash of the network (/24 or /48) it was sent from, for organisers' abuse checks;
    # cleared after 48 hours, when the key that made it is deleted (undersigned.abuse).
    network = models.CharField(max_length=32, blank=True, default="")
    channel = models.CharField(max_length=8, choices=Channel.choices, default=Channel.ONLINE)
    # An organisation that signed, shown with its logo in "Signed on": one of the running
    # organisation's pictures, chosen by its organisers (signers upload nothing).
    logo = models.ForeignKey(
        "pictures.Picture", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Set when the signer's data were erased and an anonymous counted row kept.
    erased_at = models.DateTimeField(null=True, blank=True)

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
            # A statement's signatures in id order, which the export, erasure and the
            # dashboard's list read them in. Not covered by one_signature_per_email, though both
            # start with the statement: without it the export is far slower on SQLite, and on
            # PostgreSQL a statement's newest are found by stepping over every other
            # statement's rows (migration 0009).
            models.Index(fields=("statement", "id"), name="signature_newest"),
            # The dashboard's list filtered by state, newest first (dashboard.signatures).
            models.Index(fields=("statement", "state", "id"), name="signature_state"),
            # The organisations that signed, a few among many individuals.
            models.Index(fields=("statement", "kind", "state"), name="signature_kind"),
            # The few recent signatures whose network hash is still kept.
            models.Index(
                fields=("created_at",), name="signature_network", condition=~Q(network="")
            ),
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
    # On PostgreSQL, unique=True also makes an index for LIKE queries, which nothing here makes:
    # migration 0008 drops it, one write fewer for every signer.
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    # True for the token of a sign form that sends no email (held for review, or its page sent
    # again with this address); null for the others. The newest token not unsent is the link
    # an email put off to the next day may carry (statements.emails). Null rather than False so
    # that adding the column is no rewrite of the table on SQLite.
    unsent = models.BooleanField(null=True)

    def __str__(self) -> str:
        return f"token of signature {self.signature_id}"


class ConsentRecord(models.Model):
    """A consent given or withdrawn after signing, from the signer's page. What was agreed when
    signing is on the signature itself (consent_version, consent_at, wants_updates): one form,
    one wording version, one moment.
    """

    class Purpose(models.TextChoices):
        SIGNATURE = "signature", _("counting and showing my signature")
        UPDATES = "updates", _("emails with updates")
        # From one partner organisation of the statement's coalition (see Partner).
        PARTNER_UPDATES = "partner", _("emails with updates from a partner organisation")

    signature = models.ForeignKey(Signature, on_delete=models.CASCADE, related_name="consents")
    purpose = models.CharField(max_length=16, choices=Purpose.choices)
    # For PARTNER_UPDATES: which partner.
    partner = models.ForeignKey(
        "Partner", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    given = models.BooleanField()
    # The version of the wording agreed to (forms.CONSENT_VERSION); empty when withdrawn.
    version = models.CharField(max_length=32, blank=True)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("at", "id")

    def __str__(self) -> str:
        return f"consent {self.purpose} {'given' if self.given else 'withdrawn'}"


# Sources and partners (how a statement is shared, and with whom) live in their own module;
# imported here so that Django registers them with the app and `statements.models` still
# offers every model. Import them from here, never from that module first.
from undersigned.statements.sharing_models import (  # noqa: E402
    Partner,
    PartnerConsent,
    Source,
    SourceCount,
)

# Re-exported: the sharing models are imported from here, with the others.
__all__ = ["Partner", "PartnerConsent", "Source", "SourceCount"]
