"""The invitation to join an organisation, as a kind of the outbox: in the inviting owner's
language, its link opening a page where the invitee accepts, or first makes an account."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.urls import reverse

from undersigned.lib.languages import ui_language
from undersigned.lib.tokens import hash_token
from undersigned.mailings import outbox
from undersigned.organisations.models import Invitation

INVITATION = "invitation"


def _load(payloads: list[dict[str, Any]]) -> list[outbox.Email | None]:
    return [_email(payload) for payload in payloads]


def _email(payload: dict[str, Any]) -> outbox.Email | None:
    # Only while the invitation is pending with this very token: revoked, accepted or replaced
    # ones send nothing.
    invitation = (
        Invitation.objects.select_related("organisation")
        .filter(pk=payload["invitation"], token_hash=hash_token(payload["token"]))
        .first()
    )
    if invitation is None or not invitation.usable():
        return None
    organisation = invitation.organisation

    def context(personal: Mapping[str, str]) -> dict[str, Any]:
        return {
            "organisation": organisation,
            "role": invitation.get_role_display,
            "expires_at": invitation.expires_at,
            "accept_url": settings.SITE_URL
            + reverse("dashboard:invitation", args=(personal["token"],)),
        }

    return outbox.Email(
        kind=INVITATION,
        to=invitation.email,
        sender=organisation.name,
        language=ui_language(invitation.language, settings.LANGUAGE_CODE),
        context=context,
        personal={"token": payload["token"]},
    )


outbox.register(INVITATION, _load)
