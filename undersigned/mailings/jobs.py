"""Job handlers that send the signature emails. Safe to run twice: a stale job sends nothing."""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from django.db import connection

from undersigned.jobs.models import Job
from undersigned.jobs.queue import before_batch, handler, run_scope
from undersigned.lib.tokens import hash_token
from undersigned.mailings import emails
from undersigned.organisations.models import Invitation
from undersigned.statements.models import Signature, SignatureToken
from undersigned.statements.queries import statement_by_id
from undersigned.updates.models import Follower

log = logging.getLogger(__name__)

# What the emails read of a signature: text columns only, which need no conversion; in the
# model's order, as Model.from_db wants them.
_WANTED = {"id", "statement_id", "name", "email", "language", "kind", "display", "state"}
_FIELDS = [f.attname for f in Signature._meta.concrete_fields if f.attname in _WANTED]


def _select(pairs: list[tuple[int, str]]) -> dict[tuple[int, str], Signature]:
    """The signatures whose tokens these are, by (signature id, token hash): a pair whose
    token is another signature's is not among them. Plain SQL: it runs for every batch of
    emails, and the ORM's query building cost more than sending (see bench/).
    """
    signatures = Signature._meta.db_table
    tokens = SignatureToken._meta.db_table
    columns = ", ".join(f"s.{name}" for name in _FIELDS)
    hashes = sorted({token_hash for _pk, token_hash in pairs})
    sql = (
        f"SELECT t.token_hash, {columns} FROM {tokens} t "  # noqa: S608
        f"JOIN {signatures} s ON s.id = t.signature_id "
        f"WHERE t.token_hash IN ({', '.join(['%s'] * len(hashes))})"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, hashes)
        rows = cursor.fetchall()
    found = {}
    for token_hash, *values in rows:
        # Fields left out are deferred: reading one would query for it.
        signature = Signature.from_db(connection.alias, _FIELDS, values)
        found[signature.pk, token_hash] = signature
    return found


_SIGNATURE_JOBS = frozenset({"mail.confirm_signature", "mail.already_signed"})
# How long the signatures read for a batch stand in for reading each again just before its
# email: a signature withdrawn or erased meanwhile is sent nothing once this has passed.
_BATCH_FRESH_SECONDS = 1.0


class _Batch(threading.local):
    def __init__(self) -> None:
        self.read_at = 0.0
        # (signature id, token) -> the signature, None where the token is not its own
        self.found: dict[tuple[int, str], Signature | None] = {}


_batch = _Batch()


@before_batch
def _read_batch(jobs: list[Job]) -> None:
    """The signatures of a batch's signature emails in one query instead of one each: that
    query was a sixth of the worker's CPU (117 of ~700 µs an email, in the process)."""
    keys = [
        (job.payload["signature"], job.payload["token"])
        for job in jobs
        if job.kind in _SIGNATURE_JOBS
    ]
    pairs = [(pk, hash_token(token)) for pk, token in keys]
    found = _select(pairs) if pairs else {}
    # By (signature id, token): the handler finds its signature without hashing again.
    _batch.found = {key: found.get(pair) for key, pair in zip(keys, pairs, strict=True)}
    _batch.read_at = time.monotonic()


def _current(payload: dict[str, Any]) -> Signature | None:
    """The signature, if it still exists with this token (withdrawing deletes both)."""
    key = (payload["signature"], payload["token"])
    fresh = time.monotonic() - _batch.read_at < _BATCH_FRESH_SECONDS
    if fresh and key in _batch.found:
        signature = _batch.found.pop(key)
    else:
        pair = (key[0], hash_token(key[1]))
        signature = _select([pair]).get(pair)
    if signature is None:
        return None
    # The statement, its organisation and versions, as cached for a few seconds: the same for
    # thousands of emails in a row.
    statement = statement_by_id(signature.statement_id)
    if statement is None:
        return None
    signature.statement = statement
    return signature


run_scope(emails.one_connection)


@handler("mail.confirm_signature")
def send_confirmation(payload: dict[str, Any]) -> None:
    signature = _current(payload)
    if signature is not None and signature.state == Signature.State.PENDING:
        emails.confirm_signature(signature, payload["token"])


@handler("mail.already_signed")
def send_already_signed(payload: dict[str, Any]) -> None:
    signature = _current(payload)
    if signature is not None:
        emails.already_signed(signature, payload["token"])


@handler("mail.confirm_follower")
def send_follower_confirmation(payload: dict[str, Any]) -> None:
    # Only while the follower is pending and the token is its own: confirmed, purged or erased
    # ones send nothing.
    follower = (
        Follower.objects.filter(
            pk=payload["follower"],
            confirmed_at__isnull=True,
            tokens__token_hash=hash_token(payload["token"]),
        )
        .only("pk", "statement_id", "email", "language")
        .first()
    )
    statement = statement_by_id(follower.statement_id) if follower else None
    if follower is not None and statement is not None:
        follower.statement = statement
        emails.confirm_follower(follower, payload["token"])


@handler("mail.invitation")
def send_invitation(payload: dict[str, Any]) -> None:
    # Only while the invitation is pending with this very token: revoked, accepted or
    # replaced ones send nothing.
    invitation = (
        Invitation.objects.select_related("organisation")
        .filter(pk=payload["invitation"], token_hash=hash_token(payload["token"]))
        .first()
    )
    if invitation is not None and invitation.usable():
        emails.invitation(invitation, payload["token"])
