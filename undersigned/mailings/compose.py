"""Making an email: its three templates rendered in the recipient's language, and for the
outbox's SMTP path, the composed bytes of a message rendered once and filled in per recipient.

A kind's emails share everything but a few values (the address, a link's token, a name): in a
surge, thousands of confirmation emails a minute go out for one statement in one language. So
a message is rendered once with a placeholder for each such value, composed, and for each
recipient the placeholders in those bytes are replaced: a few byte replacements instead of
three template renderings and a MIME composition. Whatever could make the filled bytes differ
from the message rendered whole (a placeholder encoded away, an address beyond ASCII, a value
too long for its line) falls back to rendering that message whole.
"""

from __future__ import annotations

import dataclasses
import html
import re
import secrets
import smtplib
import threading
import time
from collections.abc import Callable, Hashable, Mapping
from email.utils import formataddr, parseaddr
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.core.mail.message import sanitize_address
from django.template.loader import render_to_string
from django.utils import translation

from undersigned.lib.text import clean_line


@dataclasses.dataclass(frozen=True, slots=True)
class Email:
    """One message, as its kind describes it (see outbox.register)."""

    kind: str
    to: str
    # Who it is from: the display name of the From header (an organisation's name).
    sender: str
    # The interface language its templates are rendered in.
    language: str
    # The templates' context, given the values that differ between recipients: the real ones,
    # or placeholders when the message is prepared for many. Nothing else in it may differ
    # between emails of the same `shared` key.
    context: Callable[[Mapping[str, str]], dict[str, Any]]
    personal: Mapping[str, str] = dataclasses.field(default_factory=dict)
    # Emails with the same key share one rendering while `source` is the same object (a
    # fresher copy of a statement renders again); None renders each email whole.
    shared: Hashable | None = None
    source: object = None
    # Headers beyond From, To, Subject, Date and Message-ID, from the context.
    headers: Callable[[Mapping[str, Any]], dict[str, str]] | None = None
    # The Message-ID's left part; random when empty.
    message_id: str = ""


def header_text(text: str) -> str:
    """Text for a header: one plain line, as line breaks would let it add headers. MIME encoded
    words (=?utf-8?q?...?=) have their markers split apart: a mail program would decode one,
    and a line break inside would then make the SMTP backend refuse the message.
    """
    return clean_line(text).replace("=?", "= ?").replace("?=", "? =")


def _from(display_name: str) -> str:
    _name, address = parseaddr(settings.DEFAULT_FROM_EMAIL)
    return formataddr((header_text(display_name)[:100], address))


def domain() -> str:
    """The site's domain (of SITE_URL), for Message-IDs and list ids: the name the site is
    known by, which the sender address's domain (often a mail provider's) may not be."""
    return (
        urlsplit(settings.SITE_URL).hostname
        or parseaddr(settings.DEFAULT_FROM_EMAIL)[1].rpartition("@")[2]
        or "localhost"
    )


def render(email: Email, stand_ins: Mapping[str, Mapping[str, str]] | None = None) -> Any:
    """The email as a Django EmailMultiAlternatives, rendered whole. When preparing,
    `stand_ins` gives the placeholders that stand for its values in the text part and the
    subject ("text"), the HTML part ("html") and the other headers ("header")."""
    values = stand_ins or {part: email.personal for part in _PARTS}
    language = {"language": email.language}
    context = {**email.context(values["text"]), **language}
    with translation.override(email.language):
        subject = header_text(render_to_string(f"emails/{email.kind}-subject.txt", context))
        text = render_to_string(f"emails/{email.kind}-body.txt", context)
        html = render_to_string(
            f"emails/{email.kind}-body.html", {**email.context(values["html"]), **language}
        )
    headers = dict(email.headers(email.context(values["header"]))) if email.headers else {}
    # RFC 3834: every email here is sent by the site, not typed by a person; vacation
    # responders and mailing lists must not answer it.
    headers.setdefault("Auto-Submitted", "auto-generated")
    message_id = values["header"].get("message_id") or email.message_id or secrets.token_hex(16)
    headers["Message-ID"] = f"<{message_id}@{domain()}>"
    to = values["header"].get("to", email.to)
    message = EmailMultiAlternatives(subject, text, _from(email.sender), [to], headers=headers)
    message.attach_alternative(html, "text/html")
    return message


_PARTS = ("text", "html", "header")
# Prepared messages are rendered again after this long, so their Date header stays current.
PREPARED_SECONDS = 60.0
# A line longer than this (RFC 5321: 1,000 with its CRLF) would have been encoded.
_LINE_LIMIT = 998


@dataclasses.dataclass(frozen=True, slots=True)
class _Prepared:
    source: object
    made: float
    # The envelope sender, worked out once instead of for every message.
    sender: str
    # None: the placeholders did not come through as written, so each message is rendered.
    data: bytes | None
    # placeholder -> (name of the value, the part it stands in)
    holes: Mapping[bytes, tuple[str, str]]
    pattern: re.Pattern[bytes]
    # The longest value, in bytes, that keeps every line under the limit.
    room: int
    # Every part declared 8bit: a value beyond ASCII may take a placeholder's place.
    eight_bit: bool


_prepared: dict[tuple[str, Hashable], _Prepared] = {}
_lock = threading.Lock()


def _placeholder(name: str, part: str) -> str:
    # Letters only, and long enough to pass for a link's token in a URL pattern.
    return f"PLACEHOLDER{part.upper()}{name.upper()}END"


def _prepare(email: Email) -> _Prepared:
    key = (email.kind, email.shared)
    with _lock:
        found = _prepared.get(key)
    if (
        found is not None
        and found.source is email.source
        and time.monotonic() - found.made < PREPARED_SECONDS
    ):
        return found
    stand_ins = {
        part: {name: _placeholder(name, part) for name in email.personal} for part in _PARTS
    }
    stand_ins["header"].update(
        to="recipient@placeholder.invalid", message_id="MESSAGEIDPLACEHOLDER"
    )
    message = render(email, stand_ins)
    data: bytes = message.message().as_bytes(linesep="\r\n")
    # What the templates and headers wrote, before MIME encoded any of it.
    written = "\n".join(
        (message.subject, message.body, message.alternatives[0][0], *message.extra_headers.values())
    )
    # The placeholders written, and the address's and the Message-ID's: a value none of the
    # parts shows is not filled in.
    holes = {
        value.encode(): (name, part)
        for part, values in stand_ins.items()
        for name, value in values.items()
        if value in written or name in ("to", "message_id")
    }
    # Every placeholder must come through as many times as it was written, the address and the
    # Message-ID once each, and no part may be quoted-printable or base64: an encoding can
    # split a placeholder (a soft line break) or hide it, and it would then never be filled.
    intact = (
        b"Content-Transfer-Encoding: quoted-printable" not in data
        and b"Content-Transfer-Encoding: base64" not in data
        and data.count(b"recipient@placeholder.invalid") == 1
        and data.count(b"MESSAGEIDPLACEHOLDER") == 1
        and all(
            data.count(hole) == written.count(hole.decode())
            for hole, (name, _part) in holes.items()
            if name not in ("to", "message_id")
        )
    )
    room = _room(data, holes)
    found = _Prepared(
        source=email.source,
        made=time.monotonic(),
        sender=smtplib.quoteaddr(sanitize_address(message.from_email, "utf-8"))[1:-1],
        data=data if intact and room > 0 else None,
        holes=holes,
        pattern=re.compile(b"|".join(re.escape(hole) for hole in holes)),
        room=room,
        eight_bit=b"Content-Transfer-Encoding: 7bit" not in data,
    )
    with _lock:
        if len(_prepared) > 1000:
            _prepared.clear()
        _prepared[key] = found
    return found


def _room(data: bytes, holes: Mapping[bytes, object]) -> int:
    """How long each value may be, in bytes, for every line holding placeholders to stay
    under the limit however they are filled."""
    room = _LINE_LIMIT
    for line in data.split(b"\r\n"):
        count = sum(line.count(hole) for hole in holes)
        if count:
            fixed = len(line) - sum(len(hole) * line.count(hole) for hole in holes)
            room = min(room, (_LINE_LIMIT - fixed) // count)
    return room


def composed(email: Email) -> tuple[str, bytes]:
    """The envelope sender and the bytes of the message, to send over SMTP."""
    if email.shared is not None:
        filled = _filled(email)
        if filled is not None:
            return filled
    message = render(email)
    sender = smtplib.quoteaddr(sanitize_address(message.from_email, "utf-8"))[1:-1]
    return sender, message.message().as_bytes(linesep="\r\n")


def _filled(email: Email) -> tuple[str, bytes] | None:
    """The prepared message with this email's values in place; None where it must be
    rendered whole (an address or header value beyond ASCII, a value with a line break or
    too long for its line, a value beyond ASCII in a part declared 7bit)."""
    prepared = _prepare(email)
    if prepared.data is None:
        return None
    values = {
        **email.personal,
        "to": email.to,
        "message_id": email.message_id or secrets.token_hex(16),
    }
    filled: dict[bytes, bytes] = {}
    for hole, (name, part) in prepared.holes.items():
        value = values[name]
        if "\r" in value or "\n" in value:
            return None
        if not value.isascii() and (part == "header" or not prepared.eight_bit):
            return None
        encoded = (html.escape(value) if part == "html" else value).encode()
        if len(encoded) > prepared.room or (part == "header" and not value.isprintable()):
            return None
        filled[hole] = encoded
    # In one pass: what a value holds is never read as a placeholder.
    return prepared.sender, prepared.pattern.sub(lambda found: filled[found[0]], prepared.data)


def forget_prepared() -> None:
    with _lock:
        _prepared.clear()
