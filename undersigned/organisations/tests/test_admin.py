"""Staff of one organisation never read or change another's statements or signers in the admin."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission, User
from django.test import Client

from undersigned.conftest import make_signature
from undersigned.organisations.models import Membership, Organisation
from undersigned.statements.models import Statement


def _staff(user: User) -> Client:
    user.is_staff = True
    user.save(update_fields=("is_staff",))
    user.user_permissions.set(
        Permission.objects.filter(
            content_type__app_label__in=("statements", "organisations", "jobs", "audit")
        )
    )
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def other_statement(outsider: User) -> Statement:
    other = Organisation.objects.get(slug="other")
    return Statement.objects.create(
        organisation=other, slug="other-draft", status="draft", default_language="en"
    )


def test_staff_see_only_their_organisations_records(
    statement: Statement, outsider: User, other_statement: Statement
) -> None:
    signature = make_signature(statement, 1, email="secret@example.org")
    client = _staff(outsider)
    statements = client.get("/admin/statements/statement/").content.decode()
    assert "other-draft" in statements and "free-them" not in statements
    signatures = client.get("/admin/statements/signature/").content.decode()
    assert "free-them" not in signatures
    for url in (
        f"/admin/statements/statement/{statement.pk}/change/",
        f"/admin/statements/signature/{signature.pk}/change/",
        f"/admin/organisations/organisation/{statement.organisation.pk}/change/",
    ):
        response = client.get(url, follow=True)
        assert b"secret@example.org" not in response.content
        assert response.status_code in (403, 404)


def test_staff_cannot_put_a_statement_under_another_organisation(
    statement: Statement, outsider: User, other_statement: Statement
) -> None:
    client = _staff(outsider)
    form = client.get("/admin/statements/statement/add/").content.decode()
    assert "Red Estudiantil" not in form
    response = client.post(
        "/admin/statements/statement/add/",
        {
            "organisation": statement.organisation.pk,
            "slug": "hijack",
            "status": "open",
            "default_language": "en",
            "versions-TOTAL_FORMS": "0",
            "versions-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 200  # the form comes back with an error
    assert not Statement.objects.filter(slug="hijack").exists()


def test_staff_cannot_join_another_organisation(statement: Statement, outsider: User) -> None:
    client = _staff(outsider)
    organisation = statement.organisation
    response = client.post(
        f"/admin/organisations/organisation/{organisation.pk}/change/",
        {
            "name": organisation.name,
            "slug": organisation.slug,
            "membership_set-TOTAL_FORMS": "1",
            "membership_set-INITIAL_FORMS": "0",
            "membership_set-0-user": outsider.pk,
            "membership_set-0-role": "owner",
        },
    )
    assert response.status_code in (302, 403, 404)
    assert not Membership.objects.filter(organisation=organisation, user=outsider).exists()
    assert client.get("/admin/organisations/organisation/add/").status_code == 403


def test_a_member_who_is_not_owner_cannot_change_memberships(
    statement: Statement, member: User
) -> None:
    client = _staff(member)
    organisation = statement.organisation
    page = client.get(f"/admin/organisations/organisation/{organisation.pk}/change/")
    assert page.status_code == 200
    assert 'name="membership_set-TOTAL_FORMS"' not in page.content.decode() or (
        "readonly" in page.content.decode()
    )
    client.post(
        f"/admin/organisations/organisation/{organisation.pk}/change/",
        {"name": "Renamed", "slug": organisation.slug},
    )
    organisation.refresh_from_db()
    assert organisation.name == "Red Estudiantil"


def test_job_and_audit_tables_are_for_superusers_only(db: None, outsider: User) -> None:
    client = _staff(outsider)
    assert client.get("/admin/jobs/job/").status_code == 403
    assert client.get("/admin/audit/auditlog/").status_code == 403


def test_signatures_are_not_edited_in_the_admin(statement: Statement, organiser: User) -> None:
    signature = make_signature(statement, 1)
    client = _staff(organiser)
    page = client.get(f"/admin/statements/signature/{signature.pk}/change/").content.decode()
    assert 'name="name"' not in page
    assert client.get("/admin/statements/signature/add/").status_code == 403


def _change_name(client: Client, organisation: Organisation, name: str) -> int:
    response = client.post(
        f"/admin/organisations/organisation/{organisation.pk}/change/",
        {
            "name": name,
            "slug": organisation.slug,
            "membership_set-TOTAL_FORMS": "0",
            "membership_set-INITIAL_FORMS": "0",
        },
    )
    return response.status_code


def test_an_organisation_name_is_cleaned_as_signers_names_are(
    statement: Statement, organiser: User
) -> None:
    client = _staff(organiser)
    organisation = statement.organisation
    assert _change_name(client, organisation, "\u202eRed\u200b  Estudiantil\tUnida\u0301 ") == 302
    organisation.refresh_from_db()
    assert organisation.name == "Red Estudiantil Unid\u00e1"


@pytest.mark.parametrize(
    "name", ["=cmd|' /C calc'!A0", "@Red", "Red www.evil.example", "https://x", "\u200b", "x" * 201]
)
def test_an_organisation_name_that_is_unfit_to_publish_is_refused(
    statement: Statement, organiser: User, name: str
) -> None:
    client = _staff(organiser)
    organisation = statement.organisation
    assert _change_name(client, organisation, name) == 200
    organisation.refresh_from_db()
    assert organisation.name == "Red Estudiantil"
