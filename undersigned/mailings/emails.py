"""Every email Undersigned sends: one function per message type, rendered in the signer's language.

Templates come in threes: emails/<name>-subject.txt, -body.txt and -body.html.
"""

from __future__ import annotations

import dataclasses
import re
import secrets
import smtplib
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from email.utils import formataddr, parseaddr
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.mail.backends.base import BaseEmailBackend
from django.core.mail.message import sanitize_address
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.html import escape

from undersigned.lib.languages import ui_language
from undersigned.lib.text import clean_line
from undersigned.mailings.backends import SMTPBackend
from undersigned.organisations.models import Invitation
from undersigned.statements.models import Signature
from undersigned.updates.models import Follower


def _header_text(text: str) -> str:
    """Text for a header: one plain line, as line breaks would let it add headers. MIME encoded
    words (=?utf-8?q?...?=) have their markers split apart: a mail program would decode one,
    and a line break inside would then make the SMTP backend refuse the message.
    """
    return clean_line(text).replace("=?", "= ?").replace("?=", "? =")


def _sender(display_name: str) -> str:
    _name, address = parseaddr(settings.DEFAULT_FROM_EMAIL)
    return formataddr((_header_text(display_name)[:100], address))


SMTP_BACKEND = "django.core.mail.backends.smtp.EmailBackend"


# Emails sent over one SMTP connection before it is closed and a new one opened: some mail
# servers refuse more than so many on one connection, and a long surge would otherwise keep
# one open for hours.
MESSAGES_PER_CONNECTION = 100


class _Shared(threading.local):
    active = False
    connection: BaseEmailBackend | None = None
    sent = 0


_shared = _Shared()


@contextmanager
def one_connection() -> Iterator[None]:
    """Send emails over one SMTP connection per thread instead of one each, for as long as
    the worker finds confirmation emails due one batch after another (queue.run_scope)."""
    _shared.active = True
    try:
        yield
    finally:
        _shared.active = False
        _close_shared()


def _close_shared() -> None:
    connection, _shared.connection, _shared.sent = _shared.connection, None, 0
    if connection is None:
        return
    try:
        connection.close()
    except Exception:  # noqa: BLE001, S110 - every email sent over it was answered already
        pass


def _sent_one() -> None:
    _shared.sent += 1
    if _shared.sent >= MESSAGES_PER_CONNECTION:
        _close_shared()


def _deliver(message: EmailMultiAlternatives) -> None:
    if not _shared.active:
        message.send()
        return
    if _shared.connection is None:
        _shared.connection = get_connection()
        _shared.connection.open()
    message.connection = _shared.connection
    try:
        message.send()
    except Exception:
        # A broken connection must not fail the rest of the batch: the next email opens anew.
        _close_shared()
        raise
    _sent_one()


def _message(
    name: str,
    to: str,
    from_name: str,
    context: dict[str, Any],
    language: str,
    *,
    html_context: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> EmailMultiAlternatives:
    context = {**context, "language": language}
    with translation.override(language):
        subject = _header_text(render_to_string(f"emails/{name}-subject.txt", context))
        text = render_to_string(f"emails/{name}-body.txt", context)
        html = render_to_string(
            f"emails/{name}-body.html", {**context, **(html_context or {}), "language": language}
        )
    message = EmailMultiAlternatives(subject, text, _sender(from_name), [to], headers=headers)
    message.attach_alternative(html, "text/html")
    return message


def _send(name: str, to: str, from_name: str, context: dict[str, Any], language: str) -> None:
    _deliver(_message(name, to, from_name, context, language))


# Messages to signers rendered once per statement, language and kind, with placeholders for
# what differs between signers: a surge's confirmation emails cost a few byte replacements
# each instead of three template renderings and a MIME composition (see bench/).
_TO = "recipient@placeholder.invalid"
_TOKEN = "LINKTOKENPLACEHOLDER"  # noqa: S105 - a placeholder, not a secret
_MESSAGE_ID = "MESSAGEIDPLACEHOLDER"
# Not plain ASCII, so that the parts are declared 8bit whatever name takes their place; and
# apart for the text and the HTML part, where the name is escaped.
_NAME_TEXT = "NAMEPLACEHOLDERTEXT\u00e9"
_NAME_HTML = "NAMEPLACEHOLDERHTML\u00e9"
_PLACEHOLDERS = re.compile(
    b"|".join(re.escape(p.encode()) for p in (_TO, _TOKEN, _MESSAGE_ID, _NAME_TEXT, _NAME_HTML))
)
# A name's line stays far below the 998 bytes beyond which the part would have been encoded.
_NAME_MAX_BYTES = 500
# A prepared message is rendered again after this long, so its Date header stays current.
_PREPARED_SECONDS = 60.0


@dataclasses.dataclass(frozen=True, slots=True)
class _Prepared:
    statement: object  # the cached Statement it was rendered from: a fresher one renders again
    made: float
    # The envelope sender: the bare address smtplib would have sent for the header's sender,
    # worked out once instead of for every message.
    sender: str
    data: bytes | None  # None: placeholders did not come through, so render each message


_prepared: dict[tuple[str, int, str], _Prepared] = {}
_prepared_lock = threading.Lock()


def _prepare(name: str, signature: Signature) -> _Prepared:
    statement = signature.statement
    key = (name, statement.pk, signature.language)
    with _prepared_lock:
        found = _prepared.get(key)
    if (
        found is not None
        and found.statement is statement
        and time.monotonic() - found.made < _PREPARED_SECONDS
    ):
        return found
    domain = parseaddr(settings.DEFAULT_FROM_EMAIL)[1].rpartition("@")[2] or "localhost"
    message = _message(
        name,
        _TO,
        statement.organisation.name,
        _signature_context(signature, _TOKEN, {"name": _NAME_TEXT}),
        ui_language(signature.language, statement.default_language),
        html_context={"signature": {"name": _NAME_HTML}},
        headers={"Message-ID": f"<{_MESSAGE_ID}@{domain}>"},
    )
    rendered = message.message().as_bytes(linesep="\r\n")
    # Every placeholder must have come through as written, in 8bit parts, or each message is
    # rendered whole instead.
    intact = (
        rendered.count(_TO.encode()) == 1
        and rendered.count(_MESSAGE_ID.encode()) == 1
        and rendered.count(_TOKEN.encode()) >= 2
        and rendered.count(_NAME_TEXT.encode()) == 1
        and rendered.count(_NAME_HTML.encode()) == 1
        and b"Content-Transfer-Encoding: 7bit" not in rendered
    )
    data = rendered if intact else None
    sender = smtplib.quoteaddr(sanitize_address(message.from_email, "utf-8"))[1:-1]
    found = _Prepared(statement, time.monotonic(), sender, data)
    with _prepared_lock:
        if len(_prepared) > 1000:
            _prepared.clear()
        _prepared[key] = found
    return found


def _filled(name: str, signature: Signature, token: str) -> tuple[str, bytes] | None:
    """The message `name` to the signer as bytes to send, from its prepared form; None where it
    must be rendered whole (an address beyond ASCII, a name too long to be sure of)."""
    to = signature.email
    if not (to.isascii() and to.isprintable()) or len(signature.name.encode()) > _NAME_MAX_BYTES:
        return None
    prepared = _prepare(name, signature)
    if prepared.data is None:
        return None
    values = {
        _TO.encode(): to.encode(),
        _TOKEN.encode(): token.encode(),
        _MESSAGE_ID.encode(): secrets.token_hex(16).encode(),
        _NAME_TEXT.encode(): signature.name.encode(),
        _NAME_HTML.encode(): escape(signature.name).encode(),
    }
    # In one pass: what a name holds is never read as a placeholder.
    return prepared.sender, _PLACEHOLDERS.sub(lambda found: values[found[0]], prepared.data)


def _deliver_bytes(sender: str, to: str, data: bytes) -> None:
    """Send a message already composed, over the batch's connection if there is one."""
    shared = _shared.active
    backend: Any = _shared.connection if shared else None
    if backend is None:
        backend = SMTPBackend()
        backend.open()
        if shared:
            _shared.connection = backend
    try:
        backend.connection.sendmail(sender, [to], data)
    except Exception:
        if shared:
            _close_shared()
        else:
            backend.close()
        raise
    if shared:
        _sent_one()
    else:
        backend.close()


def _signature_context(
    signature: Signature, token: str, shown: dict[str, str] | None = None
) -> dict[str, Any]:
    statement = signature.statement
    version = next(
        (version for version in statement.versions.all() if version.language == signature.language),
        None,
    )
    slug = statement.slug
    return {
        "signature": shown or signature,
        "statement": statement,
        "version": version,
        "organisation": statement.organisation,
        "unconfirmed_days": settings.UNCONFIRMED_DAYS,
        "confirm_url": settings.SITE_URL + reverse("confirm", args=(slug, token)),
        "withdraw_url": settings.SITE_URL + reverse("withdraw", args=(slug, token)),
        "signature_url": settings.SITE_URL + reverse("my_signature", args=(slug, token)),
        "statement_url": settings.SITE_URL + reverse("statement", args=(slug, signature.language)),
    }


def _send_to_signer(name: str, signature: Signature, token: str) -> None:
    """Send message `name` to the signer, from their statement's organisation, in the language
    of the version they signed (or the statement's default where the UI has no translation).
    """
    if settings.EMAIL_BACKEND == SMTP_BACKEND:
        filled = _filled(name, signature, token)
        if filled is not None:
            _deliver_bytes(filled[0], signature.email, filled[1])
            return
    _send(
        name,
        signature.email,
        signature.statement.organisation.name,
        _signature_context(signature, token),
        ui_language(signature.language, signature.statement.default_language),
    )


def confirm_signature(signature: Signature, token: str) -> None:
    """Ask the signer to confirm: the link opens a page whose button confirms."""
    _send_to_signer("confirm_signature", signature, token)


def already_signed(signature: Signature, token: str) -> None:
    """Tell the owner of an address that signed before that someone signed with it again."""
    _send_to_signer("already_signed", signature, token)


def confirm_follower(follower: Follower, token: str) -> None:
    """Ask someone who followed a statement to confirm: the link opens a page whose button
    confirms. In the language they chose for the updates."""
    statement = follower.statement
    versions = {version.language: version for version in statement.versions.all()}
    version = versions.get(follower.language) or versions.get(statement.default_language)
    language = version.language if version else statement.default_language
    context = {
        "statement": statement,
        "version": version,
        "organisation": statement.organisation,
        "unconfirmed_days": settings.UNCONFIRMED_DAYS,
        "confirm_url": settings.SITE_URL + reverse("follow_confirm", args=(statement.slug, token)),
        "statement_url": settings.SITE_URL + reverse("statement", args=(statement.slug, language)),
    }
    _send(
        "confirm_follower",
        follower.email,
        statement.organisation.name,
        context,
        ui_language(language, statement.default_language),
    )


def invitation(invitation: Invitation, token: str) -> None:
    """Invite someone to an organisation, in the inviting owner's language: the link opens a
    page where they accept, or first make an account."""
    organisation = invitation.organisation
    context = {
        "organisation": organisation,
        "role": invitation.get_role_display,
        "expires_at": invitation.expires_at,
        "accept_url": settings.SITE_URL + reverse("dashboard:invitation", args=(token,)),
    }
    _send(
        "invitation",
        invitation.email,
        organisation.name,
        context,
        ui_language(invitation.language, settings.LANGUAGE_CODE),
    )
