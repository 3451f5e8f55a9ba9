"""A member of one organisation never reads or changes another's.

ORGANISER_URLS lists organiser addresses, the dashboard's (all of which
dashboard/tests/test_permissions.py tries as well) and the admin's. Each is tried by the staff
owner of another organisation, who must get 404 from the dashboard and 403 from the admin
(which is for superusers only), logged as access.denied.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import Permission, User
from django.test import Client

from undersigned.audit.models import AuditLog
from undersigned.conftest import make_signature
from undersigned.organisations.models import Membership, Organisation
from undersigned.statements.models import Statement

# (method, address): {statement} is the other organisation's statement's slug, {statement_id}
# its primary key, {signature} one of its signatures, {organisation} the organisation's key,
# {membership} the key of one of its memberships.
ORGANISER_URLS = [
    ("get", "/dashboard/s/{statement}/"),
    ("get", "/dashboard/s/{statement}/signatures/"),
    ("get", "/dashboard/s/{statement}/signatures/export.csv"),
    ("get", "/dashboard/s/{statement}/signatures/export.xlsx"),
    ("get", "/dashboard/s/{statement}/privacy/"),
    ("post", "/dashboard/s/{statement}/privacy/"),
    ("post", "/dashboard/s/{statement}/privacy/signatories/"),
    ("get", "/dashboard/s/{statement}/watch/"),
    ("get", "/dashboard/s/{statement}/watch/?preview=1&by=domain&domain=example.org"),
    ("post", "/dashboard/s/{statement}/watch/invalidate/"),
    ("post", "/dashboard/s/{statement}/watch/held/"),
    ("post", "/dashboard/s/{statement}/watch/pause/"),
    ("get", "/dashboard/o/{organisation_slug}/erasure/"),
    ("post", "/dashboard/o/{organisation_slug}/erasure/"),
    ("get", "/dashboard/o/{organisation_slug}/audit/"),
    ("get", "/admin/"),
    ("get", "/admin/statements/statement/"),
    ("get", "/admin/statements/statement/?q=free"),
    ("get", "/admin/statements/signature/"),
    ("get", "/admin/statements/signature/?statement__id__exact={statement_id}"),
    ("get", "/admin/organisations/organisation/"),
    ("get", "/admin/statements/statement/{statement_id}/change/"),
    ("post", "/admin/statements/statement/{statement_id}/change/"),
    ("get", "/admin/statements/statement/{statement_id}/delete/"),
    ("post", "/admin/statements/statement/{statement_id}/delete/"),
    ("get", "/admin/statements/statement/{statement_id}/history/"),
    ("get", "/admin/statements/signature/{signature}/change/"),
    ("get", "/admin/statements/signature/{signature}/history/"),
    ("get", "/admin/organisations/organisation/{organisation}/change/"),
    ("post", "/admin/organisations/organisation/{organisation}/change/"),
    ("get", "/admin/organisations/organisation/{organisation}/history/"),
]


@pytest.fixture
def intruder(outsider: User) -> Client:
    """Staff owner of organisation "Other", with every permission the admin knows of."""
    outsider.is_staff = True
    outsider.save(update_fields=("is_staff",))
    outsider.user_permissions.set(
        Permission.objects.filter(content_type__app_label__in=("statements", "organisations"))
    )
    other = Organisation.objects.get(slug="other")
    Statement.objects.create(
        organisation=other, slug="their-own", status="open", default_language="en"
    )
    from undersigned.conftest import _client_for

    return _client_for(outsider)


@pytest.fixture
def targets(statement: Statement, organiser: User) -> dict[str, Any]:
    signature = make_signature(
        statement, 1, name="Secret Signer", email="secret@example.org", organisation_name="Secret"
    )
    return {
        "statement": statement.slug,
        "statement_id": statement.pk,
        "signature": signature.pk,
        "organisation": statement.organisation.pk,
        "organisation_slug": statement.organisation.slug,
        "membership": Membership.objects.get(user=organiser).pk,
    }


@pytest.mark.parametrize(("method", "url"), ORGANISER_URLS)
def test_another_organisations_records_are_refused_and_logged(
    intruder: Client, targets: dict[str, Any], outsider: User, method: str, url: str
) -> None:
    address = url.format(**targets)
    # What each form would take to change something, were the refusal missing.
    changes = {"paused": "1", "hidden": "1", "action": "reject", "by": "domain", "step": "erase"}
    data = (
        {
            "slug": "stolen",
            "name": "Stolen",
            "post": "yes",
            "domain": "example.org",
            "email": "secret@example.org",
            **changes,
        }
        if method == "post"
        else None
    )
    response = getattr(intruder, method)(address, data)
    # The dashboard does not tell them the statement exists; the admin refuses everyone but
    # superusers, whatever the address.
    assert response.status_code == (403 if address.startswith("/admin/") else 404), address
    body = b"".join(response) if response.streaming else response.content
    assert b"secret@example.org" not in body and b"Secret Signer" not in body
    assert AuditLog.objects.filter(action="access.denied", actor=outsider).exists(), address
    statement = Statement.objects.get(slug="free-them")
    assert not statement.signing_paused and not statement.signatories_hidden
    assert not statement.signatures.filter(state="rejected").exists()
    assert statement.signatures.filter(email="secret@example.org").exists()
    assert Organisation.objects.filter(name="Red Estudiantil").exists()


def test_the_organisations_own_member_gets_in(
    member_client: Client, targets: dict[str, Any]
) -> None:
    """The same addresses work for a member: the refusals above are about the organisation."""
    assert member_client.get("/dashboard/s/free-them/").status_code == 200
    assert member_client.get("/dashboard/s/free-them/signatures/export.csv").status_code == 200
    assert member_client.get("/dashboard/s/free-them/watch/").status_code == 200
    assert member_client.get("/dashboard/o/red-estudiantil/erasure/").status_code == 200
