"""The updates' emails, as kinds of the outbox: the link that confirms a follower, an update
itself (sent by undersigned.updates.delivery, which keeps each recipient's progress), and a test
of an update that an organiser sends to herself before sending it to everyone."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from email.utils import formataddr
from typing import Any

from django.conf import settings
from django.urls import reverse

from undersigned.lib.languages import ui_language
from undersigned.lib.tokens import hash_token
from undersigned.mailings import outbox
from undersigned.mailings.compose import domain, header_text
from undersigned.statements.queries import statement_by_id
from undersigned.updates.models import Follower, Update

CONFIRM_FOLLOWER = "confirm_follower"
UPDATE = "update"
UPDATE_TEST = "update_test"
# The unsubscribe token of a preview or a test: it names nobody, and the page answers it as an
# unknown link.
NOBODY = "not-anyone"


def _load_followers(payloads: list[dict[str, Any]]) -> list[outbox.Email | None]:
    return [_follower_email(payload) for payload in payloads]


def _follower_email(payload: dict[str, Any]) -> outbox.Email | None:
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
    if follower is None or statement is None:
        return None
    version = statement.version_for(follower.language)
    language = version.language if version else statement.default_language

    def context(personal: Mapping[str, str]) -> dict[str, Any]:
        return {
            "statement": statement,
            "version": version,
            "organisation": statement.organisation,
            "unconfirmed_days": settings.UNCONFIRMED_DAYS,
            "confirm_url": settings.SITE_URL
            + reverse("follow_confirm", args=(statement.slug, personal["token"])),
            "statement_url": settings.SITE_URL
            + reverse("statement", args=(statement.slug, language)),
        }

    return outbox.Email(
        kind=CONFIRM_FOLLOWER,
        to=follower.email,
        sender=statement.organisation.name,
        language=ui_language(language, statement.default_language),
        context=context,
        personal={"token": payload["token"]},
    )


outbox.register(CONFIRM_FOLLOWER, _load_followers)


def update_email(update: Update, language: str, to: str, token: str, delivery: int) -> outbox.Email:
    """The update to one recipient, in `language` or the statement's default one, with a link
    (and the List-Unsubscribe header) that stops the updates. `update` is shared by every
    email of its mailing sent by this process: they share one rendering."""
    statement = update.statement
    version = update.version_for(language)
    if version is None:
        raise LookupError("no version")
    statement_version = statement.version_for(language)
    list_domain = domain()

    def context(personal: Mapping[str, str]) -> dict[str, Any]:
        return {
            "update": update,
            "version": version,
            "statement": statement,
            "organisation": statement.organisation,
            "update_url": settings.SITE_URL
            + reverse("update", args=(statement.slug, version.language, update.pk)),
            "unsubscribe_url": settings.SITE_URL
            + reverse("unsubscribe", args=(personal["token"],)),
            "statement_title": statement_version.title if statement_version else statement.slug,
        }

    def headers(context: Mapping[str, Any]) -> dict[str, str]:
        return {
            "List-Unsubscribe": f"<{context['unsubscribe_url']}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            "List-Id": formataddr(
                (header_text(statement.organisation.name)[:60], f"{statement.slug}.{list_domain}")
            ),
            "Auto-Submitted": "auto-generated",
        }

    return outbox.Email(
        kind=UPDATE,
        to=to,
        sender=statement.organisation.name,
        language=ui_language(version.language, statement.default_language),
        context=context,
        personal={"token": token},
        shared=(update.pk, language),
        source=update,
        headers=headers,
        message_id=f"update-{update.pk}-{delivery}",
    )


def test_email(update: Update, language: str, to: str) -> outbox.Email:
    """The update as a recipient reading `language` gets it, to `to`, its subject marked as a
    test; its unsubscribe link names nobody (it answers as an unknown link)."""
    email = update_email(update, language, to, token=NOBODY, delivery=0)
    context = email.context
    return dataclasses.replace(
        email,
        context=lambda personal: {**context(personal), "test": True},
        shared=None,
        message_id="",
    )


def _load_tests(payloads: list[dict[str, Any]]) -> list[outbox.Email | None]:
    emails: list[outbox.Email | None] = []
    for payload in payloads:
        update = (
            Update.objects.select_related("statement__organisation")
            .prefetch_related("versions", "statement__versions")
            .filter(pk=payload["update"])
            .first()
        )
        try:
            emails.append(
                test_email(update, payload["language"], payload["to"]) if update else None
            )
        except LookupError:  # that language version was deleted meanwhile
            emails.append(None)
    return emails


outbox.register(UPDATE_TEST, _load_tests)
