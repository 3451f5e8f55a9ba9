"""The emails to signers, as kinds of the outbox: the confirmation link, and "you have already
signed" for an address that signs again once confirmed (a sign form queues CONFIRM either
way, and which one it gets is decided when it is sent). Sent in the language of the version
signed (the statement's default where the interface has no translation), from the
statement's organisation.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable, Mapping
from typing import Any

from django.conf import settings
from django.db import connection
from django.urls import reverse

from undersigned.lib.languages import ui_language
from undersigned.lib.tokens import hash_token
from undersigned.mailings import outbox
from undersigned.statements.models import Signature, SignatureToken, Statement, StatementVersion
from undersigned.statements.queries import statement_by_id

CONFIRM = "confirm_signature"
ALREADY_SIGNED = "already_signed"

# What the emails read of a signature: text columns only, which need no conversion; in the
# model's order, as Model.from_db wants them.
_WANTED = {
    "id",
    "statement_id",
    "name",
    "email",
    "language",
    "kind",
    "display",
    "state",
    "hold_reason",
}
_FIELDS = [f.attname for f in Signature._meta.concrete_fields if f.attname in _WANTED]


def _select(hashes: set[str]) -> dict[str, Signature]:
    """The signatures these token hashes belong to, by hash. Plain SQL: it runs for every batch
    of a surge's confirmation emails, where the ORM's query building costs more than sending.
    """
    columns = ", ".join(f"s.{name}" for name in _FIELDS)
    sql = (
        f"SELECT t.token_hash, {columns} FROM {SignatureToken._meta.db_table} t "  # noqa: S608
        f"JOIN {Signature._meta.db_table} s ON s.id = t.signature_id "
        f"WHERE t.token_hash IN ({', '.join(['%s'] * len(hashes))})"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, sorted(hashes))
        rows = cursor.fetchall()
    # Fields left out are deferred: reading one would query for it.
    return {
        token_hash: Signature.from_db(connection.alias, _FIELDS, values)
        for token_hash, *values in rows
    }


def _newest(signatures: set[int]) -> dict[int, str | None]:
    """Signature id -> the hash of its newest token that an email carries or may carry: of its
    latest sign form that was neither held nor a page sent again (SignatureToken.unsent)."""
    return {
        signature: SignatureToken.objects.filter(signature_id=signature, unsent__isnull=True)
        .order_by("-created_at", "-pk")
        .values_list("token_hash", flat=True)
        .first()
        for signature in signatures
    }


def _loader(kind: str) -> outbox.Load:
    def load(payloads: list[dict[str, Any]]) -> list[outbox.Email | None]:
        hashes = [hash_token(payload["token"]) for payload in payloads]
        found = _select(set(hashes))
        newest = _newest({p["signature"] for p in payloads if p.get("deferred")})
        return [
            None
            if payload.get("deferred") and newest.get(payload["signature"]) != token_hash
            else _email(kind, found.get(token_hash), payload)
            for token_hash, payload in zip(hashes, payloads, strict=True)
        ]

    return load


def _email(kind: str, signature: Signature | None, payload: dict[str, Any]) -> outbox.Email | None:
    """The email a sign form gets, decided here rather than by the request, whose work must not
    depend on whether the address had signed (statements.store): while its signature waits for
    confirmation, the confirmation link; once confirmed, "already signed" to an address that
    signed again. Nothing while the token is no longer this signature's (withdrawing deletes
    both), for a form or a signature held for review (sent once released), or for a new
    signature confirmed meanwhile. A form past the address's daily cap (`deferred`, run the
    next day, and only for the signature's newest form: see `load`) sends the link of a
    signature still waiting, nothing else."""
    if signature is None or signature.pk != payload["signature"] or payload.get("held"):
        return None
    if payload.get("deferred") and signature.state != Signature.State.PENDING:
        return None
    if signature.state == Signature.State.PENDING:
        if signature.hold_reason:
            return None
        kind = CONFIRM
    elif kind == CONFIRM and payload.get("new", True):
        return None
    else:
        kind = ALREADY_SIGNED
    # The statement, its organisation and versions as cached for a few seconds: the same for
    # thousands of emails in a row, so they share one rendering.
    statement = statement_by_id(signature.statement_id)
    if statement is None:
        return None
    shared = _shared(statement, signature.language)
    return outbox.Email(
        kind=kind,
        to=signature.email,
        sender=shared.sender,
        language=shared.language,
        context=shared.context,
        personal={"token": payload["token"], "name": signature.name},
        shared=shared.key,
        source=statement,
    )


@dataclasses.dataclass(frozen=True, slots=True)
class _Shared:
    """What every signer's email about one statement in one language has in common."""

    key: tuple[int, str]
    sender: str
    language: str
    context: Callable[[Mapping[str, str]], dict[str, Any]]


def _shared(statement: Statement, language: str) -> _Shared:
    """Kept on the statement object, which is read again every few seconds: worked out once
    for the thousands of emails of a surge in between."""
    known: dict[str, _Shared] = statement.__dict__.setdefault("_signer_emails", {})
    found = known.get(language)
    if found is None:
        found = known[language] = _Shared(
            key=(statement.pk, language),
            sender=statement.organisation.name,
            language=ui_language(language, statement.default_language),
            context=functools.partial(
                _context, statement, statement.version_for(language), language
            ),
        )
    return found


def _context(
    statement: Statement,
    version: StatementVersion | None,
    language: str,
    personal: Mapping[str, str],
) -> dict[str, Any]:
    slug, token = statement.slug, personal["token"]
    return {
        "signature": {"name": personal["name"]},
        "statement": statement,
        "version": version,
        "organisation": statement.organisation,
        "unconfirmed_days": settings.UNCONFIRMED_DAYS,
        "confirm_url": settings.SITE_URL + reverse("confirm", args=(slug, token)),
        "withdraw_url": settings.SITE_URL + reverse("withdraw", args=(slug, token)),
        "signature_url": settings.SITE_URL + reverse("my_signature", args=(slug, token)),
        "statement_url": settings.SITE_URL + reverse("statement", args=(slug, language)),
    }


outbox.register(CONFIRM, _loader(CONFIRM))
outbox.register(ALREADY_SIGNED, _loader(ALREADY_SIGNED))
