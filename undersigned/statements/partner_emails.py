"""The email asking a partner organisation's owners whether it backs a statement, as a kind of
the outbox. Until one of them accepts on the dashboard, the statement names the organisation
nowhere (coalition.accept_partnership). A new organisation has no owner yet: the person invited
to own it sees the question on their dashboard once they join."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.urls import reverse

from undersigned.lib.languages import ui_language
from undersigned.mailings import outbox
from undersigned.organisations.models import Membership
from undersigned.statements.models import Partner, Statement

PARTNERSHIP = "partnership"


def ask_owners(partner: Partner) -> None:
    """Queue the question to every owner of the partner organisation (in the transaction that
    adds the partner)."""
    owners = Membership.objects.filter(
        organisation_id=partner.organisation_id, role=Membership.Role.OWNER
    ).exclude(user__email="")
    for user in owners.values_list("user_id", flat=True):
        outbox.enqueue(PARTNERSHIP, {"partner": partner.pk, "user": user})


def _load(payloads: list[dict[str, Any]]) -> list[outbox.Email | None]:
    return [_email(payload) for payload in payloads]


def _email(payload: dict[str, Any]) -> outbox.Email | None:
    partner = (
        Partner.objects.select_related("statement__organisation", "organisation")
        .prefetch_related("statement__versions")
        .filter(pk=payload["partner"], active=True, accepted_at__isnull=True)
        .first()
    )
    if partner is None:
        return None  # answered, or removed, meanwhile
    # Only to someone who is still an owner.
    owner = (
        Membership.objects.select_related("user")
        .filter(
            organisation_id=partner.organisation_id,
            user_id=payload["user"],
            role=Membership.Role.OWNER,
        )
        .first()
    )
    if owner is None or not owner.user.email:
        return None
    statement = partner.statement
    version = statement.version_for(statement.default_language)

    def context(personal: Mapping[str, str]) -> dict[str, Any]:
        return {
            "host": statement.organisation,
            "organisation": partner.organisation,
            "title": version.title if version else statement.slug,
            # A draft has no public page yet: the dashboard's link shows it to the owners.
            "statement_url": ""
            if statement.status == Statement.Status.DRAFT
            else settings.SITE_URL
            + reverse("statement", args=(statement.slug, statement.default_language)),
            "answer_url": settings.SITE_URL
            + reverse("dashboard:partner", args=(statement.slug, partner.organisation.slug)),
        }

    return outbox.Email(
        kind=PARTNERSHIP,
        to=owner.user.email,
        sender=statement.organisation.name,
        language=ui_language(statement.default_language, settings.LANGUAGE_CODE),
        context=context,
    )


outbox.register(PARTNERSHIP, _load)
