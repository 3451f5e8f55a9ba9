"""An organisation's audit log in the dashboard, for its owners."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from undersigned.audit.models import AuditLog, record
from undersigned.conftest import make_signature
from undersigned.dashboard import signatures
from undersigned.organisations import actions as organisations
from undersigned.organisations.models import Organisation
from undersigned.statements import privacy
from undersigned.statements.models import Statement

AUDIT = "/dashboard/o/red-estudiantil/audit/"


@pytest.fixture
def logged(statement: Statement, organiser: User, member: User, outsider: User) -> Statement:
    """A few rows of this organisation's, and rows of another one's."""
    second = Statement.objects.create(
        organisation=statement.organisation, slug="second", default_language="en"
    )
    privacy.hide_signatories(statement, actor=member)
    record("statement.published", actor=organiser, statement=second, object_id=second.pk)
    organisations.update_organisation(statement.organisation, organiser, ["website"])
    record(
        "member.role_changed",
        actor=organiser,
        object_id=member.pk,
        organisation=statement.organisation.pk,
        before="viewer",
        after="editor",
    )
    signature = make_signature(statement, 1)
    record("signature.confirmed", statement=statement, object_id=signature.pk)
    other = Organisation.objects.get(slug="other")
    theirs = Statement.objects.create(organisation=other, slug="theirs", default_language="en")
    record("statement.published", actor=outsider, statement=theirs, object_id=theirs.pk)
    record("organisation.changed", actor=outsider, object_id=other.pk, fields=["name"])
    record("member.removed", actor=outsider, object_id=outsider.pk, organisation=other.pk)
    # Partner rows name the partner organisation, but belong to the running statement's.
    record(
        "partner.added", actor=outsider, statement=theirs, organisation=statement.organisation.pk
    )
    return second


def _actions(response: object) -> list[str]:
    return [item["row"].action for item in response.context["rows"]]  # type: ignore[attr-defined]


def test_owners_read_their_organisations_rows_newest_first(
    organiser_client: Client, logged: Statement
) -> None:
    response = organiser_client.get(AUDIT)
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    assert _actions(response) == [
        "signature.confirmed",
        "member.role_changed",
        "organisation.changed",
        "statement.published",
        "statement.signatories_hidden",
    ]
    text = response.content.decode()
    for label in ("Signatory list hidden", "Statement published", "Member&#x27;s role changed"):
        assert label in text
    # Who: members by name, anyone else without one; what, with the data worth showing.
    assert "member: member; before: viewer; now: editor" in text
    assert "a signer, or the site itself" in text
    assert "theirs" not in text and "outsider" not in text


def test_the_log_filters_by_statement_and_by_person(
    organiser_client: Client, organiser: User, member: User, logged: Statement
) -> None:
    by_statement = organiser_client.get(AUDIT, {"statement": "second"})
    assert _actions(by_statement) == ["statement.published"]
    by_member = organiser_client.get(AUDIT, {"person": member.pk})
    assert _actions(by_member) == ["statement.signatories_hidden"]
    both = organiser_client.get(AUDIT, {"statement": "free-them", "person": organiser.pk})
    assert _actions(both) == []
    assert "Nothing in the log matches." in both.content.decode()


@pytest.mark.parametrize(
    "query",
    [{"statement": "theirs"}, {"person": "99999"}, {"statement": "x" * 500}, {"person": "a'"}],
)
def test_a_filter_that_is_not_one_of_the_choices_is_a_clear_error(
    organiser_client: Client, outsider: User, logged: Statement, query: dict[str, str]
) -> None:
    response = organiser_client.get(AUDIT, query)
    assert response.status_code == 400
    assert response.context["form"].errors
    assert _actions(response) == []


def test_outsiders_are_named_to_nobody(
    organiser_client: Client, outsider_client: Client, outsider: User, statement: Statement
) -> None:
    # The refusal is logged against the statement, and so shown to its owners.
    assert outsider_client.get("/dashboard/s/free-them/").status_code == 404
    text = organiser_client.get(AUDIT).content.decode()
    assert "Access refused" in text and "someone who is not a member" in text
    assert "outsider" not in text


def test_it_pages_by_position_and_costs_the_same_few_queries_on_every_page(
    organiser_client: Client, statement: Statement, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(signatures, "PAGE_SIZE", 3)
    for n in range(7):
        record("signatures.exported", statement=statement, filters={}, searched=False, n=n)
    first = organiser_client.get(AUDIT)
    assert [item["row"].data["n"] for item in first.context["rows"]] == [6, 5, 4]
    with CaptureQueriesContext(connection) as queries:
        second = organiser_client.get(AUDIT, {"before": first.context["page"].older})
    assert [item["row"].data["n"] for item in second.context["rows"]] == [3, 2, 1]
    third = organiser_client.get(AUDIT, {"before": second.context["page"].older})
    assert [item["row"].data["n"] for item in third.context["rows"]] == [0]
    back = organiser_client.get(AUDIT, {"after": third.context["page"].newer})
    assert [item["row"].data["n"] for item in back.context["rows"]] == [3, 2, 1]
    with CaptureQueriesContext(connection) as more:
        organiser_client.get(AUDIT, {"before": second.context["page"].older})
    assert len(more) == len(queries) <= 8


def test_editors_and_viewers_may_not_read_it(
    member_client: Client, viewer_client: Client, statement: Statement
) -> None:
    assert member_client.get(AUDIT).status_code == 403
    assert viewer_client.get(AUDIT).status_code == 403
    assert AuditLog.objects.filter(action="access.denied").count() == 2


def test_a_funds_ledger_changes_are_on_its_organisations_log(
    organiser_client: Client, statement: Statement, organiser: User
) -> None:
    import datetime as dt

    from undersigned.funds import actions as funds
    from undersigned.funds.models import Contribution
    from undersigned.funds.tests.conftest import make_fund

    fund = make_fund(statement.organisation, statement)
    entry = funds.add_entry(
        fund,
        method=Contribution.Method.CASH,
        amount=4_805,
        received_on=dt.date(2026, 12, 1),
        by=organiser,
        donor_name="Ana García",
    )
    funds.void(entry, "Counted twice", by=organiser)
    response = organiser_client.get(AUDIT)
    assert _actions(response)[:2] == ["contribution.voided", "contribution.added"]
    text = response.content.decode()
    assert "Money received entered" in text and "Ledger line voided" in text
    assert "amount (minor units): 4805" in text
    # Amounts and states, never the donor.
    assert "Ana" not in text
