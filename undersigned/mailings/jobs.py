"""Job handlers that send the signature emails. Safe to run twice: a stale job sends nothing."""

from __future__ import annotations

from typing import Any

from undersigned.jobs.queue import batch_scope, handler
from undersigned.lib.tokens import hash_token
from undersigned.mailings import emails
from undersigned.statements.models import Signature


def _current(payload: dict[str, Any]) -> Signature | None:
    """The signature, if it still exists with this token (withdrawing deletes both)."""
    signature = (
        Signature.objects.select_related("statement__organisation")
        .filter(pk=payload["signature"], tokens__token_hash=hash_token(payload["token"]))
        .first()
    )
    return signature


batch_scope(emails.one_connection)


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
