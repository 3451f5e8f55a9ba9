"""Operations on signatures that touch several models: each atomic, each audited."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import DataError, IntegrityError, connection, transaction
from django.db.models import Case, Value, When
from django.utils import timezone

from undersigned.audit.models import record
from undersigned.jobs.models import Job
from undersigned.jobs.queue import enqueue
from undersigned.lib import fastinsert
from undersigned.lib.emails import canonical_email
from undersigned.lib.groupcommit import GroupCommit
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


@dataclass(slots=True)
class SignRequest:
    """One submitted sign form, ready to be written."""

    statement: Statement
    language: str
    fields: dict[str, Any]
    canonical: str
    token: str
    at: dt.datetime


def sign(statement: Statement, language: str, data: dict[str, Any]) -> None:
    """Record a signature and queue its email. Returns nothing on purpose: whether the address
    had signed before must not change what the caller can observe. Returns once stored.

    A new address gets a pending signature and a confirmation email. A pending one is updated
    with the new details and gets another confirmation email. One that has confirmed is left as
    it is, and its owner is told by email that someone signed again with it. Every email carries
    a token of its own; earlier ones stay valid.
    """
    fields = {name: data.get(name) or "" for name in _SIGNER_FIELDS}
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
    )
    _signing.run(request)


def _write_signatures(requests: Sequence[SignRequest]) -> None:
    """Write a batch of sign requests in one transaction: a few statements, whatever its size.

    Where another process inserted the same address meanwhile (PostgreSQL), the batch is
    written again one request at a time.
    """
    # Durable: it must be the outermost transaction, or the signers would be told their
    # signature was stored before anything had committed.
    try:
        with transaction.atomic(durable=True):
            _write_batch(requests)
    except IntegrityError:
        with transaction.atomic(durable=True):
            for request in requests:
                _write_one(request)


def _write_batch(requests: Sequence[SignRequest]) -> None:
    """Plain SQL on purpose: this runs for every signer, and the ORM's query building cost
    more than the database work (see bench/)."""
    known = _existing(requests)
    new: dict[tuple[int, str], dict[str, Any]] = {}
    pending: dict[int, SignRequest] = {}
    # (request, key of its signature, the email it gets)
    messages: list[tuple[SignRequest, tuple[int, str], str]] = []
    for request in requests:
        key = (request.statement.pk, request.canonical)
        found = known.get(key)
        if found is not None and found[1] != Signature.State.PENDING:
            messages.append((request, key, "mail.already_signed"))
            continue
        if found is not None:
            pending[found[0]] = request  # the latest details win, as if signed in turn
        else:
            # Twice in one batch: the second is signing again while pending.
            new[key] = _new_row(request)
        messages.append((request, key, "mail.confirm_signature"))
    ids = {key: found[0] for key, found in known.items()}
    inserted = fastinsert.insert(
        Signature, list(new.values()), returning=("statement_id", "email_canonical")
    )
    ids.update({(statement_id, email): pk for pk, statement_id, email in inserted})
    if pending:
        for signature in Signature.objects.filter(pk__in=pending).select_for_update():
            _apply(signature, pending[signature.pk])
            signature.save(update_fields=_REWRITTEN)
    fastinsert.insert(
        SignatureToken,
        [
            {
                "signature_id": ids[key],
                "token_hash": hash_token(request.token),
                "created_at": request.at,
            }
            for request, key, _message in messages
        ],
    )
    now = timezone.now()
    fastinsert.insert(
        Job,
        [
            {
                "kind": message,
                "payload": {"signature": ids[key], "token": request.token},
                "run_after": now,
                "created_at": now,
            }
            for request, key, message in messages
        ],
    )


def _existing(requests: Sequence[SignRequest]) -> dict[tuple[int, str], tuple[int, str]]:
    """(statement id, canonical email) -> (signature id, state) for those already stored."""
    statements = sorted({request.statement.pk for request in requests})
    emails = sorted({request.canonical for request in requests})
    table = Signature._meta.db_table
    sql = (
        f"SELECT id, statement_id, email_canonical, state FROM {table} "  # noqa: S608
        f"WHERE statement_id IN ({', '.join(['%s'] * len(statements))}) "
        f"AND email_canonical IN ({', '.join(['%s'] * len(emails))})"
    )
    if connection.vendor == "postgresql":
        sql += " FOR UPDATE"
    with connection.cursor() as cursor:
        cursor.execute(sql, [*statements, *emails])
        return {(row[1], row[2]): (row[0], row[3]) for row in cursor.fetchall()}


def _new_row(request: SignRequest) -> dict[str, Any]:
    return {
        **request.fields,
        "statement_id": request.statement.pk,
        "email_canonical": request.canonical,
        "language": request.language,
        "consent_version": CONSENT_VERSION,
        "consent_at": request.at,
        "created_at": request.at,
        "state": Signature.State.PENDING,
        "confirmed_at": None,
        "approved_at": None,
    }


def _write_one(request: SignRequest) -> None:
    """The same as _write_batch for one request, safe against a concurrent insert."""
    try:
        with transaction.atomic():
            signature = Signature(
                statement=request.statement,
                email_canonical=request.canonical,
                created_at=request.at,
            )
            _apply(signature, request)
            signature.save(force_insert=True)
        message = "mail.confirm_signature"
    except IntegrityError:
        signature = Signature.objects.select_for_update().get(
            statement=request.statement, email_canonical=request.canonical
        )
        message = "mail.already_signed"
        if signature.state == Signature.State.PENDING:
            _apply(signature, request)
            signature.save(update_fields=_REWRITTEN)
            message = "mail.confirm_signature"
    SignatureToken.objects.create(
        signature=signature, token_hash=hash_token(request.token), created_at=request.at
    )
    enqueue(message, {"signature": signature.pk, "token": request.token})


# What signing again rewrites on a signature still waiting for confirmation.
_REWRITTEN = (*_SIGNER_FIELDS, "language", "consent_version", "consent_at", "created_at")


def _apply(signature: Signature, request: SignRequest) -> None:
    for name, value in request.fields.items():
        setattr(signature, name, value)
    signature.language = request.language
    signature.consent_version = CONSENT_VERSION
    signature.consent_at = request.at
    # Signing again restarts the time the signer has to confirm.
    signature.created_at = request.at


_signing: GroupCommit[SignRequest] = GroupCommit(
    _write_signatures, row_errors=(IntegrityError, DataError)
)


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
