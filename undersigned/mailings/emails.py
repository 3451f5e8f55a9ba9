"""Every email Undersigned sends: one function per message type, rendered in the signer's language.

Templates come in threes: emails/<name>-subject.txt, -body.txt and -body.html.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from email.utils import formataddr, parseaddr
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.mail.backends.base import BaseEmailBackend
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from undersigned.lib.languages import ui_language
from undersigned.statements.models import Signature


def _sender(display_name: str) -> str:
    _name, address = parseaddr(settings.DEFAULT_FROM_EMAIL)
    # Header folding characters would let a name add headers; keep it to one plain line.
    clean = " ".join(display_name.split())[:100]
    return formataddr((clean, address))


class _Shared(threading.local):
    active = False
    connection: BaseEmailBackend | None = None


_shared = _Shared()


@contextmanager
def one_connection() -> Iterator[None]:
    """Send the emails of a batch over one SMTP connection instead of one each."""
    _shared.active = True
    try:
        yield
    finally:
        _shared.active = False
        if _shared.connection is not None:
            _shared.connection.close()
            _shared.connection = None


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
        _shared.connection.close()
        _shared.connection = None
        raise


def _send(name: str, to: str, from_name: str, context: dict[str, Any], language: str) -> None:
    context = {**context, "language": language}
    with translation.override(language):
        subject = " ".join(render_to_string(f"emails/{name}-subject.txt", context).split())
        text = render_to_string(f"emails/{name}-body.txt", context)
        html = render_to_string(f"emails/{name}-body.html", context)
    message = EmailMultiAlternatives(subject, text, _sender(from_name), [to])
    message.attach_alternative(html, "text/html")
    _deliver(message)


def _signature_context(signature: Signature, token: str) -> dict[str, Any]:
    statement = signature.statement
    version = next(
        (version for version in statement.versions.all() if version.language == signature.language),
        None,
    )
    slug = statement.slug
    return {
        "signature": signature,
        "statement": statement,
        "version": version,
        "organisation": statement.organisation,
        "unconfirmed_days": settings.UNCONFIRMED_DAYS,
        "confirm_url": settings.SITE_URL + reverse("confirm", args=(slug, token)),
        "withdraw_url": settings.SITE_URL + reverse("withdraw", args=(slug, token)),
        "statement_url": settings.SITE_URL + reverse("statement", args=(slug, signature.language)),
    }


def _send_to_signer(name: str, signature: Signature, token: str) -> None:
    """Send message `name` to the signer, from their statement's organisation, in the language
    of the version they signed (or the statement's default where the UI has no translation).
    """
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
