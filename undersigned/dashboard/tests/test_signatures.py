"""The dashboard's signatures: list, search and filters, moderation, hide and remove, paper
entry and export."""

from __future__ import annotations

import csv
import io

import pytest
from django.core import mail
from django.test import Client

from undersigned.audit.models import AuditLog
from undersigned.conftest import make_signature, sign_data
from undersigned.dashboard import signatures as dashboard_signatures
from undersigned.jobs.queue import drain
from undersigned.organisations.models import Organisation
from undersigned.statements.forms import PAPER_CONSENT_VERSION
from undersigned.statements.models import Signature, Statement
from undersigned.statements.queries import listed_signatures, signature_count

LIST = "/dashboard/s/free-them/signatures/"
EXPORT = LIST + "export.csv"
PAPER = LIST + "paper/"
MODERATION = LIST + "moderation/"


def _names(response: object) -> list[str]:
    return [signature.name for signature in response.context["page"].rows]  # type: ignore[attr-defined]


def _csv(response: object) -> list[dict[str, str]]:
    body = b"".join(response.streaming_content).decode()  # type: ignore[attr-defined]
    return list(csv.DictReader(io.StringIO(body)))


@pytest.fixture
def mixed(statement: Statement) -> dict[str, Signature]:
    return {
        "confirmed": make_signature(statement, 1, name="Ana Confirmed"),
        "pending": make_signature(
            statement, 2, name="Ben Pending", state=Signature.State.PENDING, confirmed_at=None
        ),
        "held": make_signature(
            statement,
            3,
            name="Cy Held",
            state=Signature.State.HELD,
            hold_reason=Signature.HoldReason.RATE,
        ),
        "rejected": make_signature(statement, 4, name="Di Rejected", state="rejected"),
        "organisation": make_signature(
            statement,
            5,
            name="Eva Union",
            kind=Signature.Kind.ORGANISATION,
            organisation_name="Dockers Union",
            state=Signature.State.AWAITING_APPROVAL,
        ),
        "paper": make_signature(statement, 6, name="Fe Paper", channel=Signature.Channel.PAPER),
    }


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", ["Fe Paper", "Eva Union", "Di Rejected", "Cy Held", "Ben Pending", "Ana Confirmed"]),
        ("?state=confirmed", ["Fe Paper", "Ana Confirmed"]),
        ("?state=pending", ["Eva Union", "Ben Pending"]),
        ("?state=held", ["Cy Held"]),
        ("?state=rejected", ["Di Rejected"]),
        ("?kind=organisation", ["Eva Union"]),
        ("?channel=paper", ["Fe Paper"]),
        ("?q=dockers", ["Eva Union"]),
        ("?q=ana+conf", ["Ana Confirmed"]),
        ("?q=p3%40example", ["Cy Held"]),
        ("?q=ana&state=rejected", []),
        ("?state=bogus", []),
    ],
)
def test_it_searches_and_filters_signatures(
    member_client: Client, mixed: dict[str, Signature], query: str, expected: list[str]
) -> None:
    assert _names(member_client.get(LIST + query)) == expected


def test_it_shows_and_searches_email_for_editors_only(
    member_client: Client, viewer_client: Client, mixed: dict[str, Signature]
) -> None:
    assert b"p1@example.org" in member_client.get(LIST).content
    seen_by_viewer = viewer_client.get(LIST)
    assert seen_by_viewer.status_code == 200
    assert b"p1@example.org" not in seen_by_viewer.content
    assert b"Ana Confirmed" in seen_by_viewer.content
    # A viewer cannot find out whether an address signed by searching for it.
    assert _names(viewer_client.get(LIST + "?q=p3%40example")) == []
    assert b"export.csv" not in seen_by_viewer.content


def test_it_pages_by_position_through_every_signature(
    member_client: Client, statement: Statement, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(dashboard_signatures, "PAGE_SIZE", 2)
    for n in range(1, 6):
        make_signature(statement, n)
    first = member_client.get(LIST + "?kind=individual")
    page = first.context["page"]
    seen = _names(first)
    assert page.newer is None
    while page.older:
        response = member_client.get(f"{LIST}?kind=individual&before={page.older}")
        page = response.context["page"]
        seen += _names(response)
    assert seen == [f"Person Number{n}" for n in range(5, 0, -1)]
    back = member_client.get(f"{LIST}?kind=individual&after={page.newer}")
    assert _names(back) == ["Person Number3", "Person Number2"]


def test_it_shows_nothing_of_another_statement(member_client: Client, statement: Statement) -> None:
    other = Statement.objects.create(
        organisation=Organisation.objects.create(name="Other", slug="other"),
        slug="other",
        default_language="en",
    )
    make_signature(other, 7, name="Not Ours")
    make_signature(statement, 1)
    assert _names(member_client.get(LIST)) == ["Person Number1"]
    assert member_client.get(f"{LIST}{other.signatures.get().pk}/hide/").status_code == 404
    assert member_client.post(f"{LIST}{other.signatures.get().pk}/remove/").status_code == 404
    assert other.signatures.get().name == "Not Ours"


def test_the_queue_approves_and_rejects_several_at_once(
    member_client: Client, statement: Statement
) -> None:
    waiting = [
        make_signature(
            statement,
            n,
            kind=Signature.Kind.ORGANISATION,
            organisation_name=f"Union {n}",
            state=Signature.State.AWAITING_APPROVAL,
        )
        for n in range(1, 5)
    ]
    page = member_client.get(MODERATION)
    assert [s.organisation_name for s in page.context["waiting"]] == [
        "Union 1",
        "Union 2",
        "Union 3",
        "Union 4",
    ]
    member_client.post(
        MODERATION, {"signature": [waiting[0].pk, waiting[1].pk], "decision": "approve"}
    )
    member_client.post(MODERATION, {"signature": [waiting[2].pk], "decision": "reject"})
    states = dict(Signature.objects.values_list("organisation_name", "state"))
    assert states == {
        "Union 1": "confirmed",
        "Union 2": "confirmed",
        "Union 3": "rejected",
        "Union 4": "approval",
    }
    assert signature_count(statement) == 2
    assert AuditLog.objects.filter(action="signature.approved").count() == 2
    assert AuditLog.objects.get(action="signature.rejected").actor is not None


def test_hiding_asks_first_then_takes_the_name_off_the_list_but_keeps_the_count(
    member_client: Client, statement: Statement
) -> None:
    signature = make_signature(statement, 1)
    url = f"{LIST}{signature.pk}/hide/"
    assert b"Hide this signature" in member_client.get(url).content
    assert list(listed_signatures(statement)) == [signature]
    assert member_client.post(url).status_code == 302
    assert list(listed_signatures(statement)) == []
    assert signature_count(statement) == 1
    entry = AuditLog.objects.get(action="signature.hidden")
    assert (entry.object_id, entry.actor.username) == (signature.pk, "member")  # type: ignore[union-attr]


@pytest.mark.parametrize(("keep", "count"), [(True, 1), (False, 0)])
def test_removing_erases_the_signer_as_the_statement_keeps_its_count(
    member_client: Client, statement: Statement, keep: bool, count: int
) -> None:
    statement.keep_count_after_erasure = keep
    statement.save()
    signature = make_signature(statement, 1, name="Gone Person")
    url = f"{LIST}{signature.pk}/remove/"
    assert b"Remove this signature" in member_client.get(url).content
    assert Signature.objects.filter(name="Gone Person").exists()
    member_client.post(url)
    assert not Signature.objects.filter(name="Gone Person").exists()
    assert signature_count(statement) == count
    assert AuditLog.objects.get(action="signatures.erased").data["reason"] == "removed by organiser"


def test_paper_signatures_are_counted_at_once_and_listed_as_chosen(
    member_client: Client, statement: Statement
) -> None:
    page = member_client.get(PAPER)
    assert "autofocus" in page.content.decode()
    response = member_client.post(
        PAPER, {"name": " Rosa  Parks ", "country": "US", "kind": "individual", "display": "full"}
    )
    assert response.status_code == 302
    member_client.post(
        PAPER,
        {"name": "Luis Ortega", "kind": "individual", "display": "initial"},
    )
    member_client.post(PAPER, {"name": "Nadie Oculto", "kind": "individual", "display": "hidden"})
    assert signature_count(statement) == 3
    assert sorted(s.public_name for s in listed_signatures(statement)) == [
        "Luis O.",
        "Rosa Parks",
    ]
    rosa = Signature.objects.get(name="Rosa Parks")
    assert (rosa.channel, rosa.state, rosa.email, rosa.consent_version) == (
        "paper",
        "confirmed",
        "",
        PAPER_CONSENT_VERSION,
    )
    assert "3 entered in this session" in member_client.get(PAPER).content.decode()
    assert AuditLog.objects.filter(action="signature.paper_entered").count() == 3


def test_a_paper_organisation_counts_without_waiting_for_approval(
    member_client: Client, statement: Statement
) -> None:
    member_client.post(
        PAPER,
        {
            "name": "Marta Ruiz",
            "kind": "organisation",
            "organisation_name": "Teachers' Union",
            "display": "full",
            "email": "marta@example.org",
            "wants_updates": "on",
        },
    )
    signature = Signature.objects.get()
    assert (signature.state, signature.wants_updates, signature.email_canonical) == (
        "confirmed",
        True,
        "marta@example.org",
    )
    assert signature.approved_at is not None


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"name": "=HYPERLINK(1)"}, "name"),
        ({"name": "Visit www.example.com"}, "name"),
        ({"name": "Ana", "wants_updates": "on"}, "email"),
        ({"name": "Ana", "email": "P1@Example.org"}, "email"),
        ({"name": "Ana", "kind": "organisation"}, "organisation_name"),
        ({"name": ""}, "name"),
    ],
)
def test_paper_entries_are_cleaned_like_the_sign_form(
    member_client: Client, statement: Statement, data: dict[str, str], field: str
) -> None:
    make_signature(statement, 1)
    response = member_client.post(PAPER, {"kind": "individual", "display": "full", **data})
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert Signature.objects.count() == 1


def test_the_export_honours_the_filters_and_neutralises_formulas(
    organiser_client: Client, statement: Statement, mixed: dict[str, Signature]
) -> None:
    make_signature(statement, 8, name="=cmd|' /C calc'!A0", channel="paper")
    everything = _csv(organiser_client.get(EXPORT))
    # Pending (unconfirmed) rows are never exported.
    assert sorted(row["name"] for row in everything) == [
        "'=cmd|' /C calc'!A0",
        "Ana Confirmed",
        "Cy Held",
        "Di Rejected",
        "Eva Union",
        "Fe Paper",
    ]
    paper = _csv(organiser_client.get(EXPORT + "?channel=paper&state=confirmed"))
    assert [row["name"] for row in paper] == ["Fe Paper", "'=cmd|' /C calc'!A0"]
    assert {row["channel"] for row in paper} == {"paper"}
    assert [row["name"] for row in _csv(organiser_client.get(EXPORT + "?q=union"))] == ["Eva Union"]
    entries = AuditLog.objects.filter(action="signatures.exported").order_by("id")
    assert [entry.data["filters"] for entry in entries] == [
        {},
        {"state": "confirmed", "channel": "paper"},
        {},
    ]
    assert entries.last().data["searched"] is True  # type: ignore[union-attr]
    assert "union" not in str(entries.last().data)  # type: ignore[union-attr]


def test_viewers_may_not_export(viewer_client: Client, statement: Statement) -> None:
    assert viewer_client.get(EXPORT).status_code == 403
    assert not AuditLog.objects.filter(action="signatures.exported").exists()


def test_unconfirmed_signatures_are_shown_to_members_as_the_signer_is_told(
    member_client: Client, viewer_client: Client, organiser_client: Client, statement: Statement
) -> None:
    Client().post("/s/free-them/en/sign/", sign_data(name="Pia Unconfirmed", email="pia@ex.net"))
    Client().post("/s/free-them/es/sign/", sign_data(name="Leo Unconfirmed", email="leo@ex.net"))
    drain()
    english, spanish = (" ".join(message.body.split()) for message in mail.outbox)
    assert "the organisers see it, with this address, in their list as waiting for" in english
    assert "quienes organizan la ven, con esta dirección, en su lista como pendiente" in spanish
    # What the email and the privacy table (docs/security.md) say: every member sees the name
    # as waiting for email confirmation, editors and owners the address too.
    for client in (viewer_client, member_client, organiser_client):
        rows = {row.name: row.get_state_display() for row in client.get(LIST).context["page"].rows}
        assert rows["Pia Unconfirmed"] == "waiting for email confirmation"
    assert b"pia@ex.net" in member_client.get(LIST).content
    assert b"pia@ex.net" not in viewer_client.get(LIST).content
    # Nothing more: not listed publicly, not counted, not exported.
    assert b"Pia Unconfirmed" not in Client().get("/s/free-them/en/signatories/").content
    assert signature_count(statement) == 0
    assert _csv(organiser_client.get(EXPORT)) == []
