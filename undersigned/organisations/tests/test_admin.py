"""The Django admin is for the site's administrators: superusers alone get in, and use it as
Django makes it. Organisers work in the dashboard."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission, User
from django.test import Client

from undersigned.audit.models import AuditLog
from undersigned.conftest import _client_for, make_signature
from undersigned.organisations.models import Membership, Organisation
from undersigned.statements.models import Statement

ADMIN_PAGES = (
    "/admin/",
    "/admin/statements/statement/",
    "/admin/statements/signature/",
    "/admin/organisations/organisation/",
    "/admin/jobs/job/",
    "/admin/audit/auditlog/",
    "/admin/auth/user/",
)


def _staff(user: User) -> Client:
    """Staff with every permission the admin knows of, as the admin once let in."""
    user.is_staff = True
    user.save(update_fields=("is_staff",))
    user.user_permissions.set(Permission.objects.all())
    return _client_for(user)


def _superuser(user: User) -> Client:
    user.is_staff = user.is_superuser = True
    user.save(update_fields=("is_staff", "is_superuser"))
    return _client_for(user)


@pytest.mark.parametrize("url", ADMIN_PAGES)
def test_an_owner_who_is_not_a_superuser_is_refused_and_logged(
    statement: Statement, organiser: User, url: str
) -> None:
    make_signature(statement, 1, email="secret@example.org")
    response = _staff(organiser).get(url)
    assert response.status_code == 403
    assert b"secret@example.org" not in response.content
    denied = AuditLog.objects.get(action="access.denied", actor=organiser)
    assert denied.data == {"view": "admin"}


def _rename_and_add_owner(client: Client, organisation: Organisation, user: User) -> int:
    """The organisation's change form as the admin's page sends it: a new name, and `user`
    added as an owner in the members' inline."""
    response = client.post(
        f"/admin/organisations/organisation/{organisation.pk}/change/",
        {
            "name": "Renamed",
            "slug": organisation.slug,
            "membership_set-TOTAL_FORMS": "1",
            "membership_set-INITIAL_FORMS": "0",
            "membership_set-MIN_NUM_FORMS": "0",
            "membership_set-MAX_NUM_FORMS": "1000",
            "membership_set-0-user": str(user.pk),
            "membership_set-0-role": "owner",
        },
    )
    return response.status_code


def test_a_refused_member_cannot_change_anything_either(
    statement: Statement, organiser: User, outsider: User
) -> None:
    organisation = statement.organisation
    assert _rename_and_add_owner(_staff(organiser), organisation, outsider) == 403
    organisation.refresh_from_db()
    assert organisation.name == "Red Estudiantil"
    assert not Membership.objects.filter(organisation=organisation, user=outsider).exists()
    assert AuditLog.objects.filter(action="access.denied", actor=organiser).count() == 1


def test_the_same_change_by_a_superuser_is_made(
    statement: Statement, organiser: User, outsider: User
) -> None:
    """The change refused above is a valid one: a superuser's is saved."""
    organisation = statement.organisation
    assert _rename_and_add_owner(_superuser(organiser), organisation, outsider) == 302
    organisation.refresh_from_db()
    assert organisation.name == "Renamed"
    assert Membership.objects.get(organisation=organisation, user=outsider).role == "owner"


def test_visitors_are_sent_to_log_in(db: None) -> None:
    response = Client().get("/admin/statements/statement/")
    assert response.status_code == 302
    assert "login" in response["Location"]


@pytest.mark.parametrize("url", ADMIN_PAGES)
def test_a_superuser_sees_every_organisations_records(
    statement: Statement, outsider: User, url: str
) -> None:
    Statement.objects.create(
        organisation=Organisation.objects.get(slug="other"),
        slug="other-draft",
        default_language="en",
    )
    response = _superuser(outsider).get(url)
    assert response.status_code == 200
    if url == "/admin/statements/statement/":
        page = response.content.decode()
        assert "free-them" in page and "other-draft" in page


def test_signatures_are_not_edited_in_the_admin(statement: Statement, organiser: User) -> None:
    signature = make_signature(statement, 1)
    client = _superuser(organiser)
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
    client = _superuser(organiser)
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
    client = _superuser(organiser)
    organisation = statement.organisation
    assert _change_name(client, organisation, name) == 200
    organisation.refresh_from_db()
    assert organisation.name == "Red Estudiantil"
