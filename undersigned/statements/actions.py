"""Operations on signatures that touch several models: each atomic, each audited."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Case, Q, QuerySet, Value, When
from django.utils import timezone

from undersigned.audit.models import record
from undersigned.lib.emails import canonical_email
from undersigned.lib.tokens import hash_token, new_token
from undersigned.mailings import outbox
from undersigned.statements import privacy, store
from undersigned.statements.emails import CONFIRM
from undersigned.statements.models import Signature, SignatureToken, Statement
from undersigned.statements.queries import forget_cached
from undersigned.statements.store import SIGNER_FIELDS, Client, SignRequest


def sign(
    statement: Statement,
    language: str,
    data: dict[str, Any],
    *,
    client: Client | None = None,
    source: int | None = None,
) -> None:
    """Record a signature and queue its email. Returns nothing on purpose: whether the address
    had signed before must not change what the caller can observe, nor how long it takes.
    Returns once stored.

    A new address gets a pending signature and a confirmation email. One that has signed keeps
    what its first form recorded: while pending it gets another confirmation email, once
    confirmed an email telling its owner that someone signed again with it. Every email carries
    a token of its own; earlier ones stay valid. A form held for review is sent nothing.
    """
    fields = {name: data.get(name) or "" for name in SIGNER_FIELDS}
    fields["wants_updates"] = bool(data.get("wants_updates"))
    fields["kind"] = fields["kind"] or Signature.Kind.INDIVIDUAL
    fields["display"] = fields["display"] or Signature.Display.HIDDEN
    request = SignRequest(
        statement=statement,
        language=language,
        fields=fields,
        canonical=canonical_email(fields["email"]),
        token=new_token(),
        at=timezone.now(),
        client=client or Client(),
        source=source,
        partners=tuple(sorted(set(data.get("partners") or ()))),
    )
    store.signing.run(request)


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
                When(~Q(hold_reason=""), then=Value(Signature.State.HELD)),
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
    """The signature leaves list and count at once, and nothing about the person is kept
    (see privacy.withdraw)."""
    privacy.withdraw(signature)


def purge_unconfirmed(now: dt.datetime | None = None) -> int:
    """Delete signatures nobody confirmed within UNCONFIRMED_DAYS of the last link sent to
    them (a form sent again, a release from review), and their queued emails: an address
    someone typed in without its owner's consent is not kept.
    """
    cutoff = (now or timezone.now()) - dt.timedelta(days=settings.UNCONFIRMED_DAYS)
    with transaction.atomic():
        stale = Signature.objects.filter(
            state=Signature.State.PENDING, created_at__lt=cutoff
        ).exclude(tokens__created_at__gte=cutoff)
        ids = list(stale.values_list("pk", flat=True)[:10_000])
        if not ids:
            return 0
        deleted, _kept = privacy.erase(Signature.objects.filter(pk__in=ids), keep_count=False)
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


def invalidate_signatures(
    statement: Statement, signatures: QuerySet[Signature], *, actor: Any, criteria: dict[str, str]
) -> int:
    """Reject the given signatures of `statement` at once (they leave the count and the list);
    audited with the criteria and the number, never who was concerned."""
    with transaction.atomic():
        count = (
            Signature.objects.filter(pk__in=signatures.filter(statement=statement).values("pk"))
            .exclude(state=Signature.State.REJECTED)
            .update(state=Signature.State.REJECTED, approved_at=None)
        )
        record(
            "signatures.invalidated",
            actor=actor,
            statement=statement,
            count=count,
            criteria=criteria,
        )
    forget_cached(statement)
    return count


def review_held(statement: Statement, *, release: bool, reason: str, actor: Any) -> int:
    """Release held signatures (counted from now on; an organisation's still waits for
    approval) or reject them. Those not confirmed by email yet, which were sent nothing while
    held, lose their hold and get their confirmation email now, or are rejected."""
    held = Signature.objects.filter(statement=statement).exclude(hold_reason="")
    if reason:
        held = held.filter(hold_reason=reason)
    with transaction.atomic():
        if release:
            _send_confirmations(held.filter(state=Signature.State.PENDING))
            count = held.filter(state=Signature.State.HELD).update(
                hold_reason="",
                state=Case(
                    When(
                        kind=Signature.Kind.ORGANISATION,
                        then=Value(Signature.State.AWAITING_APPROVAL),
                    ),
                    default=Value(Signature.State.CONFIRMED),
                ),
            )
            count += held.filter(state=Signature.State.PENDING).update(hold_reason="")
        else:
            count = held.filter(state__in=(Signature.State.HELD, Signature.State.PENDING)).update(
                state=Signature.State.REJECTED
            )
        record(
            "signatures.released" if release else "signatures.rejected",
            actor=actor,
            statement=statement,
            count=count,
            reason=reason,
        )
    forget_cached(statement)
    return count


def _send_confirmations(signatures: QuerySet[Signature]) -> None:
    """Queue a confirmation email with a new link for each of these pending signatures: their
    signers have UNCONFIRMED_DAYS from now to confirm (purge_unconfirmed)."""
    now = timezone.now()
    tokens = {pk: new_token() for pk in signatures.values_list("pk", flat=True)}
    SignatureToken.objects.bulk_create(
        SignatureToken(signature_id=pk, token_hash=hash_token(token), created_at=now)
        for pk, token in tokens.items()
    )
    outbox.enqueue_many(
        CONFIRM, [{"signature": pk, "token": token, "new": True} for pk, token in tokens.items()]
    )


def pause_signing(statement: Statement, *, paused: bool, actor: Any) -> None:
    """Pause or resume signing; the page, count and list stay up."""
    with transaction.atomic():
        statement.signing_paused = paused
        # Saved, not updated: the save signal drops the cached statement (queries.py).
        statement.save(update_fields=("signing_paused",))
        record(
            "statement.paused" if paused else "statement.resumed", actor=actor, statement=statement
        )
    forget_cached(statement)
