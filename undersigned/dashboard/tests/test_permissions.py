"""Every dashboard view, tried by an owner, an editor, a viewer, an outsider and a visitor.

DASHBOARD_VIEWS lists them with the least role each needs; add every new view. Outsiders get
404 (the organisation's things are not theirs to know of), members below the role 403, and
both refusals are in the audit log; visitors are sent to log in.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from undersigned.audit.models import AuditLog
from undersigned.organisations.models import Membership, Organisation
from undersigned.statements.models import Source, Statement

# (method, address, least role): {statement} is the statement's slug, {organisation} its
# organisation's slug. A None role: any logged-in person.
DASHBOARD_VIEWS: list[tuple[str, str, str | None]] = [
    ("get", "/dashboard/", None),
    # Signatures
    ("get", "/dashboard/s/{statement}/signatures/", "viewer"),
    ("get", "/dashboard/s/{statement}/signatures/export.csv", "editor"),
    ("get", "/dashboard/s/{statement}/signatures/moderation/", "editor"),
    ("post", "/dashboard/s/{statement}/signatures/moderation/", "editor"),
    ("get", "/dashboard/s/{statement}/signatures/paper/", "editor"),
    ("post", "/dashboard/s/{statement}/signatures/paper/", "editor"),
    ("post", "/dashboard/s/{statement}/signatures/paper/restart/", "editor"),
    ("get", "/dashboard/s/{statement}/signatures/{signature}/hide/", "editor"),
    ("post", "/dashboard/s/{statement}/signatures/{signature}/hide/", "editor"),
    ("get", "/dashboard/s/{statement}/signatures/{signature}/remove/", "editor"),
    ("post", "/dashboard/s/{statement}/signatures/{signature}/remove/", "editor"),
    # Watching for abuse
    ("get", "/dashboard/s/{statement}/watch/", "viewer"),
    # Email domains, per hour or in a preview, for those who see addresses.
    ("get", "/dashboard/s/{statement}/watch/?by=domain", "editor"),
    ("get", "/dashboard/s/{statement}/watch/?preview=1&by=domain&domain=example.org", "editor"),
    ("get", "/dashboard/s/{statement}/watch/?preview=1&by=network&network=abc", "viewer"),
    ("post", "/dashboard/s/{statement}/watch/invalidate/", "editor"),
    ("post", "/dashboard/s/{statement}/watch/held/", "editor"),
    ("post", "/dashboard/s/{statement}/watch/pause/", "editor"),
    # Privacy: the whole signatory list, the count after erasure; erasure requests; the log
    ("get", "/dashboard/s/{statement}/privacy/", "viewer"),
    ("post", "/dashboard/s/{statement}/privacy/", "editor"),
    ("get", "/dashboard/s/{statement}/privacy/signatories/", "editor"),
    ("post", "/dashboard/s/{statement}/privacy/signatories/", "editor"),
    ("get", "/dashboard/o/{organisation}/erasure/", "editor"),
    ("post", "/dashboard/o/{organisation}/erasure/", "editor"),
    ("get", "/dashboard/o/{organisation}/audit/", "owner"),
    ("get", "/dashboard/o/{organisation}/audit/?statement={statement}&person=1", "owner"),
    # Charts and sources
    ("get", "/dashboard/s/{statement}/charts/", "viewer"),
    ("get", "/dashboard/s/{statement}/sources/", "viewer"),
    ("post", "/dashboard/s/{statement}/sources/", "editor"),
    # Updates
    ("get", "/dashboard/s/{statement}/updates/", "viewer"),
    ("get", "/dashboard/s/{statement}/updates/new/", "editor"),
    ("post", "/dashboard/s/{statement}/updates/new/", "editor"),
    ("get", "/dashboard/s/{statement}/updates/{update}/", "viewer"),
    ("post", "/dashboard/s/{statement}/updates/{update}/", "editor"),
    ("post", "/dashboard/s/{statement}/updates/{update}/publish/", "editor"),
    ("post", "/dashboard/s/{statement}/updates/{update}/email/", "editor"),
    ("post", "/dashboard/s/{statement}/updates/{update}/delete/", "editor"),
    # Coalitions: the running organisation's side (a partner's own side: test_partners.py)
    ("get", "/dashboard/s/{statement}/partners/", "viewer"),
    ("post", "/dashboard/s/{statement}/partners/", "editor"),
    ("post", "/dashboard/s/{statement}/partners/{partner}/remove/", "editor"),
    ("get", "/dashboard/s/{statement}/sources/{source}/rename/", "editor"),
    ("post", "/dashboard/s/{statement}/sources/{source}/rename/", "editor"),
    ("get", "/dashboard/s/{statement}/sources/{source}/delete/", "editor"),
    ("post", "/dashboard/s/{statement}/sources/{source}/delete/", "editor"),
    # Organisations, members and invitations (views/members.py).
    ("get", "/dashboard/organisations/new/", None),
    ("post", "/dashboard/organisations/new/", None),
    ("get", "/dashboard/o/{organisation}/", "viewer"),
    ("post", "/dashboard/o/{organisation}/", "owner"),
    ("post", "/dashboard/o/{organisation}/invite/", "owner"),
    ("post", "/dashboard/o/{organisation}/invitations/revoke/", "owner"),
    ("post", "/dashboard/o/{organisation}/members/role/", "owner"),
    ("post", "/dashboard/o/{organisation}/members/remove/", "owner"),
    ("post", "/dashboard/o/{organisation}/leave/", "viewer"),
    # Statements
    ("get", "/dashboard/o/{organisation}/statements/", "viewer"),
    ("get", "/dashboard/o/{organisation}/statements/new/", "editor"),
    ("post", "/dashboard/o/{organisation}/statements/new/", "editor"),
    ("get", "/dashboard/s/{statement}/", "viewer"),
    ("get", "/dashboard/s/{statement}/copy/", "editor"),
    ("post", "/dashboard/s/{statement}/copy/", "editor"),
    ("get", "/dashboard/s/{statement}/settings/", "viewer"),
    ("post", "/dashboard/s/{statement}/settings/", "editor"),
    ("post", "/dashboard/s/{statement}/publish/", "editor"),
    ("post", "/dashboard/s/{statement}/close/", "editor"),
    ("post", "/dashboard/s/{statement}/reopen/", "editor"),
    ("get", "/dashboard/s/{statement}/versions/new/", "editor"),
    ("post", "/dashboard/s/{statement}/versions/new/", "editor"),
    ("get", "/dashboard/s/{statement}/versions/es/", "viewer"),
    ("post", "/dashboard/s/{statement}/versions/es/", "editor"),
]

ROLES = {"organiser": "owner", "member": "editor", "viewer": "viewer"}
RANK = {"viewer": 1, "editor": 2, "owner": 3}


@pytest.fixture
def targets(statement: Statement) -> dict[str, Any]:
    from undersigned.conftest import make_signature
    from undersigned.statements.coalition import add_partner
    from undersigned.updates.models import Update

    partner = Organisation.objects.create(name="Partner Union", slug="partner-union")
    return {
        "statement": statement.slug,
        "organisation": statement.organisation.slug,
        "signature": make_signature(statement, 1).pk,
        "partner": add_partner(statement, partner, actor=None).pk,
        "update": Update.objects.create(statement=statement).pk,
        "source": Source.objects.create(statement=statement, code="posters").pk,
    }


@pytest.mark.parametrize(("method", "url", "role"), DASHBOARD_VIEWS)
@pytest.mark.parametrize("persona", ["organiser", "member", "viewer"])
def test_members_get_in_as_far_as_their_role_goes(
    request: pytest.FixtureRequest,
    targets: dict[str, Any],
    persona: str,
    method: str,
    url: str,
    role: str | None,
) -> None:
    client: Client = request.getfixturevalue(f"{persona}_client")
    response = getattr(client, method)(url.format(**targets))
    if role is None or RANK[ROLES[persona]] >= RANK[role]:
        # In: the page, a redirect after the change, or (an empty POST) the form's errors.
        assert response.status_code in (200, 302, 400), (persona, url)
    else:
        assert response.status_code == 403, (persona, url)
        assert AuditLog.objects.filter(action="access.denied").exists()


@pytest.mark.parametrize(("method", "url", "role"), DASHBOARD_VIEWS)
def test_outsiders_get_404_and_are_logged(
    outsider_client: Client, targets: dict[str, Any], method: str, url: str, role: str | None
) -> None:
    response = getattr(outsider_client, method)(url.format(**targets))
    if role is None:
        # Their own dashboard: nothing of the other organisation's in it.
        assert response.status_code == 200
        assert b"Red Estudiantil" not in response.content
        assert b"Free them" not in response.content
    else:
        assert response.status_code == 404
        assert AuditLog.objects.filter(action="access.denied").exists()


@pytest.mark.parametrize(("method", "url", "role"), DASHBOARD_VIEWS)
def test_visitors_are_sent_to_log_in(
    targets: dict[str, Any], method: str, url: str, role: str | None, db: None
) -> None:
    response = getattr(Client(), method)(url.format(**targets))
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_the_home_page_lists_each_organisation_with_its_statements(
    midday: object, viewer_client: Client, statement: Statement
) -> None:
    import datetime as dt

    from undersigned.conftest import make_signature
    from undersigned.dashboard.views.home import start_of_today

    today = start_of_today()
    make_signature(statement, 1, confirmed_at=today + dt.timedelta(minutes=1))
    make_signature(statement, 2, confirmed_at=today + dt.timedelta(minutes=2))
    make_signature(statement, 3, confirmed_at=today - dt.timedelta(minutes=1))
    other = Organisation.objects.create(name="Second", slug="second")
    Membership.objects.create(
        organisation=other, user=Membership.objects.get(role="viewer").user, role="owner"
    )
    page = viewer_client.get("/dashboard/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "Red Estudiantil" in text and "Second" in text
    assert "Free them" in text
    row = page.context["organisations"][0][1][0]
    assert (row.counted, row.today) == (3, 2)
