"""Coalitions: partner organisations beside the one that runs a statement. Each partner has its
own share link and sees only the signers who agreed to hear from it; consent is given and
withdrawn per organisation. Each operation atomic, audited without personal data.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.text import slugify

from undersigned.audit.models import record
from undersigned.organisations.models import Organisation
from undersigned.statements import partner_emails
from undersigned.statements.forms import CONSENT_VERSION
from undersigned.statements.models import (
    ConsentRecord,
    Partner,
    PartnerConsent,
    Signature,
    Source,
    Statement,
)

# An organisation added again as a partner within this many days of being asked is not asked
# again (it answers on its dashboard meanwhile).
ASK_AGAIN_DAYS = 7


class PartnerError(Exception):
    """A change the rules refuse; the message is for the person who asked."""


def _free_code(statement: Statement, organisation: Organisation) -> str:
    base = slugify(organisation.slug)[:36].strip("-") or "partner"
    taken = set(Source.objects.filter(statement=statement).values_list("code", flat=True))
    code, n = base, 1
    while code in taken:
        n += 1
        code = f"{base}-{n}"
    return code


def add_partner(statement: Statement, organisation: Organisation, *, actor: Any) -> Partner:
    """Make `organisation` a partner of `statement`, with its own share link; a partner removed
    earlier comes back with the link it had."""
    if organisation.pk == statement.organisation_id:
        raise PartnerError("runs")
    with transaction.atomic():
        partner = (
            Partner.objects.select_for_update()
            .filter(statement=statement, organisation=organisation)
            .first()
        )
        if partner is not None and partner.active:
            raise PartnerError("already")
        if partner is None:
            source = Source.objects.create(
                statement=statement, code=_free_code(statement, organisation)
            )
            partner = Partner.objects.create(
                statement=statement, organisation=organisation, source=source
            )
        else:
            # Asked again: it may no longer want to back the statement.
            partner.active = True
            partner.accepted_at = None
            partner.save(update_fields=("active", "accepted_at"))
        record(
            "partner.added",
            actor=actor,
            statement=statement,
            object_id=partner.pk,
            organisation=organisation.pk,
        )
        now = timezone.now()
        if partner.asked_at is None or partner.asked_at < now - dt.timedelta(days=ASK_AGAIN_DAYS):
            partner.asked_at = now
            partner.save(update_fields=("asked_at",))
            partner_emails.ask_owners(partner)
    return partner


def accept_partnership(partner: Partner, *, actor: Any) -> bool:
    """An owner of the partner organisation agrees to back the statement: from now on the
    statement's page names it and the sign form offers its updates. False if there was
    nothing to accept (removed, or accepted already)."""
    with transaction.atomic():
        partner = Partner.objects.select_for_update().get(pk=partner.pk)
        if not partner.active or partner.accepted_at is not None:
            return False
        partner.accepted_at = timezone.now()
        # Through save, whose signal drops the cached statements and pages with its form.
        partner.save(update_fields=("accepted_at",))
        record("partner.accepted", actor=actor, statement=partner.statement, object_id=partner.pk)
    return True


def decline_partnership(partner: Partner, *, actor: Any) -> bool:
    """An owner of the partner organisation turns the partnership down, or ends it: as if the
    statement's organisers had removed it. False if it was removed already."""
    with transaction.atomic():
        partner = Partner.objects.select_for_update().get(pk=partner.pk)
        if not partner.active:
            return False
        partner.active = False
        partner.save(update_fields=("active",))
        record("partner.declined", actor=actor, statement=partner.statement, object_id=partner.pk)
    return True


def remove_partner(partner: Partner, *, actor: Any) -> None:
    """The sign form stops offering the partner's updates. Signers who already agreed to hear
    from it agreed to hear from that organisation: it keeps them until each withdraws."""
    with transaction.atomic():
        partner.active = False
        # Through save, whose signal drops the cached statements and pages with its form.
        partner.save(update_fields=("active",))
        record("partner.removed", actor=actor, statement=partner.statement, object_id=partner.pk)


def active_partners(statement: Statement) -> list[Partner]:
    """The partners the statement's page names and the sign form offers (those that accepted
    and were not removed), with their organisations (prefetched on statements from
    queries.statement_by_slug)."""
    return [partner for partner in statement.partners.all() if partner.offered]


def partner_signers(partner: Partner) -> QuerySet[Signature]:
    """The signers a partner may see and write to: confirmed, and still agreeing to hear from
    it. Nobody else, whatever they signed."""
    return Signature.objects.filter(
        statement_id=partner.statement_id,
        state=Signature.State.CONFIRMED,
        erased_at__isnull=True,
        partner_consents__partner=partner,
    )


def partner_consents(partner: Partner | QuerySet[Partner]) -> QuerySet[PartnerConsent]:
    """The consents behind partner_signers, for one partner or several."""
    chosen = {"partner__in": partner} if isinstance(partner, QuerySet) else {"partner": partner}
    return PartnerConsent.objects.filter(
        **chosen,
        signature__state=Signature.State.CONFIRMED,
        signature__erased_at__isnull=True,
    )


def set_partner_updates(signature: Signature, partner: Partner, wanted: bool) -> None:
    """The signer agrees to or stops updates from one partner, from their own page; recorded
    with the wording's version, like the statement's own updates (privacy.set_updates)."""
    records = ConsentRecord.objects.filter(
        signature=signature, purpose=ConsentRecord.Purpose.PARTNER_UPDATES, partner=partner
    )
    with transaction.atomic():
        consent = (
            PartnerConsent.objects.select_for_update()
            .filter(signature=signature, partner=partner)
            .first()
        )
        if (consent is not None) == wanted:
            return
        if wanted:
            PartnerConsent.objects.create(
                signature=signature, partner=partner, version=CONSENT_VERSION
            )
        elif consent is not None:
            if not records.exists():
                # Given with the signature, on the consent row: the history starts with it.
                ConsentRecord.objects.create(
                    signature=signature,
                    purpose=ConsentRecord.Purpose.PARTNER_UPDATES,
                    partner=partner,
                    given=True,
                    version=consent.version,
                    at=consent.at,
                )
            consent.delete()
        ConsentRecord.objects.create(
            signature=signature,
            purpose=ConsentRecord.Purpose.PARTNER_UPDATES,
            partner=partner,
            given=wanted,
            version=CONSENT_VERSION if wanted else "",
            at=timezone.now(),
        )
