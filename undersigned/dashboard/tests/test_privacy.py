"""Signers' privacy in the dashboard: hiding the whole signatory list and showing it again, and
keeping the count after erasure."""

from __future__ import annotations

import csv
import io

import pytest
from django.contrib.auth.models import User
from django.test import Client

from undersigned.audit.models import AuditLog
from undersigned.conftest import _client_for, make_signature
from undersigned.statements import privacy
from undersigned.statements.models import Statement
from undersigned.statements.queries import signature_count

PRIVACY = "/dashboard/s/free-them/privacy/"
SIGNATORIES = "/dashboard/s/free-them/privacy/signatories/"


def _public_names(client: Client) -> str:
    return (
        client.get("/s/free-them/en/").content.decode()
        + client.get("/s/free-them/en/signatories/").content.decode()
    )


@pytest.mark.parametrize("persona", ["organiser", "member"])
def test_editors_hide_the_list_after_a_confirmation_then_show_it_again(
    request: pytest.FixtureRequest, statement: Statement, persona: str
) -> None:
    make_signature(statement, 1)
    user: User = request.getfixturevalue(persona)
    client = _client_for(user)
    assert "Person Number1" in _public_names(Client())
    page = client.get(PRIVACY).content.decode()
    assert f'href="{SIGNATORIES}"' in page and "Hide the whole signatory list" in page
    # The link asks first; nothing is hidden yet.
    confirm = client.get(SIGNATORIES)
    assert confirm.status_code == 200
    assert confirm["Cache-Control"] == "no-store"
    assert "Hide the whole signatory list?" in confirm.content.decode()
    assert not Statement.objects.get().signatories_hidden
    response = client.post(SIGNATORIES, {"hidden": "1"})
    assert (response.status_code, response["Location"]) == (302, PRIVACY)
    assert Statement.objects.get().signatories_hidden
    assert "Person Number1" not in _public_names(Client())
    assert signature_count(statement) == 1
    assert AuditLog.objects.get(action="statement.signatories_hidden").actor == user
    # The organisers' export is unchanged: every signature, with the signer's own choice.
    export = client.get("/dashboard/s/free-them/signatures/export.csv")
    rows = list(csv.DictReader(io.StringIO(b"".join(export.streaming_content).decode())))  # type: ignore[attr-defined]
    assert [(row["name"], row["display"]) for row in rows] == [("Person Number1", "full")]
    # A second click on the same button changes nothing, and is not audited again.
    client.post(SIGNATORIES, {"hidden": "1"})
    assert AuditLog.objects.filter(action="statement.signatories_hidden").count() == 1

    assert "Show the signatory list again?" in client.get(SIGNATORIES).content.decode()
    client.post(SIGNATORIES, {"hidden": "0"})
    assert not Statement.objects.get().signatories_hidden
    assert "Person Number1" in _public_names(Client())
    assert AuditLog.objects.get(action="statement.signatories_shown").actor == user


@pytest.mark.parametrize("hidden", ["", "2", "yes"])
def test_a_bad_choice_changes_nothing_and_says_so(
    organiser_client: Client, statement: Statement, hidden: str
) -> None:
    response = organiser_client.post(SIGNATORIES, {"hidden": hidden}, follow=True)
    assert response.status_code == 200
    assert "Nothing changed" in response.content.decode()
    assert not Statement.objects.get().signatories_hidden
    assert not AuditLog.objects.filter(action__startswith="statement.signatories").exists()


def test_viewers_see_the_privacy_page_but_change_nothing(
    viewer_client: Client, statement: Statement
) -> None:
    page = viewer_client.get(PRIVACY)
    assert page.status_code == 200
    text = page.content.decode()
    assert "disabled" in text and SIGNATORIES not in text
    assert viewer_client.get(SIGNATORIES).status_code == 403
    assert viewer_client.post(SIGNATORIES, {"hidden": "1"}).status_code == 403
    assert viewer_client.post(PRIVACY, {}).status_code == 403
    statement.refresh_from_db()
    assert not statement.signatories_hidden and statement.keep_count_after_erasure


def test_nobody_else_can_hide_the_list(
    client: Client, statement: Statement, outsider_client: Client
) -> None:
    assert outsider_client.post(SIGNATORIES, {"hidden": "1"}).status_code == 404
    assert "/login/" in client.post(SIGNATORIES, {"hidden": "1"})["Location"]
    assert not Statement.objects.get().signatories_hidden
    assert not AuditLog.objects.filter(action="statement.signatories_hidden").exists()


def test_editors_switch_keeping_the_count_after_erasure(
    member_client: Client, member: User, statement: Statement
) -> None:
    assert 'id="id_keep_count_after_erasure" checked' in member_client.get(PRIVACY).content.decode()
    response = member_client.post(PRIVACY, {})  # an unticked box sends nothing
    assert (response.status_code, response["Location"]) == (302, PRIVACY)
    statement.refresh_from_db()
    assert not statement.keep_count_after_erasure
    changed = AuditLog.objects.get(action="statement.keep_count_changed")
    assert (changed.actor, changed.data) == (member, {"keep_count": False})
    # Erasing now takes the confirmed signature out of the count.
    make_signature(statement, 1)
    statement.refresh_from_db()
    privacy.erase_signers(statement, reason="request")
    assert signature_count(statement) == 0
    member_client.post(PRIVACY, {"keep_count_after_erasure": "on"})
    statement.refresh_from_db()
    assert statement.keep_count_after_erasure
    assert AuditLog.objects.filter(action="statement.keep_count_changed").count() == 2
    # Saving it unchanged writes nothing.
    member_client.post(PRIVACY, {"keep_count_after_erasure": "on"})
    assert AuditLog.objects.filter(action="statement.keep_count_changed").count() == 2
