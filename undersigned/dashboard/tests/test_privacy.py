"""Signers' privacy in the dashboard: hiding the whole signatory list and showing it again,
keeping the count after erasure, and erasure requests."""

from __future__ import annotations

import csv
import io

import pytest
from django.contrib.auth.models import User
from django.test import Client

from undersigned.audit.models import AuditLog
from undersigned.conftest import _client_for, make_signature
from undersigned.events.models import Attendee
from undersigned.events.tests.conftest import make_event
from undersigned.funds import actions as fund_actions
from undersigned.funds.models import Contribution
from undersigned.funds.tests.conftest import make_fund
from undersigned.jobs.models import Job
from undersigned.organisations.models import Organisation
from undersigned.statements.models import Signature, Statement
from undersigned.statements.queries import signature_count
from undersigned.updates.models import Follower

PRIVACY = "/dashboard/s/free-them/privacy/"
SIGNATORIES = "/dashboard/s/free-them/privacy/signatories/"
ERASURE = "/dashboard/o/red-estudiantil/erasure/"


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
    member_client.post(ERASURE, {"step": "erase", "email": "p1@example.org"})
    assert signature_count(statement) == 0
    member_client.post(PRIVACY, {"keep_count_after_erasure": "on"})
    statement.refresh_from_db()
    assert statement.keep_count_after_erasure
    assert AuditLog.objects.filter(action="statement.keep_count_changed").count() == 2
    # Saving it unchanged writes nothing.
    member_client.post(PRIVACY, {"keep_count_after_erasure": "on"})
    assert AuditLog.objects.filter(action="statement.keep_count_changed").count() == 2


@pytest.fixture
def second(statement: Statement) -> Statement:
    """Another statement of the same organisation, which erases counts too."""
    return Statement.objects.create(
        organisation=statement.organisation,
        slug="second",
        status=Statement.Status.OPEN,
        default_language="en",
        keep_count_after_erasure=False,
    )


def _follower(statement: Statement, email: str) -> Follower:
    return Follower.objects.create(
        statement=statement, email=email, email_canonical=email.lower(), language="en"
    )


def test_an_erasure_request_shows_what_it_found_then_erases_on_confirmation(
    member_client: Client, member: User, statement: Statement, second: Statement
) -> None:
    make_signature(
        statement, 1, email="Ana.Garcia@Example.org", email_canonical="ana.garcia@example.org"
    )
    make_signature(
        second, 2, email="ana.garcia@example.org", email_canonical="ana.garcia@example.org"
    )
    make_signature(statement, 3)  # someone else
    elsewhere = Statement.objects.create(
        organisation=Organisation.objects.create(name="Elsewhere", slug="elsewhere"),
        slug="elsewhere",
        default_language="en",
    )
    theirs = make_signature(elsewhere, 4, email_canonical="ana.garcia@example.org")
    _follower(statement, "ana.garcia@example.org")
    _follower(elsewhere, "ana.garcia@example.org")
    Job.objects.create(kind="mail.confirm_signature", payload={"signature": theirs.pk})
    event = make_event(statement.organisation, statement)
    Attendee.objects.create(
        event=event,
        name="Ana García",
        email="ana.garcia@example.org",
        email_canonical="ana.garcia@example.org",
        language="en",
        consent_version="x",
        state=Attendee.State.GOING,
    )
    fund = make_fund(statement.organisation, statement)
    gift = fund_actions.add_entry(
        fund,
        method=Contribution.Method.CASH,
        amount=2_000,
        received_on=event.start.date(),
        donor_name="Ana García",
        donor_email="ana.garcia@example.org",
        show_name=True,
    )

    assert member_client.get(ERASURE).status_code == 200
    found = member_client.post(ERASURE, {"step": "find", "email": " ANA.GARCIA@example.org "})
    assert found.status_code == 200
    assert found["Cache-Control"] == "no-store"
    text = found.content.decode()
    # Which statements, and what becomes of the count: no name, nothing of elsewhere's.
    assert "free-them" in text and "second" in text and "elsewhere" not in text
    assert "Person Number" not in text
    assert "counted as an anonymous signature" in text and "no longer counted" in text
    assert Signature.objects.count() == 4 and Follower.objects.count() == 2

    response = member_client.post(ERASURE, {"step": "erase", "email": "ana.garcia@example.org"})
    assert (response.status_code, response["Location"]) == (302, ERASURE)
    done = member_client.get(ERASURE).content.decode()
    assert "Erasure done: 2 signatures erased." in done
    # The first statement keeps the count with an anonymous row; the second does not.
    assert signature_count(statement) == 2 and signature_count(second) == 0
    assert not Signature.objects.filter(
        email_canonical="ana.garcia@example.org", statement__in=[statement, second]
    ).exists()
    assert Signature.objects.get(statement=statement, erased_at__isnull=False).name == ""
    # Another organisation's signer and follower with the same address are left alone.
    assert Signature.objects.filter(pk=theirs.pk).exists()
    assert list(Follower.objects.values_list("statement__slug", flat=True)) == ["elsewhere"]
    # Her place at the organisation's event goes too.
    assert not Attendee.objects.exists()
    # Her gift stays in the fund's ledger, without her name or address.
    gift.refresh_from_db()
    assert (gift.amount, gift.donor_name, gift.donor_email, gift.show_name) == (
        2_000,
        "",
        "",
        False,
    )
    assert Job.objects.filter(payload__signature=theirs.pk).exists()

    rows = AuditLog.objects.filter(actor=member)
    erased = rows.filter(action="signatures.erased")
    assert sorted((row.statement.slug, row.data["reason"]) for row in erased) == [
        ("free-them", "request"),
        ("second", "request"),
    ]
    # Nothing in the log tells that the address followed a statement.
    assert not rows.filter(action__startswith="follower").exists()
    request = rows.get(action="erasure.requested")
    assert request.data == {"organisation": statement.organisation.pk, "signatures": 2}
    assert "ana" not in repr(list(AuditLog.objects.values("data", "object_id")))


def test_nothing_found_gives_the_same_answer(member_client: Client, statement: Statement) -> None:
    make_signature(statement, 1)
    found = member_client.post(ERASURE, {"step": "find", "email": "nobody@example.org"})
    assert found.status_code == 200
    text = found.content.decode()
    assert "No signature by this address on your organisation's statements." in text
    # The same words about followings either way: they are not the organisers' to see.
    assert "If this address follows the updates of any of your statements" in text
    member_client.post(ERASURE, {"step": "erase", "email": "nobody@example.org"})
    assert "Erasure done: 0 signatures erased." in member_client.get(ERASURE).content.decode()
    assert Signature.objects.count() == 1
    assert AuditLog.objects.get(action="erasure.requested").data["signatures"] == 0


@pytest.mark.parametrize(
    "data",
    [
        {"step": "find", "email": ""},
        {"step": "find", "email": "not an address"},
        {"step": "erase", "email": "x" * 250 + "@example.org"},
        {"step": "erase"},
        {"email": "p1@example.org\x00"},
    ],
)
def test_a_bad_address_gets_a_form_error_and_erases_nothing(
    member_client: Client, statement: Statement, data: dict[str, str]
) -> None:
    make_signature(statement, 1)
    response = member_client.post(ERASURE, data)
    assert response.status_code == 400
    assert response.context["form"].errors
    assert Signature.objects.filter(erased_at__isnull=True).count() == 1
    assert not AuditLog.objects.filter(action="erasure.requested").exists()


def test_the_form_in_spanish_says_what_is_wrong_in_spanish(
    member_client: Client, statement: Statement
) -> None:
    member_client.cookies["django_language"] = "es"
    response = member_client.post(ERASURE, {"step": "find", "email": "no"})
    assert response.status_code == 400
    assert "Introduzca una dirección de correo electrónico válida." in response.content.decode()


def test_viewers_cannot_look_up_addresses(viewer_client: Client, statement: Statement) -> None:
    make_signature(statement, 1)
    assert viewer_client.get(ERASURE).status_code == 403
    response = viewer_client.post(ERASURE, {"step": "erase", "email": "p1@example.org"})
    assert response.status_code == 403
    assert Signature.objects.filter(erased_at__isnull=True).count() == 1
