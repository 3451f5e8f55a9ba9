"""Writing sign requests: each signer's request waits in the group commit
(undersigned.lib.groupcommit) and is written with those of the signers who came meanwhile, in
one transaction of a few statements whatever their number (docs/architecture.md, "The sign
path"). Every request does the same work, whatever its address's past: a pending signature
where there was none, a link token, an email job; the worker decides what the email says.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.db import DataError, IntegrityError, connection, transaction
from django.utils import timezone

from undersigned.abuse import limits, quota
from undersigned.jobs import queue
from undersigned.lib import fastinsert
from undersigned.lib.groupcommit import GroupCommit
from undersigned.lib.tokens import hash_token
from undersigned.mailings import outbox
from undersigned.statements.details import NEW_SIGNATURE_DETAILS, NEW_SIGNATURE_PRIORITY
from undersigned.statements.emails import CONFIRM
from undersigned.statements.forms import CONSENT_VERSION
from undersigned.statements.models import Signature, SignatureToken, Statement

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
    # Counted against CLIENT_EMAIL_LIMITS: the client, across statements and forms.
    email_key: str = ""
    # The sign form's token: one email per use of it with an address (quota.form_key).
    form_token: str = ""
    # Held for review, and sent nothing until released (honeypot, too fast, no proof of work).
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

    # The form's use with this address (quota.form_key); a request without a form token is
    # counted under its email token, so as a first use.
    form_key: str = ""

    def __post_init__(self) -> None:
        # Hashed here, in the signer's own thread, not in the batch's transaction.
        self.email_key = self.email_key or quota.key_for(self.canonical)
        self.form_key = self.form_key or quota.form_key(
            self.client.form_token or self.token, self.canonical
        )

    @property
    def hold_reason(self) -> str:
        if self.client.hold_reason:
            return self.client.hold_reason
        return Signature.HoldReason.RATE if self.beyond_limit else Signature.HoldReason.NONE


def _write_signatures(requests: Sequence[SignRequest]) -> None:
    """Write a batch of sign requests in one transaction: a few statements, whatever its size."""
    # Durable: it must be the outermost transaction, or the signers would be told their
    # signature was stored before anything had committed.
    with transaction.atomic(durable=True):
        _write_batch(requests)


def _write_batch(requests: Sequence[SignRequest]) -> None:
    """The same statements for every request, whether its address is new, waiting for
    confirmation, confirmed or withdrawn: how long a request takes must not tell anyone which
    (docs/security.md, "Signing"). What differs is decided by the worker: which email to send
    (statements.emails), the partner consents and source counts of a new signature
    (statements.jobs). An address that has signed keeps what its first form recorded.

    Plain SQL on purpose: this runs for every signer, and the ORM's query building costs more
    than the database work (see bench/)."""
    _hold_beyond_limits(requests)
    firsts: dict[tuple[int, str], SignRequest] = {}
    for request in requests:
        firsts.setdefault((request.statement.pk, request.canonical), request)
    # In one order, whoever inserts: on PostgreSQL a row whose address another transaction is
    # inserting waits for it, and two batches of the same addresses in opposite orders would
    # each wait for the other (a deadlock, which fails one of them). In order, the second
    # waits for the first's commit, then leaves the row as the first wrote it.
    created = {
        (statement_id, email)
        for _pk, statement_id, email in fastinsert.insert(
            Signature,
            [_new_row(firsts[key]) for key in sorted(firsts)],
            returning=("statement_id", "email_canonical"),
            skip_existing=True,
        )
    }
    ids = _ids(sorted(firsts))
    for _retry in range(3):
        # Withdrawn by another transaction since this one found it there (PostgreSQL): written
        # again, as for a new address.
        missing = [key for key in sorted(firsts) if key not in ids]
        if not missing:
            break
        created |= {
            (statement_id, email)
            for _pk, statement_id, email in fastinsert.insert(
                Signature,
                [_new_row(firsts[key]) for key in missing],
                returning=("statement_id", "email_canonical"),
                skip_existing=True,
            )
        }
        ids.update(_ids(missing))
    # The address's emails today, and this form's uses with this address. A held form sends
    # nothing, so it does not use up the address's day: it is counted apart, in a row of its own.
    counted = quota.judge(
        [
            f"{request.form_key}:held" if request.hold_reason else request.email_key
            for request in requests
        ],
        [request.form_key for request in requests],
    )
    keyed = [(request, (request.statement.pk, request.canonical)) for request in requests]
    quiet = [
        bool(request.hold_reason) or verdict is quota.Verdict.REPEAT
        for request, verdict in zip(requests, counted, strict=True)
    ]
    fastinsert.insert(
        SignatureToken,
        [
            {
                "signature_id": ids[key],
                "token_hash": hash_token(request.token),
                "created_at": request.at,
                "unsent": True if unsent else None,
            }
            for (request, key), unsent in zip(keyed, quiet, strict=True)
        ],
    )
    emails: list[dict[str, Any]] = []
    times: list[dt.datetime | None] = []
    details: list[dict[str, Any]] = []
    for (request, key), verdict, unsent in zip(keyed, counted, quiet, strict=True):
        new = key in created and firsts[key] is request
        if request.partners or request.source is not None:
            details.append(
                {
                    "signature": ids[key],
                    "new": new,
                    "partners": list(request.partners),
                    "source": request.source,
                    "at": request.at.isoformat(),
                }
            )
        # One email job for every request, even one that sends nothing: the same rows.
        emails.append(
            {
                "signature": ids[key],
                "token": request.token,
                "new": new,
                # Nothing is sent for a form held for review or a form sent again.
                "held": unsent,
                # Past the address's cap: tomorrow, if still the signature's newest form.
                "deferred": verdict is quota.Verdict.DEFER,
            }
        )
        times.append(quota.next_day() if verdict is quota.Verdict.DEFER else None)
    outbox.enqueue_many(CONFIRM, emails, after=times)
    queue.enqueue_many(NEW_SIGNATURE_DETAILS, details, priority=NEW_SIGNATURE_PRIORITY)


def _hold_beyond_limits(requests: Sequence[SignRequest]) -> None:
    """Count the batch against the rate limits, in its transaction; hold what goes past them:
    sign forms per client and statement (SIGN_RATE_LIMITS), and emails per client across
    statements and forms (CLIENT_EMAIL_LIMITS)."""
    counted = [request for request in requests if request.client.rate_key]
    beyond = limits.beyond_limits(
        [request.client.rate_key for request in counted],
        timezone.now(),
        other=[request.client.email_key for request in counted],
    )
    for request, over in zip(counted, beyond, strict=True):
        request.beyond_limit = over


def _ids(keys: Sequence[tuple[int, str]]) -> dict[tuple[int, str], int]:
    """(statement id, canonical email) -> signature id, for every key: all exist by now. On
    PostgreSQL each row is key-share locked, so that a withdrawal in another transaction waits
    for this one, whose tokens refer to it."""
    statements = sorted({statement for statement, _email in keys})
    emails = sorted({email for _statement, email in keys})
    table = Signature._meta.db_table
    sql = (
        f"SELECT id, statement_id, email_canonical FROM {table} "  # noqa: S608
        f"WHERE statement_id IN ({', '.join(['%s'] * len(statements))}) "
        f"AND email_canonical IN ({', '.join(['%s'] * len(emails))})"
    )
    if connection.vendor == "postgresql":
        sql += " ORDER BY id FOR KEY SHARE"
    with connection.cursor() as cursor:
        cursor.execute(sql, [*statements, *emails])
        return {(row[1], row[2]): row[0] for row in cursor.fetchall()}


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


signing: GroupCommit[SignRequest] = GroupCommit(
    _write_signatures, row_errors=(IntegrityError, DataError)
)
