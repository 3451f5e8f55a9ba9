"""A fund's ledger in the dashboard: money entered by the organisers (cash at an event, a cheque
in another currency), voiding with a reason, pledges marked received or lapsed, held pledges
released, a bank statement's line matched to its expected transfer, the filters and the
exports. Every change is made through the ledger's verbs, so each is in the audit log."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone
from openpyxl import load_workbook

from undersigned.audit.models import AuditLog
from undersigned.events.models import Event
from undersigned.events.tests.conftest import make_event
from undersigned.funds import actions, totals
from undersigned.funds.models import Contribution, Fund
from undersigned.funds.tests.conftest import make_fund
from undersigned.jobs.models import Job
from undersigned.organisations.models import Organisation
from undersigned.statements.models import Statement

State = Contribution.State


@pytest.fixture
def fund(organisation: Organisation, statement: Statement) -> Fund:
    """The demo statement's published bilingual fund of £5,000 (funds/tests/conftest.py)."""
    return make_fund(organisation, statement)


def _today() -> str:
    return timezone.localdate().isoformat()


def _entry_url(fund: Fund) -> str:
    return f"/dashboard/funds/{fund.pk}/ledger/new/"


def _pledge(fund: Fund, n: int, amount: int = 5_000, **fields: Any) -> Contribution:
    """A pledge its donor confirmed, waiting for its money."""
    values: dict[str, Any] = {
        "fund": fund,
        "state": State.PLEDGED,
        "method": Contribution.Method.OTHER,
        "amount": amount,
        "donor_name": f"Donor {n}",
        "donor_email": f"d{n}@example.org",
        "email_canonical": f"d{n}@example.org",
        "language": "es",
        "pledged_at": timezone.now(),
    }
    values.update(fields)
    return Contribution.objects.create(**values)


def _received(fund: Fund) -> int:
    return totals.read(fund.pk).received


def test_cash_collected_at_an_event_moves_the_overview_total(
    member_client: Client, fund: Fund
) -> None:
    event = make_event(fund.organisation, fund.statement)
    form = member_client.get(_entry_url(fund))
    assert form.status_code == 200
    assert "Emergency demonstration" in form.content.decode()
    response = member_client.post(
        _entry_url(fund),
        {
            "method": "cash",
            "amount": "1,240.50",
            "received_on": _today(),
            "event": str(event.pk),
            "reference": "Bucket 3",
            "note": "Counted by Rosa and Luis",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == f"/dashboard/funds/{fund.pk}/ledger/"
    entry = Contribution.objects.get()
    assert (entry.state, entry.method, entry.amount, entry.event) == (
        State.RECEIVED,
        "cash",
        124_050,
        event,
    )
    assert entry.created_by is not None
    overview = member_client.get(f"/dashboard/funds/{fund.pk}/")
    assert overview.context["figures"].received == 124_050
    assert dict(overview.context["figures"].by_channel)["cash"] == 124_050
    assert "£1,240.50" in overview.content.decode()
    ledger = member_client.get(f"/dashboard/funds/{fund.pk}/ledger/").content.decode()
    assert "Bucket 3" in ledger and "Counted by Rosa and Luis" in ledger
    assert "At Emergency demonstration (" in ledger
    added = AuditLog.objects.get(action="contribution.added")
    assert (added.object_id, added.data["amount"], added.data["method"]) == (
        entry.pk,
        124_050,
        "cash",
    )


def test_enter_it_and_another_comes_back_to_the_form(member_client: Client, fund: Fund) -> None:
    data = {"method": "cash", "amount": "5", "received_on": _today(), "another": "1"}
    response = member_client.post(_entry_url(fund), data)
    assert response["Location"] == _entry_url(fund)
    assert _received(fund) == 500


def test_a_cheque_in_euros_into_a_pound_fund_is_converted_at_the_entered_rate(
    member_client: Client, fund: Fund
) -> None:
    rate_day = timezone.localdate() - dt.timedelta(days=2)
    response = member_client.post(
        _entry_url(fund),
        {
            "method": "cheque",
            "received_on": _today(),
            "reference": "Cheque 000123",
            "original_currency": "EUR",
            "original_amount": "100",
            "rate": "0,8571",
            "rate_date": rate_day.isoformat(),
            "donor_name": "Sindicato de Docentes",
        },
    )
    assert response.status_code == 302
    entry = Contribution.objects.get()
    assert (entry.amount, entry.original_currency, entry.original_amount) == (8_571, "EUR", 10_000)
    assert (entry.rate, entry.rate_date) == (Decimal("0.8571"), rate_day)
    assert _received(fund) == 8_571
    ledger = member_client.get(f"/dashboard/funds/{fund.pk}/ledger/").content.decode()
    assert "£85.71" in ledger and "€100" in ledger and "0.8571" in ledger


def test_bad_input_is_a_clear_form_error_and_enters_nothing(
    member_client: Client, fund: Fund
) -> None:
    url = _entry_url(fund)
    response = member_client.post(url, {"method": "cash", "amount": "abc", "received_on": _today()})
    assert response.status_code == 400
    assert response.context["form"].errors["amount"] == ["Write an amount in GBP, such as £20.00."]
    # A rate without its date.
    response = member_client.post(
        url,
        {
            "method": "cheque",
            "received_on": _today(),
            "original_currency": "EUR",
            "original_amount": "100",
            "rate": "0.8571",
        },
    )
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert list(errors) == ["rate_date"]
    assert "rate's date" in errors["rate_date"][0]
    assert "rate's date" in response.content.decode().replace("&#x27;", "'")
    cases: list[tuple[dict[str, str], str, str]] = [
        ({"amount": ""}, "amount", "Write the amount received."),
        ({"amount": "10", "rate": "x"}, "rate", "Write the rate as a number, such as 0.8571."),
        ({"amount": "-5"}, "amount", "Write an amount in GBP, such as £20.00."),
        ({"amount": "0"}, "amount", "Write an amount in GBP, such as £20.00."),
        ({"amount": "10.9999"}, "amount", "Write an amount in GBP, such as £20.00."),
        ({"amount": "10", "received_on": "2999-01-01"}, "received_on", "in the future"),
        ({"amount": "10", "received_on": "soon"}, "received_on", "valid date"),
        ({"amount": "10", "send_receipt": "on"}, "donor_email", "address to send the receipt"),
        ({"amount": "10", "donor_name": "=SUM(A1)"}, "donor_name", ""),
        ({"amount": "10", "method": "online"}, "method", "valid choice"),
        (
            {
                "amount": "10",
                "original_currency": "EUR",
                "original_amount": "5",
                "rate": "0.9",
                "rate_date": _today(),
            },
            "amount",
            "Leave the amount empty",
        ),
        (
            {
                "original_currency": "EUR",
                "original_amount": "5",
                "rate": "1e400",
                "rate_date": _today(),
            },
            "rate",
            "",
        ),
        (
            {
                "original_currency": "GBP",
                "original_amount": "5",
                "rate": "1",
                "rate_date": _today(),
            },
            "original_currency",
            "valid choice",
        ),
    ]
    for changes, field, message in cases:
        data = {"method": "cash", "received_on": _today(), **changes}
        response = member_client.post(url, data)
        assert response.status_code == 400, changes
        found = response.context["form"].errors
        assert field in found, (changes, found)
        assert message in found[field][0], (changes, found)
    assert not Contribution.objects.exists()


def test_voiding_with_a_reason_takes_it_back_and_is_in_the_audit_log(
    member_client: Client, fund: Fund
) -> None:
    entry = actions.add_entry(fund, method="cash", amount=2_000, received_on=timezone.localdate())
    url = f"/dashboard/funds/entries/{entry.pk}/void/"
    page = member_client.get(url)
    assert page.status_code == 200
    assert "Void this line?" in page.content.decode() and "£20" in page.content.decode()
    assert _received(fund) == 2_000  # asking changes nothing
    response = member_client.post(url, {"reason": ""})
    assert response.status_code == 400
    assert _received(fund) == 2_000
    response = member_client.post(url, {"reason": "Counted twice"})
    assert response["Location"] == f"/dashboard/funds/{fund.pk}/ledger/"
    entry.refresh_from_db()
    assert (entry.state, entry.void_reason) == (State.VOID, "Counted twice")
    assert _received(fund) == 0
    assert Contribution.objects.count() == 1  # kept, never deleted
    voided = AuditLog.objects.get(action="contribution.voided")
    assert (voided.object_id, voided.data["was"], voided.actor.username) == (  # type: ignore[union-attr]
        entry.pk,
        "received",
        "member",
    )
    ledger = member_client.get(f"/dashboard/funds/{fund.pk}/ledger/").content.decode()
    assert "<del>£20</del>" in ledger and "Counted twice" in ledger
    # A void line has no Void button, and voiding it again is said, not done.
    assert member_client.get(url).status_code == 302
    assert AuditLog.objects.filter(action="contribution.voided").count() == 1


def test_pledges_are_marked_received_or_lapsed(member_client: Client, fund: Fund) -> None:
    first, second = _pledge(fund, 1, 5_000), _pledge(fund, 2, 3_000)
    page = member_client.get(f"/dashboard/funds/{fund.pk}/pledges/")
    assert page.status_code == 200
    assert "d1@example.org" in page.content.decode() and "Donor 2" in page.content.decode()
    assert totals.read(fund.pk).pledged == 8_000
    url = f"/dashboard/funds/entries/{first.pk}/receive/"
    asked = member_client.get(url).content.decode()
    assert "A receipt is emailed to d1@example.org." in asked
    assert "Mark received and email the receipt" in asked
    response = member_client.post(url, {"method": "bank", "received_on": _today(), "amount": ""})
    assert response["Location"] == f"/dashboard/funds/{fund.pk}/pledges/"
    first.refresh_from_db()
    assert (first.state, first.method, first.amount) == (State.RECEIVED, "bank", 5_000)
    assert first.receipt_sent_at is not None
    assert Job.objects.filter(kind__endswith="fund_receipt").count() == 1
    lapse = f"/dashboard/funds/entries/{second.pk}/lapse/"
    assert "Mark lapsed" in member_client.get(lapse).content.decode()
    response = member_client.post(lapse, {"reason": "Moved abroad"})
    assert response["Location"] == f"/dashboard/funds/{fund.pk}/pledges/"
    second.refresh_from_db()
    assert second.state == State.LAPSED and "Moved abroad" in second.note
    found = totals.read(fund.pk)
    assert (found.received, found.pledged) == (5_000, 0)
    assert {"contribution.received", "contribution.lapsed"} <= set(
        AuditLog.objects.values_list("action", flat=True)
    )
    # The lapsed pledge's money came after all, less than promised.
    response = member_client.post(
        f"/dashboard/funds/entries/{second.pk}/receive/",
        {"method": "cash", "received_on": _today(), "amount": "25"},
    )
    second.refresh_from_db()
    assert (second.state, second.amount) == (State.RECEIVED, 2_500)
    assert _received(fund) == 7_500
    # A line that waits for nothing is not marked received again.
    assert member_client.get(url).status_code == 302


def test_a_pledge_received_in_another_currency_is_converted(
    member_client: Client, fund: Fund
) -> None:
    pledge = _pledge(fund, 1, 5_000)
    response = member_client.post(
        f"/dashboard/funds/entries/{pledge.pk}/receive/",
        {
            "method": "bank",
            "received_on": _today(),
            "original_currency": "USD",
            "original_amount": "70",
            "rate": "0.79",
            "rate_date": _today(),
        },
    )
    assert response.status_code == 302
    pledge.refresh_from_db()
    assert (pledge.amount, pledge.original_amount, pledge.original_currency) == (
        5_530,
        7_000,
        "USD",
    )


def test_a_held_pledge_is_released_once_asked(member_client: Client, fund: Fund) -> None:
    held = _pledge(
        fund, 1, state=State.PENDING, pledged_at=None, hold_reason=Contribution.HoldReason.TOO_FAST
    )
    listed = member_client.get(f"/dashboard/funds/{fund.pk}/pledges/").content.decode()
    assert "sent too fast" in listed
    url = f"/dashboard/funds/entries/{held.pk}/release/"
    asked = member_client.get(url).content.decode()
    assert "d1@example.org" in asked
    assert not Job.objects.exists()
    assert member_client.post(url)["Location"] == f"/dashboard/funds/{fund.pk}/pledges/"
    held.refresh_from_db()
    assert held.hold_reason == "" and held.token_hash
    assert Job.objects.filter(kind__endswith="fund_pledge_confirm").count() == 1
    assert AuditLog.objects.filter(action="contribution.released", object_id=held.pk).exists()
    # Released once: the page says so rather than emailing again.
    assert member_client.post(url).status_code == 302
    assert Job.objects.count() == 1


def test_a_held_transfer_gets_its_details_once_released(member_client: Client, fund: Fund) -> None:
    entry = actions.expect_transfer(
        fund,
        "en",
        2_500,
        email="ana@example.org",
        client=actions.Client(hold_reason=Contribution.HoldReason.HONEYPOT),
    )
    assert not Job.objects.exists()
    listed = member_client.get(f"/dashboard/funds/{fund.pk}/transfers/").content.decode()
    url = f"/dashboard/funds/entries/{entry.pk}/release/"
    assert url in listed
    assert "ana@example.org" in member_client.get(url).content.decode()
    assert member_client.post(url)["Location"] == f"/dashboard/funds/{fund.pk}/transfers/"
    assert Job.objects.filter(kind__endswith="fund_transfer").count() == 1
    entry.refresh_from_db()
    assert entry.hold_reason == "" and entry.state == Contribution.State.EXPECTED
    assert member_client.post(url).status_code == 302
    assert Job.objects.count() == 1


def test_a_bank_statement_line_is_matched_by_its_reference_however_typed(
    member_client: Client, fund: Fund
) -> None:
    entry = actions.expect_transfer(
        fund, "en", 2_500, name="Ana", email="ana@example.org", client=actions.Client()
    )
    Job.objects.all().delete()
    code = entry.transfer_code or ""
    url = f"/dashboard/funds/{fund.pk}/transfers/"
    page = member_client.get(url).content.decode()
    assert code in page and "Sort code 08-60-01" in page
    typed = f"{code[:3].lower()} {code[3:6].lower()} {code[6:]}"
    line = {"reference": typed, "amount": "30", "received_on": _today()}
    found = member_client.post(url, line)
    assert found.status_code == 200
    text = found.content.decode()
    assert "Found: is this the transfer?" in text and code in text
    assert "The ledger will take £30" in text and "A receipt is emailed to ana@example.org." in text
    entry.refresh_from_db()
    assert entry.state == State.EXPECTED  # asked first
    response = member_client.post(url, {**line, "confirmed": "1"})
    assert response["Location"] == url
    entry.refresh_from_db()
    assert (entry.state, entry.amount, entry.method) == (State.RECEIVED, 3_000, "bank")
    assert entry.reference == typed
    assert _received(fund) == 3_000
    assert Job.objects.filter(kind__endswith="fund_receipt").count() == 1
    # Matched once: the same line again is said to be received already.
    again = member_client.post(url, {**line, "confirmed": "1"})
    assert again.status_code == 400
    assert "marked received already" in again.context["form"].errors["reference"][0]
    assert _received(fund) == 3_000


def test_a_reference_of_nothing_expected_here_is_not_matched(
    member_client: Client, fund: Fund, organisation: Organisation
) -> None:
    other = make_fund(organisation)
    elsewhere = actions.expect_transfer(other, "en", 1_000, client=actions.Client())
    url = f"/dashboard/funds/{fund.pk}/transfers/"
    for reference in (elsewhere.transfer_code or "", "UNKNOWN1", "--"):
        line = {"reference": reference, "amount": "10", "received_on": _today(), "confirmed": "1"}
        response = member_client.post(url, line)
        assert response.status_code == 400, reference
        assert response.context["form"].errors["reference"], reference
    response = member_client.post(url, {"reference": "UNKNOWN1", "amount": "ten"})
    assert set(response.context["form"].errors) == {"amount", "received_on"}
    elsewhere.refresh_from_db()
    assert elsewhere.state == State.EXPECTED


def test_the_ledger_filters_by_state_method_dates_and_text(
    member_client: Client, fund: Fund
) -> None:
    today = timezone.localdate()
    old = today - dt.timedelta(days=20)
    actions.add_entry(fund, method="cash", amount=100, received_on=today, reference="Bucket")
    actions.add_entry(fund, method="cheque", amount=200, received_on=old, donor_name="Rosa")
    transfer = actions.expect_transfer(fund, "en", 300, client=actions.Client())
    url = f"/dashboard/funds/{fund.pk}/ledger/"

    def amounts(**query: str) -> list[int]:
        page = member_client.get(url, query)
        assert page.status_code == 200
        return sorted(line.entry.amount for line in page.context["lines"])

    assert amounts() == [100, 200, 300]
    assert amounts(state="received") == [100, 200]
    assert amounts(method="cheque") == [200]
    assert amounts(since=(today - dt.timedelta(days=1)).isoformat()) == [100, 300]
    assert amounts(until=(today - dt.timedelta(days=1)).isoformat()) == [200]
    assert amounts(q="ros") == [200]
    assert amounts(q="bucket") == [100]
    code = transfer.transfer_code or ""
    assert amounts(q=f"{code[:4].lower()}-{code[4:]}") == [300]
    assert amounts(since="not a date") == []
    page = member_client.get(url, {"since": today.isoformat(), "until": old.isoformat()})
    assert "The end comes before the start." in page.content.decode()


def test_the_ledger_is_paged(member_client: Client, fund: Fund) -> None:
    for n in range(55):
        Contribution.objects.create(
            fund=fund,
            state=State.RECEIVED,
            method="cash",
            amount=n + 1,
            received_on=timezone.localdate(),
        )
    first = member_client.get(f"/dashboard/funds/{fund.pk}/ledger/", {"method": "cash"})
    assert len(first.context["lines"]) == 50
    older = first.context["page"].older
    assert f"method=cash&amp;before={older}" in first.content.decode()
    second = member_client.get(
        f"/dashboard/funds/{fund.pk}/ledger/", {"method": "cash", "before": older}
    )
    assert sorted(line.entry.amount for line in second.context["lines"]) == [1, 2, 3, 4, 5]


def _body(response: Any) -> bytes:
    return b"".join(response.streaming_content)


def _exported(fund: Fund) -> dict[str, Contribution]:
    """A line of each kind, with cells a spreadsheet would run as formulas."""
    today = timezone.localdate()
    cash = actions.add_entry(
        fund,
        method="cash",
        amount=124_050,
        received_on=today,
        donor_name='=HYPERLINK("https://evil.example")',
        donor_email="ana@example.org",
        note="+1 from the march",
        event=make_event(fund.organisation),
    )
    cheque = actions.add_entry(
        fund,
        method="cheque",
        amount=0,
        received_on=today,
        reference="@SUM(A1)",
        conversion=actions.Conversion("EUR", 10_000, Decimal("0.8571"), today),
    )
    void = actions.add_entry(fund, method="cash", amount=999, received_on=today)
    actions.void(void, "-counted twice")
    unconfirmed = _pledge(fund, 9, state=State.PENDING, pledged_at=None)
    return {"cash": cash, "cheque": cheque, "void": void, "unconfirmed": unconfirmed}


def test_the_csv_export_writes_major_units_and_neutralises_formulas(
    member_client: Client, fund: Fund
) -> None:
    lines = _exported(fund)
    response = member_client.get(f"/dashboard/funds/{fund.pk}/ledger/export.csv")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert f'filename="fund-{fund.pk}-ledger.csv"' in response["Content-Disposition"]
    assert "no-store" in response["Cache-Control"]
    rows = list(csv.DictReader(io.StringIO(_body(response).decode())))
    by_id = {row["id"]: row for row in rows}
    # Pledges nobody confirmed are never exported.
    assert set(by_id) == {str(lines[name].pk) for name in ("cash", "cheque", "void")}
    cash = by_id[str(lines["cash"].pk)]
    assert (cash["amount"], cash["currency"], cash["state"], cash["method"]) == (
        "1240.50",
        "GBP",
        "received",
        "cash",
    )
    assert cash["donor_name"] == '\'=HYPERLINK("https://evil.example")'
    assert (cash["donor_email"], cash["note"]) == ("ana@example.org", "'+1 from the march")
    assert cash["event"] == str(lines["cash"].event_id)
    assert cash["received_on"] == timezone.localdate().isoformat()
    cheque = by_id[str(lines["cheque"].pk)]
    assert (cheque["amount"], cheque["original_amount"], cheque["original_currency"]) == (
        "85.71",
        "100.00",
        "EUR",
    )
    assert (cheque["rate"], cheque["reference"]) == ("0.8571", "'@SUM(A1)")
    void = by_id[str(lines["void"].pk)]
    assert (void["state"], void["void_reason"]) == ("void", "'-counted twice")
    exported = AuditLog.objects.get(action="contributions.exported")
    assert (exported.object_id, exported.data["format"]) == (fund.pk, "csv")
    # The list's filters apply.
    response = member_client.get(f"/dashboard/funds/{fund.pk}/ledger/export.csv?method=cheque")
    rows = list(csv.DictReader(io.StringIO(_body(response).decode())))
    assert [row["id"] for row in rows] == [str(lines["cheque"].pk)]


def test_the_xlsx_export_has_the_same_lines_as_text(member_client: Client, fund: Fund) -> None:
    lines = _exported(fund)
    response = member_client.get(f"/dashboard/funds/{fund.pk}/ledger/export.xlsx?state=received")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    book = load_workbook(io.BytesIO(_body(response)))
    sheet = book.worksheets[0]
    header, *rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert header[:7] == [
        "id",
        "entered_at",
        "received_on",
        "state",
        "method",
        "amount",
        "currency",
    ]
    found = {row[0]: dict(zip(header, row, strict=True)) for row in rows}
    assert set(found) == {str(lines["cash"].pk), str(lines["cheque"].pk)}
    cash = found[str(lines["cash"].pk)]
    # Text as it is: a spreadsheet file keeps text from being run.
    assert cash["amount"] == "1240.50"
    assert cash["donor_name"] == '=HYPERLINK("https://evil.example")'
    cell = next(c for c in sheet.iter_rows(min_row=2) if c[0].value == str(lines["cash"].pk))
    assert all(c.data_type == "s" for c in cell if c.value is not None)
    assert AuditLog.objects.get(action="contributions.exported").data["format"] == "xlsx"


def test_an_entry_of_another_organisations_fund_is_not_found(
    outsider_client: Client, outsider: User, fund: Fund
) -> None:
    entry = actions.add_entry(fund, method="cash", amount=100, received_on=timezone.localdate())
    for action in ("void", "receive", "lapse", "release"):
        assert (
            outsider_client.get(f"/dashboard/funds/entries/{entry.pk}/{action}/").status_code == 404
        )
        assert (
            outsider_client.post(f"/dashboard/funds/entries/{entry.pk}/{action}/").status_code
            == 404
        )
    entry.refresh_from_db()
    assert entry.state == State.RECEIVED


def test_an_events_cash_can_be_entered_for_any_event_of_the_organisation_only(
    member_client: Client, fund: Fund
) -> None:
    other = Organisation.objects.create(name="Other", slug="other-org")
    theirs = make_event(other)
    data = {"method": "cash", "amount": "10", "received_on": _today(), "event": str(theirs.pk)}
    response = member_client.post(_entry_url(fund), data)
    assert response.status_code == 400 and "event" in response.context["form"].errors
    assert not Event.objects.filter(contributions__isnull=False).exists()
