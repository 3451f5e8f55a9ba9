"""Operations on signatures that touch several models: each atomic, each audited."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Case, Value, When
from django.utils import timezone

from undersigned.audit.models import record
from undersigned.jobs.models import Job
from undersigned.jobs.queue import enqueue
from undersigned.lib.emails import canonical_email
from undersigned.lib.tokens import hash_token, new_token
from undersigned.statements.forms import CONSENT_VERSION
from undersigned.statements.models import Signature, SignatureToken, Statement
from undersigned.statements.queries import forget_cached

_SIGNER_FIELDS = (
    "name",
    "email",
    "country",
    "postcode",
    "kind",
    "organisation_name",
    "organisation_role",
    "display",
    "wants_updates",
)


def sign(statement: Statement, language: str, data: dict[str, Any]) -> None:
    """Record a signature and queue its email. Returns nothing on purpose: whether the address
    had signed before must not change what the caller can observe.

    A new address gets a pending signature and a confirmation email. A pending one is updated
    with the new details and gets another confirmation email. One that has confirmed is left as
    it is, and its owner is told by email that someone signed again with it. Every email carries
    a token of its own; earlier ones stay valid.
    """
    now = timezone.now()
    token = new_token()
    fields = {name: data.get(name) or "" for name in _SIGNER_FIELDS}
    fields["wants_updates"] = bool(data.get("wants_updates"))
    fields["kind"] = fields["kind"] or Signature.Kind.INDIVIDUAL
    fields["display"] = fields["display"] or Signature.Display.HIDDEN
    canonical = canonical_email(fields["email"])
    message = "mail.confirm_signature"
    with transaction.atomic():
        try:
            with transaction.atomic():
                signature = Signature.objects.create(
                    statement=statement,
                    language=language,
                    email_canonical=canonical,
                    consent_version=CONSENT_VERSION,
                    consent_at=now,
                    created_at=now,
                    **fields,
                )
        except IntegrityError:
            signature = Signature.objects.select_for_update().get(
                statement=statement, email_canonical=canonical
            )
            if signature.state == Signature.State.PENDING:
                for name, value in fields.items():
                    setattr(signature, name, value)
                signature.language = language
                signature.consent_version = CONSENT_VERSION
                signature.consent_at = now
                # Signing again restarts the time the signer has to confirm.
                signature.created_at = now
                signature.save(
                    update_fields=(
                        *_SIGNER_FIELDS,
                        "language",
                        "consent_version",
                        "consent_at",
                        "created_at",
                    )
                )
            else:
                message = "mail.already_signed"
        SignatureToken.objects.create(
            signature=signature, token_hash=hash_token(token), created_at=now
        )
        enqueue(message, {"signature": signature.pk, "token": token})


def signature_for_token(statement: Statement, token: str) -> Signature | None:
    """The signature a link's token belongs to, if it belongs to this statement."""
    return (
        Signature.objects.select_related("statement__organisation")
        .filter(statement=statement, tokens__token_hash=hash_token(token))
        .first()
    )


def confirm_signature(signature: Signature) -> bool:
    """Confirm a pending signature; True if this call confirmed it. Confirming twice counts once:
    the update only matches while the row is still pending, and the new state is decided by the
    row's kind as stored, not as this process last read it.
    """
    now = timezone.now()
    with transaction.atomic():
        changed = Signature.objects.filter(pk=signature.pk, state=Signature.State.PENDING).update(
            state=Case(
                When(
                    kind=Signature.Kind.ORGANISATION, then=Value(Signature.State.AWAITING_APPROVAL)
                ),
                default=Value(Signature.State.CONFIRMED),
            ),
            confirmed_at=now,
        )
        if changed:
            record("signature.confirmed", statement=signature.statement, object_id=signature.pk)
    if changed:
        forget_cached(signature.statement)
    signature.refresh_from_db(fields=("state", "confirmed_at", "kind"))
    return bool(changed)


def withdraw_signature(signature: Signature) -> None:
    """Delete the signature and every queued email about it: it leaves list and count at once,
    and nothing about the person is kept.
    """
    with transaction.atomic():
        Job.objects.filter(kind__startswith="mail.", payload__signature=signature.pk).delete()
        statement = signature.statement
        pk = signature.pk
        signature.delete()
        record("signature.withdrawn", statement=statement, object_id=pk)
    forget_cached(statement)


def purge_unconfirmed(now: dt.datetime | None = None) -> int:
    """Delete signatures nobody confirmed within UNCONFIRMED_DAYS, and their queued emails:
    an address someone typed in without its owner's consent is not kept.
    """
    cutoff = (now or timezone.now()) - dt.timedelta(days=settings.UNCONFIRMED_DAYS)
    with transaction.atomic():
        stale = Signature.objects.filter(state=Signature.State.PENDING, created_at__lt=cutoff)
        ids = list(stale.values_list("pk", flat=True)[:10_000])
        if not ids:
            return 0
        Job.objects.filter(kind__startswith="mail.", payload__signature__in=ids).delete()
        deleted = Signature.objects.filter(pk__in=ids).count()
        Signature.objects.filter(pk__in=ids).delete()
        record("signatures.purged_unconfirmed", count=deleted)
    return deleted


def review_organisations(signatures: Iterable[Signature], *, approve: bool, actor: Any) -> int:
    """Approve or reject organisations' signatures that have confirmed their email."""
    now = timezone.now()
    count = 0
    reviewed: set[Statement] = set()
    with transaction.atomic():
        for signature in signatures:
            changed = Signature.objects.filter(
                pk=signature.pk,
                kind=Signature.Kind.ORGANISATION,
                state__in=(Signature.State.AWAITING_APPROVAL, Signature.State.REJECTED)
                if approve
                else (Signature.State.AWAITING_APPROVAL, Signature.State.CONFIRMED),
            ).update(
                state=Signature.State.CONFIRMED if approve else Signature.State.REJECTED,
                approved_at=now if approve else None,
            )
            if changed:
                reviewed.add(signature.statement)
                record(
                    "signature.approved" if approve else "signature.rejected",
                    actor=actor,
                    statement=signature.statement,
                    object_id=signature.pk,
                )
            count += changed
    for statement in reviewed:
        forget_cached(statement)
    return count
