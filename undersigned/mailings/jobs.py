"""Job handlers that send the signature emails. Safe to run twice: a stale job sends nothing."""

from __future__ import annotations

import logging
from typing import Any

from django.db import connection

from undersigned.jobs.queue import handler, run_scope
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


def _load(pk: int, token_hash: str) -> Signature | None:
    """The signature if this token is one of its own. Plain SQL: it runs for every email sent,
    and the ORM's query building cost more than sending (see bench/).
    """
    signatures = Signature._meta.db_table
    tokens = SignatureToken._meta.db_table
    columns = ", ".join(f"s.{name}" for name in _FIELDS)
    sql = (
        f"SELECT {columns} FROM {signatures} s JOIN {tokens} t ON t.signature_id = s.id "  # noqa: S608
        "WHERE s.id = %s AND t.token_hash = %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [pk, token_hash])
        row = cursor.fetchone()
    # Fields left out are deferred: reading one would query for it.
    return None if row is None else Signature.from_db(connection.alias, _FIELDS, row)


def _current(payload: dict[str, Any]) -> Signature | None:
    """The signature, if it still exists with this token (withdrawing deletes both)."""
    signature = _load(payload["signature"], hash_token(payload["token"]))
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
