"""Fighting funds: an organisation raises money toward a target, optionally for a statement or
an event. Every amount is an integer in the fund currency's minor unit (undersigned.lib.money).

The ledger is Contribution: money received (online, by bank transfer, in cash, by cheque),
money promised (a pledge, confirmed by email) and money expected (a bank transfer whose
reference was given out, a card payment begun at the provider). Nothing is ever deleted: a
mistake is voided with a reason, and the thermometer counts only what is received (and, in its
second tone, what is pledged).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from undersigned.events.models import Attendee, Event
from undersigned.lib.languages import version_in
from undersigned.organisations.models import Organisation
from undersigned.statements.models import EMAIL_MAX_LENGTH, MARKDOWN_HELP, Statement


class FundQuerySet(models.QuerySet["Fund"]):
    def published(self) -> FundQuerySet:
        return self.filter(published_at__isnull=False)


class Fund(models.Model):
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="funds")
    statement = models.ForeignKey(
        Statement,
        verbose_name=_("statement"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="funds",
        help_text=_("The statement's page shows the fund's thermometer."),
    )
    event = models.ForeignKey(
        Event,
        verbose_name=_("event"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="funds",
    )
    default_language = models.CharField(_("default language"), max_length=35)
    # ISO 4217; every amount of the fund is in its minor unit.
    currency = models.CharField(_("currency"), max_length=3)
    target = models.BigIntegerField(_("target"), validators=[MinValueValidator(1)])
    starts_on = models.DateField(_("starts"), default=timezone.localdate)
    ends_on = models.DateField(
        _("ends"), null=True, blank=True, help_text=_("The last day of giving; empty for none.")
    )
    show_donors = models.BooleanField(
        _("show the donors who asked to be named"),
        default=False,
        help_text=_("Donors are anonymous unless each asks to be shown by name."),
    )
    # The smallest and largest gift the public forms take (a pledge, a transfer, a card).
    min_amount = models.BigIntegerField(_("smallest gift"), default=100)
    max_amount = models.BigIntegerField(_("largest gift"), default=1_000_000)
    pledges_open = models.BooleanField(_("take pledges"), default=True)
    online_open = models.BooleanField(
        _("take card payments"),
        default=True,
        help_text=_("Through the payment provider the site is set up with, if any."),
    )
    # Where a bank transfer goes; no transfer is offered without an account.
    bank_holder = models.CharField(_("account holder"), max_length=70, blank=True)
    bank_iban = models.CharField(_("IBAN"), max_length=34, blank=True)
    bank_bic = models.CharField(_("BIC"), max_length=11, blank=True)
    bank_details = models.TextField(
        _("other account details"),
        blank=True,
        help_text=_("Sort code and account number, bank name: as donors should read them."),
    )
    published_at = models.DateTimeField(_("published"), null=True, blank=True)
    # The close switch: no more public gifts; entries can still be made in the dashboard.
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    changed_at = models.DateTimeField(default=timezone.now)

    objects = FundQuerySet.as_manager()

    class Meta:
        ordering = ("-created_at", "-pk")
        verbose_name = _("fund")
        verbose_name_plural = _("funds")

    def __str__(self) -> str:
        return f"fund {self.pk}"

    @property
    def is_published(self) -> bool:
        return self.published_at is not None

    def is_over(self, today: dt.date | None = None) -> bool:
        return self.ends_on is not None and (today or timezone.localdate()) > self.ends_on

    def takes_gifts(self, today: dt.date | None = None) -> bool:
        """Whether the public forms are shown and accepted."""
        today = today or timezone.localdate()
        return (
            self.is_published
            and self.closed_at is None
            and today >= self.starts_on
            and not self.is_over(today)
        )

    def days_left(self, today: dt.date | None = None) -> int | None:
        """Days of giving left, today included; None without an end."""
        if self.ends_on is None:
            return None
        return max(0, (self.ends_on - (today or timezone.localdate())).days + 1)

    @property
    def takes_transfers(self) -> bool:
        return bool(self.bank_iban or self.bank_details.strip())

    @property
    def has_epc_qr(self) -> bool:
        """The EPC QR code (EPC069-12) is for euro SEPA credit transfers only."""
        return self.currency == "EUR" and bool(self.bank_iban and self.bank_holder)

    def version_for(self, language: str | None) -> FundVersion | None:
        return version_in(self.versions.all(), language, self.default_language)


class FundVersion(models.Model):
    """The fund in one language. Organiser text is content, not gettext."""

    fund = models.ForeignKey(Fund, on_delete=models.CASCADE, related_name="versions")
    language = models.CharField(_("language"), max_length=35)
    title = models.CharField(_("title"), max_length=200)
    text = models.TextField(_("text"), blank=True, help_text=MARKDOWN_HELP)

    class Meta:
        ordering = ("fund", "language")
        constraints = [
            models.UniqueConstraint(
                fields=("fund", "language"), name="one_fund_version_per_language"
            )
        ]
        verbose_name = _("fund version")
        verbose_name_plural = _("fund versions")

    def __str__(self) -> str:
        return f"fund {self.fund_id} [{self.language}]"


class Contribution(models.Model):
    """One line of a fund's ledger."""

    class Method(models.TextChoices):
        ONLINE = "online", pgettext_lazy("payment method", "card, online")
        BANK = "bank", pgettext_lazy("payment method", "bank transfer")
        CASH = "cash", pgettext_lazy("payment method", "cash")
        CHEQUE = "cheque", pgettext_lazy("payment method", "cheque")
        OTHER = "other", pgettext_lazy("payment method", "other")

    class State(models.TextChoices):
        # A pledge whose email link is not yet followed.
        PENDING = "pending", pgettext_lazy("contribution", "not confirmed")
        # A bank transfer whose reference was given, or a card payment begun at the provider.
        EXPECTED = "expected", pgettext_lazy("contribution", "expected")
        # A confirmed pledge: promised, not yet received.
        PLEDGED = "pledged", pgettext_lazy("contribution", "pledged")
        RECEIVED = "received", pgettext_lazy("contribution", "received")
        # A pledge or an expected payment that never came.
        LAPSED = "lapsed", pgettext_lazy("contribution", "lapsed")
        # Entered by mistake, refunded or corrected: kept, not counted.
        VOID = "void", pgettext_lazy("contribution", "void")

    # Why a public form was held for review: as for an event's RSVP, by the same checks.
    HoldReason = Attendee.HoldReason

    fund = models.ForeignKey(Fund, on_delete=models.PROTECT, related_name="contributions")
    state = models.CharField(max_length=10, choices=State.choices)
    method = models.CharField(_("method"), max_length=10, choices=Method.choices)
    # In the fund's currency's minor unit: what was received, or what is promised or expected.
    amount = models.BigIntegerField(_("amount"))
    # Given in another currency: the amount in it, and the rate the organiser entered (units of
    # the fund's currency for one unit of it) with its date.
    original_currency = models.CharField(max_length=3, blank=True)
    original_amount = models.BigIntegerField(null=True, blank=True)
    rate = models.DecimalField(max_digits=18, decimal_places=8, null=True, blank=True)
    rate_date = models.DateField(null=True, blank=True)
    received_on = models.DateField(_("received"), null=True, blank=True)
    # The organiser's reference: a cheque's number, a bank statement's line.
    reference = models.CharField(_("reference"), max_length=140, blank=True)
    # The reference a donor quotes on a bank transfer, unique on the site.
    transfer_code = models.CharField(max_length=20, unique=True, null=True, blank=True)
    # The provider's checkout session, and its payment (a refund names it).
    provider = models.CharField(max_length=20, blank=True)
    provider_session = models.CharField(max_length=255, unique=True, null=True, blank=True)
    provider_payment = models.CharField(max_length=255, blank=True, db_index=True)
    # Optional: the donor may stay unknown even to the organisers.
    donor_name = models.CharField(_("donor's name"), max_length=100, blank=True)
    donor_email = models.EmailField(_("donor's email"), max_length=EMAIL_MAX_LENGTH, blank=True)
    email_canonical = models.CharField(max_length=EMAIL_MAX_LENGTH, blank=True, db_index=True)
    # The donor asked to be named on the fund's page (if the fund lists donors).
    show_name = models.BooleanField(_("named on the page"), default=False)
    # The version the donor read: their emails come in it.
    language = models.CharField(max_length=35, blank=True)
    consent_version = models.CharField(max_length=32, blank=True)
    consent_at = models.DateTimeField(null=True, blank=True)
    # The hash of the link that confirms a pledge.
    token_hash = models.CharField(max_length=64, unique=True, null=True, blank=True)
    hold_reason = models.CharField(
        max_length=10, choices=HoldReason.choices, blank=True, default=""
    )
    # Cash collected at an event, a pledge made at one.
    event = models.ForeignKey(
        Event,
        verbose_name=_("event"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="contributions",
    )
    note = models.TextField(_("note"), blank=True)
    # Set for a pledge (when confirmed): it stays a pledge in the ledger once received.
    pledged_at = models.DateTimeField(null=True, blank=True)
    receipt_sent_at = models.DateTimeField(null=True, blank=True)
    lapsed_at = models.DateTimeField(null=True, blank=True)
    voided_at = models.DateTimeField(null=True, blank=True)
    void_reason = models.CharField(_("reason"), max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    changed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("-created_at", "-pk")
        indexes = [
            models.Index(fields=("fund", "state"), name="contribution_state"),
            models.Index(fields=("fund", "received_on"), name="contribution_day"),
        ]
        verbose_name = _("contribution")
        verbose_name_plural = _("contributions")

    def __str__(self) -> str:
        return f"contribution {self.pk} to {self.fund_id}"

    @property
    def counts(self) -> bool:
        return self.state in (self.State.RECEIVED, self.State.PLEDGED)


class ProviderEvent(models.Model):
    """A webhook event from a payment provider, once applied: a replay changes nothing."""

    provider = models.CharField(max_length=20)
    event_id = models.CharField(max_length=255)
    kind = models.CharField(max_length=100)
    received_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=("provider", "event_id"), name="one_provider_event")
        ]

    def __str__(self) -> str:
        return f"{self.provider} {self.event_id}"


def statement_funds() -> models.Prefetch[Any]:
    """A statement's published funds with their versions, as `shown_funds`."""
    return models.Prefetch(
        "funds",
        Fund.objects.published().prefetch_related("versions").order_by("-published_at", "-pk"),
        to_attr="shown_funds",
    )
