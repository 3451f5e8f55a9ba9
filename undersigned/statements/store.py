"""Writing sign requests: each signer's request waits in the group commit
(undersigned.lib.groupcommit) and is written with those of the signers who came meanwhile, in
one transaction of a few statements whatever their number (docs/architecture.md, "The sign
path"). What a request becomes: a pending signature and its confirmation email, the pending one
rewritten with another email, or an "already signed" email to a confirmed one.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.db import DataError, IntegrityError, connection, transaction
from django.utils import timezone

from undersigned.abuse import counters, limits, quota
from undersigned.lib import fastinsert
from undersigned.lib.groupcommit import GroupCommit
from undersigned.lib.tokens import hash_token
from undersigned.mailings import outbox
from undersigned.statements.emails import ALREADY_SIGNED, CONFIRM
from undersigned.statements.forms import CONSENT_VERSION
from undersigned.statements.models import (
    PartnerConsent,
    Signature,
    SignatureToken,
    Source,
    SourceCount,
    Statement,
)

SIGNER_FIELDS = (
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


@dataclasses.dataclass(frozen=True, slots=True)
class Client:
    """Who sent a sign form, for anti-abuse: keyed hashes only, never an address."""

    # Counted against SIGN_RATE_LIMITS: the client and the statement; empty counts nothing.
    rate_key: str = ""
    # The client's network, kept 48 hours for organisers' checks.
    network: str = ""
    # Held for review on confirmation (honeypot, too fast, no proof of work).
    hold_reason: str = Signature.HoldReason.NONE


@dataclasses.dataclass(slots=True)
class SignRequest:
    """One submitted sign form, ready to be written."""

    statement: Statement
    language: str
    fields: dict[str, Any]
    canonical: str
    token: str
    at: dt.datetime
    client: Client = dataclasses.field(default_factory=Client)
    # Set by the rate count in the transaction that writes it.
    beyond_limit: bool = False
    # The address's key in the day's email counts (undersigned.abuse.quota).
    email_key: str = ""
    # The statement's Source the form came through (its id), counted in aggregate only.
    source: int | None = None
    # The partner organisations (Partner ids) the signer agreed to hear from.
    partners: tuple[int, ...] = ()

    def __post_init__(self) -> None:
        # Hashed here, in the signer's own thread, not in the batch's transaction.
        self.email_key = self.email_key or quota.key_for(self.canonical)

    @property
    def hold_reason(self) -> str:
        if self.client.hold_reason:
            return self.client.hold_reason
        return Signature.HoldReason.RATE if self.beyond_limit else Signature.HoldReason.NONE


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
            _hold_beyond_limits(requests)
            for request in requests:
                _write_one(request)


def _write_batch(requests: Sequence[SignRequest]) -> None:
    """Plain SQL on purpose: this runs for every signer, and the ORM's query building costs
    more than the database work (see bench/)."""
    known = _existing(requests)
    _hold_beyond_limits(requests)
    new: dict[tuple[int, str], dict[str, Any]] = {}
    pending: dict[int, SignRequest] = {}
    firsts: list[SignRequest] = []
    # (request, key of its signature, the email it gets)
    messages: list[tuple[SignRequest, tuple[int, str], str]] = []
    for request in requests:
        key = (request.statement.pk, request.canonical)
        found = known.get(key)
        if found is not None and found[1] != Signature.State.PENDING:
            messages.append((request, key, ALREADY_SIGNED))
            continue
        if found is not None:
            pending[found[0]] = request  # the latest details win, as if signed in turn
        else:
            # Twice in one batch: the second is signing again while pending.
            new[key] = _new_row(request)
            firsts.append(request)
        messages.append((request, key, CONFIRM))
    ids = {key: found[0] for key, found in known.items()}
    # In one order, whoever inserts: on PostgreSQL a row whose address another transaction is
    # inserting waits for it, and two batches of the same addresses in opposite orders would
    # each wait for the other (a deadlock, which fails one of them). In order, the second
    # waits for the first's commit before it holds anything the first wants.
    inserted = fastinsert.insert(
        Signature, [new[key] for key in sorted(new)], returning=("statement_id", "email_canonical")
    )
    ids.update({(statement_id, email): pk for pk, statement_id, email in inserted})
    if pending:
        for signature in Signature.objects.filter(pk__in=pending).select_for_update():
            _apply(signature, pending[signature.pk])
            signature.save(update_fields=_REWRITTEN)
    # The latest request for each signature written, as for its other details.
    written = {ids[(request.statement.pk, request.canonical)]: request for request in firsts}
    _write_partner_consents({**written, **pending}, rewritten=list(pending))
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
    _count_sources(firsts)
    within_cap = quota.take([request.email_key for request, _key, _message in messages])
    emails: dict[str, list[dict[str, Any]]] = {}
    for (request, key, message), allowed in zip(messages, within_cap, strict=True):
        if allowed:
            emails.setdefault(message, []).append({"signature": ids[key], "token": request.token})
    for message, payloads in emails.items():
        outbox.enqueue_many(message, payloads)


def _write_partner_consents(chosen: dict[int, SignRequest], rewritten: Sequence[int]) -> None:
    """Record, per signature id, the partners its signer agreed to hear from; a signature
    signed again while pending agrees to what the new form says, not the old one."""
    if rewritten:
        PartnerConsent.objects.filter(signature_id__in=rewritten).delete()
    fastinsert.insert(
        PartnerConsent,
        [
            {
                "signature_id": pk,
                "partner_id": partner,
                "version": CONSENT_VERSION,
                "at": request.at,
            }
            for pk, request in chosen.items()
            for partner in request.partners
        ],
    )


def _count_sources(requests: Sequence[SignRequest]) -> None:
    """Count new signatures per source and hour, with nothing that links one to its signer."""
    wanted = {request.source for request in requests if request.source is not None}
    if not wanted:
        return
    existing = _lock_sources(wanted)
    by_hour: dict[dt.datetime, list[int]] = {}
    for request in requests:
        if request.source in existing:
            hour = request.at.replace(minute=0, second=0, microsecond=0)
            by_hour.setdefault(hour, []).append(request.source)
    field = SourceCount._meta.get_field("hour")
    for hour, sources in by_hour.items():
        counters.numbers(SourceCount, "hour", field.get_db_prep_value(hour, connection), sources)


def _lock_sources(ids: set[int]) -> set[int]:
    """Those of these sources that still exist: an organiser may have deleted one since the
    form was read, and a count for it would break the foreign key, and the signer's commit. On
    PostgreSQL each is share-locked until this transaction ends, so that a deletion waits for
    the count and deletes it too (dashboard.statement_actions.delete_source)."""
    table = Source._meta.db_table
    sql = f"SELECT id FROM {table} WHERE id IN ({', '.join(['%s'] * len(ids))})"  # noqa: S608
    if connection.vendor == "postgresql":
        sql += " FOR KEY SHARE"
    with connection.cursor() as cursor:
        cursor.execute(sql, sorted(ids))
        return {row[0] for row in cursor.fetchall()}


def _hold_beyond_limits(requests: Sequence[SignRequest]) -> None:
    """Count the batch against the rate limits, in its transaction; hold what goes past them."""
    counted = [request for request in requests if request.client.rate_key]
    beyond = limits.beyond_limits([request.client.rate_key for request in counted], timezone.now())
    for request, over in zip(counted, beyond, strict=True):
        request.beyond_limit = over


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
        # Locked in one order, whoever reads them (see _write_batch).
        sql += " ORDER BY id FOR UPDATE"
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
        "hold_reason": request.hold_reason,
        "network": request.client.network,
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
        message = CONFIRM
        _count_sources([request])
        _write_partner_consents({signature.pk: request}, rewritten=())
    except IntegrityError:
        signature = Signature.objects.select_for_update().get(
            statement=request.statement, email_canonical=request.canonical
        )
        message = ALREADY_SIGNED
        if signature.state == Signature.State.PENDING:
            _apply(signature, request)
            signature.save(update_fields=_REWRITTEN)
            _write_partner_consents({signature.pk: request}, rewritten=(signature.pk,))
            message = CONFIRM
    SignatureToken.objects.create(
        signature=signature, token_hash=hash_token(request.token), created_at=request.at
    )
    if quota.take([request.email_key]) == [True]:
        outbox.enqueue(message, {"signature": signature.pk, "token": request.token})


# What signing again rewrites on a signature still waiting for confirmation.
_REWRITTEN = (
    *SIGNER_FIELDS,
    "language",
    "consent_version",
    "consent_at",
    "created_at",
    "hold_reason",
    "network",
)


def _apply(signature: Signature, request: SignRequest) -> None:
    for name, value in request.fields.items():
        setattr(signature, name, value)
    signature.language = request.language
    signature.consent_version = CONSENT_VERSION
    signature.consent_at = request.at
    # Signing again restarts the time the signer has to confirm.
    signature.created_at = request.at
    signature.hold_reason = request.hold_reason
    signature.network = request.client.network


signing: GroupCommit[SignRequest] = GroupCommit(
    _write_signatures, row_errors=(IntegrityError, DataError)
)
