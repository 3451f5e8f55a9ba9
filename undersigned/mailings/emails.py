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
from undersigned.lib.text import clean_line
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
        subject = _header_text(render_to_string(f"emails/{name}-subject.txt", context))
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
        "signature_url": settings.SITE_URL + reverse("my_signature", args=(slug, token)),
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
