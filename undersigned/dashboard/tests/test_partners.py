"""Coalitions in the dashboard: the running organisation adds and removes partners; each
partner's members see their own link and only the signers who agreed to hear from them."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.contrib.auth.models import User
from django.core import mail
from django.test import Client
from django.utils import timezone

from undersigned.audit.models import AuditLog
from undersigned.conftest import PASSWORD, _client_for, make_partner, make_signature
from undersigned.jobs.models import Job
from undersigned.jobs.queue import drain
from undersigned.organisations.models import Invitation, Membership, Organisation
from undersigned.statements import coalition
from undersigned.statements.models import Partner, PartnerConsent, Signature, Source, Statement

PAGE = "/dashboard/s/free-them/partners/"


@pytest.fixture
def union(db: None) -> Organisation:
    return Organisation.objects.create(name="Sindicato Unido", slug="sindicato")


@pytest.fixture
def partner(statement: Statement, union: Organisation) -> Partner:
    return make_partner(statement, union, actor=None)


def _member_of(organisation: Organisation, name: str, role: str) -> Client:
    user = User.objects.create_user(name, f"{name}@example.com", PASSWORD)
    Membership.objects.create(organisation=organisation, user=user, role=role)
    return _client_for(user)


def _signer(statement: Statement, n: int, *partners: Partner, **fields: object) -> Signature:
    signature = make_signature(statement, n, **fields)
    for partner in partners:
        PartnerConsent.objects.create(signature=signature, partner=partner, version="v")
    return signature


# The running organisation's side


def test_an_editor_adds_an_organisation_already_here_by_its_address(
    member_client: Client, statement: Statement, union: Organisation
) -> None:
    response = member_client.post(PAGE, {"organisation": "sindicato"})
    assert response.status_code == 302
    partner = Partner.objects.get()
    assert partner.organisation == union and partner.active
    assert partner.source.code == "sindicato"
    assert AuditLog.objects.filter(action="partner.added", object_id=partner.pk).exists()
    page = member_client.get(PAGE).content.decode()
    assert "Sindicato Unido" in page
    assert "/s/free-them/en/?src=sindicato" in page
    assert "/s/free-them/es/?src=sindicato" in page


def test_a_new_organisation_is_made_and_its_owner_invited(
    member_client: Client, statement: Statement
) -> None:
    response = member_client.post(PAGE, {"name": "Colectivo Nuevo", "email": "Lucia@Example.org"})
    assert response.status_code == 302
    organisation = Organisation.objects.get(name="Colectivo Nuevo")
    assert Partner.objects.get().organisation == organisation
    invitation = Invitation.objects.get(organisation=organisation)
    assert invitation.role == Membership.Role.OWNER
    assert invitation.email == "lucia@example.org"
    drain()
    assert [message.to for message in mail.outbox] == [["lucia@example.org"]]
    assert "Colectivo Nuevo" in mail.outbox[0].body
    assert "invited: nobody has joined it yet" in member_client.get(PAGE).content.decode()


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({"organisation": "nobody-here"}, "No organisation has this address here."),
        ({"organisation": "red-estudiantil"}, "This organisation runs the statement already."),
        ({"name": "Colectivo Nuevo"}, "A new organisation needs both a name and an email"),
        ({"email": "lucia@example.org"}, "A new organisation needs both a name and an email"),
        ({}, "Give the address of an organisation already here"),
        ({"name": "x", "email": "not an address"}, "Enter a valid email address."),
    ],
)
def test_a_wrong_partner_gets_a_clear_error_and_nothing_is_made(
    member_client: Client, statement: Statement, data: dict[str, str], error: str
) -> None:
    response = member_client.post(PAGE, data)
    assert response.status_code == 400
    assert error in response.content.decode()
    assert Partner.objects.count() == 0
    assert Organisation.objects.count() == 1
    assert Invitation.objects.count() == 0


@pytest.mark.parametrize(
    ("name", "error"),
    [
        ('=1+1+cmd|" /C calc"!A0', "This cannot start with"),
        ('=HYPERLINK("https://evil.example/","Colectivo")', "Leave out web and email addresses"),
        ("Colectivo, see colectivo-nuevo.org", "Leave out web and email addresses"),
    ],
)
def test_a_new_partners_name_follows_the_rule_of_every_name(
    member_client: Client, statement: Statement, name: str, error: str
) -> None:
    response = member_client.post(PAGE, {"name": name, "email": "lucia@example.org"})
    assert response.status_code == 400
    assert error in response.content.decode()
    assert (Partner.objects.count(), Organisation.objects.count()) == (0, 1)


def test_a_partner_is_not_added_twice(
    member_client: Client, statement: Statement, partner: Partner
) -> None:
    response = member_client.post(PAGE, {"organisation": "sindicato"})
    assert response.status_code == 400
    assert "This organisation is a partner already." in response.content.decode()
    assert Partner.objects.count() == 1


def test_the_page_counts_each_partners_link_and_agreeing_signers(
    viewer_client: Client, statement: Statement, partner: Partner
) -> None:
    _signer(statement, 1, partner)
    _signer(statement, 2, partner, state=Signature.State.PENDING)
    _signer(statement, 3)
    partner.source.counts.create(hour="2026-11-23T10:00:00Z", count=5)
    response = viewer_client.get(PAGE)
    row = response.content.decode().split('<th scope="row">Sindicato Unido</th>')[1]
    cells = row.split("</tr>")[0]
    assert '<td class="num" data-label="Signatures through its link">5</td>' in cells
    assert '<td class="num" data-label="Signers who agreed to hear from it">1</td>' in cells
    # Viewers see, and are offered no change.
    assert "Add a partner" not in response.content.decode()
    assert "Remove Sindicato Unido" not in response.content.decode()


def test_removing_a_partner_stops_the_form_offering_it(
    member_client: Client, client: Client, statement: Statement, partner: Partner
) -> None:
    _signer(statement, 1, partner)
    assert "Sindicato Unido" in client.get("/s/free-them/en/").content.decode()
    response = member_client.post(f"{PAGE}{partner.pk}/remove/")
    assert response.status_code == 302
    partner.refresh_from_db()
    assert not partner.active
    assert "Sindicato Unido" not in client.get("/s/free-them/en/").content.decode()
    # Who agreed to hear from it agreed to hear from that organisation.
    assert coalition.partner_signers(partner).count() == 1
    assert AuditLog.objects.filter(action="partner.removed", object_id=partner.pk).exists()


def test_a_partner_of_another_statement_cannot_be_removed_from_here(
    member_client: Client, statement: Statement, union: Organisation
) -> None:
    other = Statement.objects.create(
        organisation=Organisation.objects.create(name="Else", slug="else"),
        slug="other",
        default_language="en",
    )
    foreign = make_partner(other, union, actor=None)
    response = member_client.post(f"{PAGE}{foreign.pk}/remove/")
    assert response.status_code == 404
    foreign.refresh_from_db()
    assert foreign.active


def test_a_partners_source_cannot_be_deleted_while_it_is_a_partner(partner: Partner) -> None:
    from django.db.models import RestrictedError

    with pytest.raises(RestrictedError):
        Source.objects.filter(pk=partner.source_id).delete()


# The partner's side

PARTNER_PAGE = "/dashboard/s/free-them/partner/sindicato/"
PARTNER_EXPORT = PARTNER_PAGE + "export.csv"


def test_a_partners_editor_sees_only_the_signers_who_agreed_to_hear_from_it(
    statement: Statement, partner: Partner
) -> None:
    other = make_partner(
        statement, Organisation.objects.create(name="Red de Apoyo", slug="red-apoyo"), actor=None
    )
    _signer(statement, 1, partner, name="Ana Agreed")
    _signer(statement, 2, other, name="Bea Other")
    _signer(statement, 3, name="Carla Nobody")
    _signer(statement, 4, partner, name="Dora Pending", state=Signature.State.PENDING)
    _signer(statement, 5, partner, name="Eva Both")
    PartnerConsent.objects.create(signature=Signature.objects.get(name="Eva Both"), partner=other)
    editor = _member_of(partner.organisation, "partner-editor", Membership.Role.EDITOR)

    page = editor.get(PARTNER_PAGE).content.decode()
    assert "Ana Agreed" in page and "p1@example.org" in page
    assert "Eva Both" in page
    for name in ("Bea Other", "Carla Nobody", "Dora Pending"):
        assert name not in page

    response = editor.get(PARTNER_EXPORT)
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert sorted(row["name"] for row in rows) == ["Ana Agreed", "Eva Both"]
    assert set(rows[0]) == {"name", "email", "language", "agreed_at"}
    assert AuditLog.objects.filter(action="partner.signers_exported", object_id=partner.pk).exists()


def test_the_export_neutralises_formula_like_cells(statement: Statement, partner: Partner) -> None:
    _signer(statement, 1, partner, name="=HYPERLINK(1)")
    owner = _member_of(partner.organisation, "partner-owner", Membership.Role.OWNER)
    body = b"".join(owner.get(PARTNER_EXPORT).streaming_content).decode()
    assert "'=HYPERLINK(1)" in body


def test_the_export_reads_in_chunks_and_misses_no_row(
    statement: Statement, partner: Partner, monkeypatch: pytest.MonkeyPatch
) -> None:
    from undersigned.lib import csvexport

    monkeypatch.setattr(csvexport, "CHUNK", 3)
    for n in range(7):
        _signer(statement, n, partner, name=f"Signer {n}")
    owner = _member_of(partner.organisation, "partner-owner", Membership.Role.OWNER)
    body = b"".join(owner.get(PARTNER_EXPORT).streaming_content).decode()
    rows = list(csv.DictReader(io.StringIO(body)))
    assert [row["name"] for row in rows] == [f"Signer {n}" for n in range(7)]


def test_a_partners_viewer_sees_figures_and_links_but_no_signer(
    statement: Statement, partner: Partner
) -> None:
    _signer(statement, 1, partner, name="Ana Agreed")
    viewer = _member_of(partner.organisation, "partner-viewer", Membership.Role.VIEWER)
    response = viewer.get(PARTNER_PAGE)
    page = response.content.decode()
    assert response.status_code == 200
    assert "Ana Agreed" not in page and "p1@example.org" not in page
    assert "/s/free-them/en/?src=sindicato" in page
    assert viewer.get(PARTNER_EXPORT).status_code == 403


@pytest.mark.parametrize("persona", ["organiser_client", "outsider_client"])
def test_the_running_organisation_and_outsiders_do_not_get_a_partners_page(
    request: pytest.FixtureRequest, statement: Statement, partner: Partner, persona: str
) -> None:
    """The statement's own organisation sees its partners' figures, not their contacts."""
    client: Client = request.getfixturevalue(persona)
    _signer(statement, 1, partner)
    for url in (PARTNER_PAGE, PARTNER_EXPORT):
        assert client.get(url).status_code == 404
    assert AuditLog.objects.filter(action="access.denied").count() == 2


def test_another_partner_does_not_get_this_partners_page(
    statement: Statement, partner: Partner
) -> None:
    other = make_partner(
        statement, Organisation.objects.create(name="Red de Apoyo", slug="red-apoyo"), actor=None
    )
    rival = _member_of(other.organisation, "rival", Membership.Role.OWNER)
    assert rival.get(PARTNER_PAGE).status_code == 404
    assert rival.get(PARTNER_EXPORT).status_code == 404
    assert rival.get("/dashboard/s/free-them/partner/red-apoyo/").status_code == 200


def test_visitors_are_sent_to_log_in(statement: Statement, partner: Partner) -> None:
    for url in (PARTNER_PAGE, PARTNER_EXPORT):
        response = Client().get(url)
        assert response.status_code == 302
        assert "/accounts/login/" in response["Location"]


def test_a_partners_home_page_lists_the_statements_it_backs(
    statement: Statement, partner: Partner
) -> None:
    owner = _member_of(partner.organisation, "partner-owner", Membership.Role.OWNER)
    page = owner.get("/dashboard/").content.decode()
    assert "Statements you back as a partner" in page
    assert PARTNER_PAGE in page


def test_a_partners_link_is_neither_renamed_nor_deleted_on_the_sources_page(
    member_client: Client, statement: Statement, partner: Partner
) -> None:
    page = member_client.get("/dashboard/s/free-them/sources/").content.decode()
    assert "The share link of the partner Sindicato Unido" in page
    assert f"/sources/{partner.source_id}/delete/" not in page
    for action in ("rename", "delete"):
        url = f"/dashboard/s/free-them/sources/{partner.source_id}/{action}/"
        assert member_client.get(url).status_code == 404
        assert member_client.post(url, {"code": "other"}).status_code == 404
    partner.source.refresh_from_db()
    assert partner.source.code == "sindicato"


def test_new_partner_organisations_count_against_the_daily_limit_of_invitations(
    member_client: Client, statement: Statement, settings: object
) -> None:
    settings.INVITATIONS_PER_ORGANISATION_PER_DAY = 2  # type: ignore[attr-defined]
    for n in range(2):
        response = member_client.post(
            PAGE, {"name": f"Colectivo {n}", "email": f"owner{n}@example.org"}
        )
        assert response.status_code == 302
    response = member_client.post(PAGE, {"name": "Colectivo 3", "email": "owner3@example.org"})
    assert response.status_code == 400
    assert "as many organisations to be partners in the last 24" in response.content.decode()
    assert Invitation.objects.count() == 2
    assert not Organisation.objects.filter(name="Colectivo 3").exists()


def test_inviting_an_address_past_its_daily_cap_tells_nothing_and_sends_nothing(
    member_client: Client, statement: Statement, settings: object
) -> None:
    settings.EMAILS_PER_ADDRESS_PER_DAY = 1  # type: ignore[attr-defined]
    answers = []
    for n in range(2):
        response = member_client.post(
            PAGE, {"name": f"Colectivo {n}", "email": "owner@example.org"}, follow=True
        )
        told = [str(m).replace(f"Colectivo {n}", "NAME") for m in response.context["messages"]]
        answers.append((response.redirect_chain, told))
    # The same answer for the address under its cap and past it; the second is not emailed.
    assert answers[0] == answers[1]
    assert Partner.objects.count() == 2
    assert Job.objects.filter(kind="mail.invitation").count() == 1


# Asking the partner first


def test_a_partner_is_named_nowhere_until_its_owners_accept(
    client: Client, member_client: Client, statement: Statement, union: Organisation
) -> None:
    owner = _member_of(union, "union-owner", Membership.Role.OWNER)
    editor = _member_of(union, "union-editor", Membership.Role.EDITOR)
    assert member_client.post(PAGE, {"organisation": "sindicato"}).status_code == 302
    partner = Partner.objects.get()
    assert partner.active and partner.accepted_at is None
    # The statement's page, its sign form and the signer's own page: not a word of it.
    page = client.get("/s/free-them/en/").content.decode()
    assert "Sindicato Unido" not in page and 'name="partners"' not in page
    assert "asked: waiting for its owners to accept" in member_client.get(PAGE).content.decode()
    # Its owner is asked by email, with a link to answer; its editor is not.
    drain()
    asked = [message for message in mail.outbox if "asks you to back" in message.subject]
    assert [message.to for message in asked] == [["union-owner@example.com"]]
    assert PARTNER_PAGE in asked[0].body and "http" in asked[0].body
    assert "waiting for your answer" in owner.get("/dashboard/").content.decode()
    # An editor of the partner sees the question but cannot answer it.
    seen = editor.get(PARTNER_PAGE).content.decode()
    assert "An owner of your organisation can accept or decline." in seen
    assert editor.post(PARTNER_PAGE + "accept/").status_code == 403
    # The owner accepts: named on the page, offered on the form.
    assert "Accept: we back this statement" in owner.get(PARTNER_PAGE).content.decode()
    assert owner.post(PARTNER_PAGE + "accept/").status_code == 302
    partner.refresh_from_db()
    assert partner.accepted_at is not None
    assert AuditLog.objects.filter(action="partner.accepted", object_id=partner.pk).exists()
    page = client.get("/s/free-them/en/").content.decode()
    assert "With: Sindicato Unido" in " ".join(page.split())
    assert 'name="partners"' in page


def test_an_owner_declines_and_the_partner_is_named_nowhere(
    client: Client, statement: Statement, union: Organisation
) -> None:
    owner = _member_of(union, "union-owner", Membership.Role.OWNER)
    partner = coalition.add_partner(statement, union, actor=None)
    assert owner.post(PARTNER_PAGE + "decline/").status_code == 302
    partner.refresh_from_db()
    assert not partner.active and partner.accepted_at is None
    assert AuditLog.objects.filter(action="partner.declined", object_id=partner.pk).exists()
    assert "Sindicato Unido" not in client.get("/s/free-them/en/").content.decode()
    # Nothing left to accept.
    assert owner.post(PARTNER_PAGE + "accept/").status_code == 302
    partner.refresh_from_db()
    assert partner.accepted_at is None


def test_a_partner_added_back_is_asked_again(
    client: Client, statement: Statement, partner: Partner
) -> None:
    assert "Sindicato Unido" in client.get("/s/free-them/en/").content.decode()
    coalition.remove_partner(partner, actor=None)
    coalition.add_partner(statement, partner.organisation, actor=None)
    partner.refresh_from_db()
    assert partner.active and partner.accepted_at is None
    assert "Sindicato Unido" not in client.get("/s/free-them/en/").content.decode()


def test_a_new_organisations_owner_answers_once_they_join(
    member_client: Client, statement: Statement
) -> None:
    member_client.post(PAGE, {"name": "Colectivo Nuevo", "email": "nuevo@example.org"})
    partner = Partner.objects.get()
    assert partner.accepted_at is None
    drain()
    # Only the invitation to own it: it has no owner to ask yet.
    assert not [message for message in mail.outbox if "asks you to back" in message.subject]
    owner = _member_of(partner.organisation, "nuevo", Membership.Role.OWNER)
    assert "waiting for your answer" in owner.get("/dashboard/").content.decode()


def test_an_owner_ends_an_accepted_partnership(
    client: Client, statement: Statement, partner: Partner
) -> None:
    owner = _member_of(partner.organisation, "union-owner", Membership.Role.OWNER)
    assert "End the partnership" in owner.get(PARTNER_PAGE).content.decode()
    assert owner.post(PARTNER_PAGE + "decline/").status_code == 302
    partner.refresh_from_db()
    assert not partner.active
    assert "Sindicato Unido" not in client.get("/s/free-them/en/").content.decode()


def test_existing_organisations_asked_count_against_the_daily_limit_too(
    member_client: Client, statement: Statement, settings: object
) -> None:
    settings.INVITATIONS_PER_ORGANISATION_PER_DAY = 2  # type: ignore[attr-defined]
    for n in range(3):
        Organisation.objects.create(name=f"Union {n}", slug=f"union-{n}")
    assert member_client.post(PAGE, {"organisation": "union-0"}).status_code == 302
    assert member_client.post(PAGE, {"organisation": "union-1"}).status_code == 302
    response = member_client.post(PAGE, {"organisation": "union-2"})
    assert response.status_code == 400
    assert Partner.objects.count() == 2


def test_removing_and_adding_again_does_not_ask_the_owners_again_within_a_week(
    member_client: Client, statement: Statement, union: Organisation
) -> None:
    _member_of(union, "union-owner", Membership.Role.OWNER)
    assert member_client.post(PAGE, {"organisation": "sindicato"}).status_code == 302
    for _ in range(2):
        coalition.remove_partner(Partner.objects.get(), actor=None)
        assert member_client.post(PAGE, {"organisation": "sindicato"}).status_code == 302
    drain()
    asked = [message for message in mail.outbox if "asks you to back" in message.subject]
    assert len(asked) == 1
    # A week later, it may be asked again.
    Partner.objects.update(asked_at=timezone.now() - dt.timedelta(days=8))
    coalition.remove_partner(Partner.objects.get(), actor=None)
    assert member_client.post(PAGE, {"organisation": "sindicato"}).status_code == 302
    drain()
    asked = [message for message in mail.outbox if "asks you to back" in message.subject]
    assert len(asked) == 2
