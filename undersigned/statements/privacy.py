"""What a signer controls about their signature, and erasure: each operation atomic, audited
without personal data.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import models, transaction
from django.db.models import CharField, Exists, OuterRef, Q, QuerySet, Value
from django.db.models.functions import Cast, Concat, Trunc
from django.utils import timezone

from undersigned.audit.models import AuditLog, record
from undersigned.jobs import scrub
from undersigned.mailings import outbox
from undersigned.statements.forms import CONSENT_VERSION, CONSENT_WORDINGS
from undersigned.statements.models import (
    ConsentRecord,
    PartnerConsent,
    Signature,
    SignatureToken,
    Statement,
)
from undersigned.statements.queries import forget_cached

# What an anonymous counted row keeps: enough for the count, the signatures-per-day table and
# the share of organisations, nothing that tells who signed. Every other column is reset to its
# default, so a column added later is erased too unless it is named here.
_KEPT = frozenset(
    (
        "id",
        "statement",
        "language",
        "kind",
        "state",
        "created_at",
        "confirmed_at",
        "approved_at",
        "consent_at",
        "erased_at",
        "email_canonical",
        "display",
        "channel",
    )
)
# Rounded so that an exact time cannot be matched against another record (a server log, say).
_ROUNDED = ("created_at", "confirmed_at", "approved_at", "consent_at")

# Signatures erased per transaction: keeps each one short while the site takes signatures.
CHUNK = 2000


@dataclasses.dataclass(frozen=True)
class KeptElsewhere:
    """Personal data an app above statements keeps about a statement's people (the updates'
    followers and the record of what was emailed to whom, say), erased with them here."""

    # Delete what is kept about these signatures: they are being erased.
    of_signatures: Callable[[list[int]], object]
    # Erase what is kept about all of the statement's people (all its signers are erased).
    of_statement: Callable[[Statement, str, Any], object]
    # Which statements still keep some: an Exists() over rows of the statement OuterRef("pk").
    held: Callable[[], Exists]


_KEPT_ELSEWHERE: list[KeptElsewhere] = []
scrub.holds_personal_data(Signature)


def keeps_personal_data(kept: KeptElsewhere) -> None:
    """Register what an app keeps about a statement's people, so that erasure reaches it."""
    _KEPT_ELSEWHERE.append(kept)


def _anonymous_values() -> dict[str, Any]:
    values: dict[str, Any] = {
        field.attname: field.get_default()
        for field in Signature._meta.concrete_fields
        if field.name not in _KEPT
    }
    values.update({name: Trunc(name, "hour", tzinfo=dt.UTC) for name in _ROUNDED})
    # Unique per statement like an address, but never one: no address starts with '#'.
    values["email_canonical"] = Concat(Value("#erased-"), Cast("id", CharField()))
    values["display"] = Signature.Display.HIDDEN
    return values


def erase(signatures: QuerySet[Signature], *, keep_count: bool) -> tuple[int, int]:
    """Erase these signers: their names, addresses, every detail, link token, queued email and
    consent record, and the audit log's link to the row. Confirmed signatures stay as anonymous
    counted rows if `keep_count`; everything else is deleted. Already erased rows are left as
    they are. Returns (deleted, kept anonymously). Call inside a transaction.
    """
    rows = list(signatures.filter(erased_at__isnull=True).values_list("pk", "email", "state"))
    if not rows:
        return 0, 0
    ids = [pk for pk, _email, _state in rows]
    kept = [pk for pk, _email, state in rows if keep_count and state == Signature.State.CONFIRMED]
    # Queued emails, and demo mode's copies of those sent (they hold the address and links).
    outbox.forget("signature", ids, emails=[email for _pk, email, _state in rows])
    SignatureToken.objects.filter(signature__in=ids).delete()
    ConsentRecord.objects.filter(signature__in=ids).delete()
    PartnerConsent.objects.filter(signature__in=ids).delete()
    for kept_elsewhere in _KEPT_ELSEWHERE:
        kept_elsewhere.of_signatures(ids)
    AuditLog.objects.filter(action__startswith="signature.", object_id__in=ids).update(
        object_id=None
    )
    if kept:
        Signature.objects.filter(pk__in=kept).update(
            **_anonymous_values(), erased_at=timezone.now()
        )
    Signature.objects.filter(pk__in=set(ids) - set(kept)).delete()
    # The deleted and overwritten bytes leave the database's files soon after (jobs/scrub.py).
    scrub.after_erasure()
    return len(ids) - len(kept), len(kept)


def withdraw(signature: Signature) -> None:
    """The signer takes their signature back: it leaves the list and the count at once, and
    nothing about them is kept, whatever the statement keeps after erasure.
    """
    statement = signature.statement
    with transaction.atomic():
        erase(Signature.objects.filter(pk=signature.pk), keep_count=False)
        record("signature.withdrawn", statement=statement)
    forget_cached(statement)


def erase_signers(
    statement: Statement,
    signatures: QuerySet[Signature] | None = None,
    *,
    reason: str,
    actor: Any = None,
) -> int:
    """Erase the given signers of `statement` (all of them by default; see erase), in chunks,
    keeping the count as the statement says; return how many. Erasing them all also erases
    what other apps keep about the statement's people (the updates' followers)."""
    chosen = Signature.objects.filter(statement=statement, erased_at__isnull=True)
    if signatures is not None:
        chosen = chosen.filter(pk__in=signatures.values("pk"))
    total_deleted = total_kept = 0
    while True:
        with transaction.atomic():
            ids = list(chosen.order_by("pk").values_list("pk", flat=True)[:CHUNK])
            deleted, kept = erase(
                Signature.objects.filter(pk__in=ids),
                keep_count=statement.keep_count_after_erasure,
            )
        total_deleted += deleted
        total_kept += kept
        if len(ids) < CHUNK:
            break
    if total_deleted or total_kept:
        record(
            "signatures.erased",
            actor=actor,
            statement=statement,
            reason=reason,
            deleted=total_deleted,
            kept_in_count=total_kept,
        )
        forget_cached(statement)
    if signatures is None:
        for kept_elsewhere in _KEPT_ELSEWHERE:
            kept_elsewhere.of_statement(statement, reason, actor)
    return total_deleted + total_kept


def statements_due_for_erasure(now: dt.datetime | None = None) -> QuerySet[Statement]:
    """Statements closed RETENTION_DAYS ago or more that still hold signers' data, or data
    another app keeps about their people."""
    now = now or timezone.now()
    cutoff = now - dt.timedelta(days=settings.RETENTION_DAYS)
    holding = Q(Exists(Signature.objects.filter(statement=OuterRef("pk"), erased_at__isnull=True)))
    for kept_elsewhere in _KEPT_ELSEWHERE:
        holding |= Q(kept_elsewhere.held())
    return (
        Statement.objects.exclude(status=Statement.Status.DRAFT)
        .filter(Q(closed_at__lte=cutoff) | Q(deadline__lte=cutoff))
        .filter(holding)
        .select_related("organisation")
        .order_by("pk")
    )


def erase_closed(now: dt.datetime | None = None) -> int:
    """Erase the signers (and followers) of every statement closed RETENTION_DAYS ago or more;
    return how many signers. Safe to run again: erased rows are skipped, deleted ones are gone.
    """
    return sum(
        erase_signers(statement, reason="retention")
        for statement in statements_due_for_erasure(now)
    )


def hide_signatories(statement: Statement, *, hidden: bool = True, actor: Any = None) -> bool:
    """Hide (or show again) every signer's name on the statement's public pages; the count
    stays. True if this changed anything.
    """
    action = "statement.signatories_hidden" if hidden else "statement.signatories_shown"
    return _switch(statement, "signatories_hidden", hidden, action, actor)


def keep_count_after_erasure(statement: Statement, keep: bool, *, actor: Any = None) -> bool:
    """Whether erasing a confirmed signer of `statement` from now on leaves an anonymous row
    that still counts. True if this changed anything."""
    return _switch(
        statement,
        "keep_count_after_erasure",
        keep,
        "statement.keep_count_changed",
        actor,
        object_id=statement.pk,
        keep_count=keep,
    )


def _switch(
    statement: Statement, field: str, value: bool, action: str, actor: Any, **audit: Any
) -> bool:
    """Set one of the statement's privacy switches, audited; True if it changed."""
    with transaction.atomic():
        current = Statement.objects.select_for_update().get(pk=statement.pk)
        if getattr(current, field) == value:
            return False
        setattr(current, field, value)
        # Through save, whose signal drops every cached copy of the statement and its pages.
        current.save(update_fields=(field,))
        record(action, actor=actor, statement=current, **audit)
    setattr(statement, field, value)
    forget_cached(statement)
    return True


def change_display(signature: Signature, display: str) -> None:
    """How the signer's name appears publicly: full, first name and initial, or not at all."""
    with transaction.atomic():
        Signature.objects.filter(pk=signature.pk).update(display=display)
        signature.display = display
        record("signature.display_changed", statement=signature.statement, object_id=signature.pk)
    forget_cached(signature.statement)


def set_updates(signature: Signature, wanted: bool) -> None:
    """Subscribe to or unsubscribe from the organisation's updates, and record the consent given
    or withdrawn with its wording's version.
    """
    if signature.wants_updates == wanted:
        return
    with transaction.atomic():
        Signature.objects.filter(pk=signature.pk).update(wants_updates=wanted)
        records = ConsentRecord.objects.filter(
            signature=signature, purpose=ConsentRecord.Purpose.UPDATES
        )
        if signature.wants_updates and not records.exists():
            # The opt-in given with the signature lives on its row; the history starts with it.
            ConsentRecord.objects.create(
                signature=signature,
                purpose=ConsentRecord.Purpose.UPDATES,
                given=True,
                version=signature.consent_version,
                at=signature.consent_at,
            )
        signature.wants_updates = wanted
        ConsentRecord.objects.create(
            signature=signature,
            purpose=ConsentRecord.Purpose.UPDATES,
            given=wanted,
            version=CONSENT_VERSION if wanted else "",
        )


def _plain(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.isoformat()
    return value


def stored_fields(signature: Signature) -> dict[str, Any]:
    """Every column stored on the signature, as JSON values (all of them, so that a column
    added later is in the signer's download too)."""
    return {
        field.attname: _plain(getattr(signature, field.attname))
        for field in Signature._meta.concrete_fields
        if not isinstance(field, models.ForeignKey) and not field.primary_key
    }


def _wording(version: str, purpose: str, organisation: str) -> str | None:
    text = CONSENT_WORDINGS.get(version, {}).get(purpose)
    return None if text is None else str(text) % {"organisation": organisation}


def consents(signature: Signature) -> list[dict[str, Any]]:
    """Every consent the signer gave or withdrew: what, to which organisation, the wording's
    version and text, when."""
    organisation = signature.statement.organisation.name
    found: list[dict[str, Any]] = [
        {
            "purpose": ConsentRecord.Purpose.SIGNATURE.value,
            "given": True,
            "version": signature.consent_version,
            "at": _plain(signature.consent_at),
        }
    ]
    records = list(signature.consents.select_related("partner__organisation"))
    if signature.wants_updates and not any(
        record.purpose == ConsentRecord.Purpose.UPDATES for record in records
    ):
        found.append(
            {
                "purpose": ConsentRecord.Purpose.UPDATES.value,
                "given": True,
                "version": signature.consent_version,
                "at": _plain(signature.consent_at),
            }
        )
    recorded_partners = {record.partner_id for record in records if record.partner_id}
    found.extend(
        {
            "purpose": ConsentRecord.Purpose.PARTNER_UPDATES.value,
            "organisation": consent.partner.organisation.name,
            "given": True,
            "version": consent.version,
            "at": _plain(consent.at),
        }
        for consent in signature.partner_consents.select_related("partner__organisation")
        if consent.partner_id not in recorded_partners
    )
    found.extend(
        {
            "purpose": record.purpose,
            "organisation": record.partner.organisation.name if record.partner else organisation,
            "given": record.given,
            "version": record.version,
            "at": _plain(record.at),
        }
        for record in records
    )
    for consent in found:
        consent.setdefault("organisation", organisation)
        consent["wording"] = (
            _wording(consent["version"], consent["purpose"], consent["organisation"])
            if consent["given"]
            else None
        )
    return found


def signer_data(signature: Signature, statement_url: str) -> dict[str, Any]:
    """Everything stored about this signer for this statement, for their download."""
    statement = signature.statement
    version = statement.version_for(signature.language)
    return {
        "statement": {
            "slug": statement.slug,
            "title": version.title if version else "",
            "organisation": statement.organisation.name,
            "url": statement_url,
        },
        "signature": stored_fields(signature),
        "shown_publicly_as": None
        if signature.display == Signature.Display.HIDDEN or statement.signatories_hidden
        else signature.public_name,
        "consents": consents(signature),
        "email_links": [
            {"created_at": _plain(at)}
            for at in signature.tokens.order_by("created_at").values_list("created_at", flat=True)
        ],
        "queued_emails": [
            {"kind": kind, "created_at": _plain(at)}
            for kind, at in outbox.queued("signature", signature.pk)
        ],
        "audit_log": [
            {"action": action, "at": _plain(at)}
            for action, at in AuditLog.objects.filter(
                action__startswith="signature.", object_id=signature.pk
            )
            .order_by("at")
            .values_list("action", "at")
        ],
    }
