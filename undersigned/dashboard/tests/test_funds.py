"""Funds in the dashboard: opening a bilingual fund through the forms, its settings, the close
switch and deleting a draft; what viewers see. The ledger's pages (entries, voiding, pledges,
transfers, exports) are tested in test_fund_ledger.py."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from undersigned.audit.models import AuditLog
from undersigned.funds import actions
from undersigned.funds.models import Contribution, Fund, FundVersion
from undersigned.funds.tests.conftest import make_fund
from undersigned.organisations.models import Organisation
from undersigned.statements.models import Statement

NEW = "/dashboard/o/red-estudiantil/funds/new/"
# A valid IBAN (the example of ISO 13616), as a bank's letter spaces it.
IBAN = "GB82 WEST 1234 5698 7654 32"


@pytest.fixture
def fund(organisation: Organisation, statement: Statement) -> Fund:
    """The demo statement's published bilingual fund of £5,000 (funds/tests/conftest.py)."""
    return make_fund(organisation, statement)


def _new_data(**overrides: Any) -> dict[str, Any]:
    today = timezone.localdate()
    data = {
        "version-language": "en",
        "version-title": "Legal defence fund",
        "version-text": "For the **lawyers** of the eleven.",
        "currency": "GBP",
        "target": "5,000",
        "starts_on": today.isoformat(),
        "ends_on": (today + dt.timedelta(days=60)).isoformat(),
        "min_amount": "2",
        "max_amount": "2,500.50",
        "pledges_open": "on",
        "show_donors": "on",
        "bank_holder": "Red Estudiantil",
        "bank_iban": IBAN,
        "bank_bic": "westgb2l",
    }
    data.update(overrides)
    return data


def _settings_data(fund: Fund, **overrides: Any) -> dict[str, Any]:
    """The settings form as the browser sends it back unchanged."""
    data: dict[str, Any] = {
        "default_language": fund.default_language,
        "statement": fund.statement_id or "",
        "event": fund.event_id or "",
        "currency": fund.currency,
        "target": "5000.00",
        "starts_on": fund.starts_on.isoformat(),
        "ends_on": fund.ends_on.isoformat() if fund.ends_on else "",
        "min_amount": "1.00",
        "max_amount": "10000.00",
        "pledges_open": "on" if fund.pledges_open else "",
        "online_open": "on" if fund.online_open else "",
        "show_donors": "on" if fund.show_donors else "",
        "bank_holder": fund.bank_holder,
        "bank_iban": fund.bank_iban,
        "bank_bic": fund.bank_bic,
        "bank_details": fund.bank_details,
    }
    data.update(overrides)
    return data


def _actions() -> list[str]:
    rows = AuditLog.objects.exclude(action="auth.login").order_by("pk")
    return list(rows.values_list("action", flat=True))


def test_an_editor_opens_a_bilingual_fund_through_the_forms(
    member_client: Client, statement: Statement
) -> None:
    page = member_client.get(NEW)
    assert page.status_code == 200
    # The organisation is in no country: euros unless said otherwise.
    assert page.context["form"]["currency"].value() == "EUR"
    response = member_client.post(NEW, _new_data(statement=str(statement.pk)))
    assert response.status_code == 302
    fund = Fund.objects.get()
    assert response["Location"] == f"/dashboard/funds/{fund.pk}/"
    assert (fund.currency, fund.target, fund.min_amount, fund.max_amount) == (
        "GBP",
        500_000,
        200,
        250_050,
    )
    assert (fund.statement, fund.default_language, fund.show_donors) == (statement, "en", True)
    # Spaces and case as typed are taken out of the account's details.
    assert (fund.bank_iban, fund.bank_bic) == ("GB82WEST12345698765432", "WESTGB2L")
    assert not fund.is_published and not fund.takes_gifts()
    # Its page as it will look, for the organisation's members only while a draft.
    overview = member_client.get(f"/dashboard/funds/{fund.pk}/").content.decode()
    assert f'href="/f/{fund.pk}/en/"' in overview
    assert member_client.get(f"/f/{fund.pk}/en/").status_code == 200
    assert Client().get(f"/f/{fund.pk}/en/").status_code == 404
    spanish = {"language": "es", "title": "Fondo de defensa", "text": "Para los **abogados**."}
    response = member_client.post(f"/dashboard/funds/{fund.pk}/versions/new/", spanish)
    assert response["Location"] == f"/dashboard/funds/{fund.pk}/versions/es/"
    assert sorted(fund.versions.values_list("language", flat=True)) == ["en", "es"]
    # The Preview button shows the text as the page will, and saves nothing.
    preview = member_client.post(
        f"/dashboard/funds/{fund.pk}/versions/es/",
        {"title": "Fondo de defensa", "text": "Para los **juristas**.", "preview": "1"},
    )
    assert "<strong>juristas</strong>" in preview.content.decode()
    assert FundVersion.objects.get(fund=fund, language="es").text == "Para los **abogados**."
    assert member_client.post(f"/dashboard/funds/{fund.pk}/publish/").status_code == 302
    fund.refresh_from_db()
    assert fund.is_published and fund.takes_gifts()
    listed = member_client.get("/dashboard/o/red-estudiantil/funds/").content.decode()
    assert "Legal defence fund" in listed and "£5,000" in listed
    assert _actions() == ["fund.created", "fund.version_added", "fund.published"]
    # The organisation's audit log shows them to its owners.
    assert AuditLog.objects.filter(action="fund.created", data__organisation=fund.organisation_id)


def test_the_organisations_navigation_leads_to_its_funds(viewer_client: Client, fund: Fund) -> None:
    page = viewer_client.get("/dashboard/o/red-estudiantil/events/").content.decode()
    assert 'href="/dashboard/o/red-estudiantil/funds/"' in page
    listed = viewer_client.get("/dashboard/o/red-estudiantil/funds/").content.decode()
    assert "Fighting fund" in listed
    assert "New fund" not in listed


def test_bad_amounts_and_accounts_are_clear_form_errors(
    member_client: Client, organisation: Organisation
) -> None:
    response = member_client.post(
        NEW,
        _new_data(
            target="abc",
            min_amount="12.3456",
            max_amount="1",
            bank_iban="GB00 WEST 1234 5698 7654 32",
            bank_bic="WEST",
            ends_on="2000-01-01",
        ),
    )
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert errors["target"] == ["Write an amount in GBP, such as £20.00."]
    assert errors["min_amount"] == ["Write an amount in GBP, such as £20.00."]
    assert "IBAN" in errors["bank_iban"][0]
    assert errors["bank_bic"] == ["A BIC has 8 or 11 letters and digits."]
    assert errors["ends_on"] == ["The fund must end on or after the day it starts."]
    assert "Write an amount in GBP" in response.content.decode()
    # Letters and digits of other scripts are not an IBAN's either.
    for iban in ("ÄÄ82WEST12345698765432", "GB82WEST1234569876543²"):
        response = member_client.post(NEW, _new_data(bank_iban=iban))
        assert response.status_code == 400
        assert "IBAN" in response.context["form"].errors["bank_iban"][0]
    response = member_client.post(NEW, _new_data(min_amount="20", max_amount="10"))
    assert response.context["form"].errors["max_amount"] == [
        "The largest gift must be at least the smallest."
    ]
    # No currency, no amount can be read: the errors say so, no crash.
    response = member_client.post(NEW, _new_data(currency="XXX"))
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert set(errors) == {"currency", "target", "min_amount", "max_amount"}
    assert errors["target"] == ["Choose the currency first: the amount is read in it."]
    response = member_client.post(NEW, _new_data(target="9" * 25))
    assert response.context["form"].errors["target"] == ["This amount is too large."]
    assert not Fund.objects.exists()


def test_a_yen_fund_takes_whole_yen(member_client: Client, organisation: Organisation) -> None:
    data = _new_data(currency="JPY", target="1,000,000", min_amount="500", max_amount="100000")
    assert member_client.post(NEW, data).status_code == 302
    fund = Fund.objects.get()
    assert (fund.target, fund.min_amount, fund.max_amount) == (1_000_000, 500, 100_000)
    response = member_client.post(NEW, _new_data(currency="JPY", target="10.5"))
    assert "Write an amount in JPY" in response.context["form"].errors["target"][0]


def test_the_settings_show_amounts_in_major_units_and_keep_the_currency_once_money_is_in(
    member_client: Client, fund: Fund
) -> None:
    url = f"/dashboard/funds/{fund.pk}/settings/"
    form = member_client.get(url).context["form"]
    assert (form["target"].value(), form["min_amount"].value()) == ("5000.00", "1.00")
    response = member_client.post(url, _settings_data(fund, target="6.000,50", currency="EUR"))
    assert response.status_code == 302
    fund.refresh_from_db()
    assert (fund.target, fund.currency) == (600_050, "EUR")
    actions.add_entry(fund, method="cash", amount=100, received_on=timezone.localdate())
    response = member_client.post(url, _settings_data(fund, currency="GBP", target="6000.50"))
    fund.refresh_from_db()
    assert fund.currency == "EUR"  # the field is shown but not taken
    assert member_client.get(url).context["form"].fields["currency"].disabled
    assert AuditLog.objects.filter(action="fund.edited").count() == 2


def test_close_and_reopen_toggle_whether_the_fund_takes_gifts(
    member_client: Client, fund: Fund
) -> None:
    assert fund.takes_gifts()
    response = member_client.post(f"/dashboard/funds/{fund.pk}/close/")
    assert response["Location"] == f"/dashboard/funds/{fund.pk}/"
    fund.refresh_from_db()
    assert fund.closed_at is not None and not fund.takes_gifts()
    page = member_client.get(f"/dashboard/funds/{fund.pk}/").content.decode()
    assert "Closed: takes no more gifts" in page and "Reopen the fund" in page
    # Money can still be entered while it is closed.
    entry = member_client.post(
        f"/dashboard/funds/{fund.pk}/ledger/new/",
        {"method": "cash", "amount": "10", "received_on": timezone.localdate().isoformat()},
    )
    assert entry.status_code == 302 and Contribution.objects.count() == 1
    member_client.post(f"/dashboard/funds/{fund.pk}/reopen/")
    fund.refresh_from_db()
    assert fund.closed_at is None and fund.takes_gifts()
    assert _actions() == ["fund.closed", "contribution.added", "fund.reopened"]
    # Twice is said, not done twice.
    member_client.post(f"/dashboard/funds/{fund.pk}/reopen/")
    assert AuditLog.objects.filter(action="fund.reopened").count() == 1


def test_only_a_draft_with_nothing_in_its_ledger_is_deleted(
    member_client: Client, organisation: Organisation
) -> None:
    draft = make_fund(organisation, published_at=None)
    published = make_fund(organisation)
    response = member_client.get(f"/dashboard/funds/{published.pk}/delete/")
    assert response.status_code == 302 and Fund.objects.filter(pk=published.pk).exists()
    actions.add_entry(draft, method="cash", amount=100, received_on=timezone.localdate())
    member_client.post(f"/dashboard/funds/{draft.pk}/delete/")
    assert Fund.objects.filter(pk=draft.pk).exists()
    empty = make_fund(organisation, published_at=None)
    assert (
        "Delete the draft"
        in member_client.get(f"/dashboard/funds/{empty.pk}/delete/").content.decode()
    )
    response = member_client.post(f"/dashboard/funds/{empty.pk}/delete/")
    assert response["Location"] == "/dashboard/o/red-estudiantil/funds/"
    assert not Fund.objects.filter(pk=empty.pk).exists()
    assert not FundVersion.objects.filter(fund_id=empty.pk).exists()


def test_the_default_version_is_not_deleted(member_client: Client, fund: Fund) -> None:
    member_client.post(f"/dashboard/funds/{fund.pk}/versions/en/delete/")
    assert fund.versions.filter(language="en").exists()
    member_client.post(f"/dashboard/funds/{fund.pk}/versions/es/delete/")
    assert list(fund.versions.values_list("language", flat=True)) == ["en"]


def test_viewers_see_the_totals_and_nothing_of_the_ledger(
    viewer_client: Client, member_client: Client, fund: Fund
) -> None:
    today = timezone.localdate()
    actions.add_entry(
        fund,
        method="cash",
        amount=12_050,
        received_on=today,
        donor_name="Ana Quispe",
        donor_email="ana@example.org",
    )
    page = viewer_client.get(f"/dashboard/funds/{fund.pk}/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "£120.50" in text and "£5,000" in text
    assert "Ana Quispe" not in text and "ana@example.org" not in text
    assert f"/dashboard/funds/{fund.pk}/ledger/" not in text
    assert "Close the fund" not in text and "Publish" not in text
    for path in (
        "ledger/",
        "ledger/export.csv",
        "ledger/export.xlsx",
        "ledger/new/",
        "pledges/",
        "transfers/",
        "settings/",
    ):
        assert viewer_client.get(f"/dashboard/funds/{fund.pk}/{path}").status_code == 403, path
    assert "Ana Quispe" in member_client.get(f"/dashboard/funds/{fund.pk}/ledger/").content.decode()


def test_the_overview_writes_amounts_in_the_organisers_language(
    viewer_client: Client, fund: Fund
) -> None:
    actions.add_entry(fund, method="bank", amount=124_050, received_on=timezone.localdate())
    english = viewer_client.get(f"/dashboard/funds/{fund.pk}/").content.decode()
    assert "£1,240.50" in english
    spanish = viewer_client.get(
        f"/dashboard/funds/{fund.pk}/", headers={"accept-language": "es"}
    ).content.decode()
    assert "1.240,50\xa0GBP" in spanish


def test_the_overview_charts_money_by_channel_and_by_day(viewer_client: Client, fund: Fund) -> None:
    today = timezone.localdate()
    actions.add_entry(fund, method="cash", amount=2_000, received_on=today)
    actions.add_entry(fund, method="cheque", amount=3_050, received_on=today - dt.timedelta(days=1))
    pledge = actions.add_entry(fund, method="bank", amount=999, received_on=today)
    actions.void(pledge, "Counted twice")
    page = viewer_client.get(f"/dashboard/funds/{fund.pk}/")
    channel = dict(
        (label, values[0]) for label, values in page.context["by_channel"]["table"]["rows"]
    )
    assert channel == {
        "card, online": "£0",
        "bank transfer": "£0",
        "cash": "£20",
        "cheque": "£30.50",
        "other": "£0",
    }
    days = page.context["by_day"]["table"]["rows"]
    # From the fund's start (yesterday) to today.
    assert [values[0] for _label, values in days] == ["£30.50", "£20"]
    text = page.content.decode()
    assert text.count('<svg xmlns="http://www.w3.org/2000/svg" class="chart') == 3
    assert page.context["figures"].received == 5_050
