"""How a statement is shared, and with whom: its sources (share links counted per hour) and
its partner organisations with the signers' consent to hear from each. Part of the
statements app's models (undersigned.statements.models imports them)."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from undersigned.organisations.models import Organisation
from undersigned.statements.models import Signature, Statement


class Source(models.Model):
    """A channel organisers share a statement through: its links carry `?src=<code>`. Only the
    number of signatures per source and hour is kept (SourceCount), never which signer came
    through which link."""

    statement = models.ForeignKey(Statement, on_delete=models.CASCADE, related_name="sources")
    code = models.SlugField(
        _("source code"),
        max_length=40,
        help_text=_("Lower-case letters, digits and hyphens, e.g. union-newsletter."),
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("code",)
        constraints = [
            models.UniqueConstraint(fields=("statement", "code"), name="one_source_per_code")
        ]

    def __str__(self) -> str:
        return f"{self.statement_id}:{self.code}"


class SourceCount(models.Model):
    """New signatures sent through one source in one hour, counted in the signing transaction
    (undersigned.abuse.counters.numbers): pending ones included, as the form does not yet know
    whether its signer will confirm."""

    # The column is named "key" so that counters.numbers can count into it.
    source = models.ForeignKey(
        Source, on_delete=models.CASCADE, related_name="counts", db_column="key"
    )
    hour = models.DateTimeField()
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=("source", "hour"), name="one_source_count_per_hour")
        ]

    def __str__(self) -> str:
        return f"{self.count} at {self.hour}"


class Partner(models.Model):
    """An organisation that backs a statement beside the one that runs it: a coalition. Each
    partner has its own share link (a Source) and sees only the signers who agreed to hear from
    it (PartnerConsent), never the others."""

    statement = models.ForeignKey(Statement, on_delete=models.CASCADE, related_name="partners")
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="partnerships"
    )
    # The partner's share link: signatures through it are counted like any source's.
    source = models.OneToOneField(Source, on_delete=models.RESTRICT, related_name="partner")
    # Off once removed from the coalition: the sign form no longer offers its updates. The
    # signers who agreed to hear from it had agreed to hear from that organisation, so it keeps
    # seeing them until each withdraws.
    active = models.BooleanField(default=True)
    added_at = models.DateTimeField(default=timezone.now)
    # When an owner of the partner organisation agreed to back the statement; until then (and
    # again after being added back once removed) nothing public names it and the sign form
    # does not offer its updates: nobody is shown backing a statement they never agreed to.
    accepted_at = models.DateTimeField(null=True, blank=True)
    # When its owners were last asked (coalition.ASK_AGAIN_DAYS): adding it again within those
    # days asks nobody, so removing and adding cannot flood its owners' inboxes.
    asked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("organisation__name", "pk")
        constraints = [
            models.UniqueConstraint(
                fields=("statement", "organisation"), name="one_partnership_per_organisation"
            )
        ]
        verbose_name = _("partner organisation")
        verbose_name_plural = _("partner organisations")

    def __str__(self) -> str:
        return f"partner {self.organisation_id} of {self.statement_id}"

    @property
    def offered(self) -> bool:
        """Named publicly and offered on the sign form: a partner that agreed, not removed."""
        return self.active and self.accepted_at is not None


class PartnerConsent(models.Model):
    """A signer agreed, when signing or later on their own page, to get updates from one
    partner organisation. Withdrawing deletes the row and leaves a ConsentRecord."""

    # Neither is indexed alone: one_consent_per_partner and partner_consent_list start with them.
    signature = models.ForeignKey(
        Signature, on_delete=models.CASCADE, related_name="partner_consents", db_index=False
    )
    partner = models.ForeignKey(
        Partner, on_delete=models.CASCADE, related_name="consents", db_index=False
    )
    version = models.CharField(max_length=32)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=("signature", "partner"), name="one_consent_per_partner")
        ]
        indexes = [models.Index(fields=("partner", "signature"), name="partner_consent_list")]

    def __str__(self) -> str:
        return f"consent of {self.signature_id} to partner {self.partner_id}"
