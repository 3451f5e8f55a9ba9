"""The ledger's verbs and the totals the thermometer reads, in integer minor units."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core import mail
from django.utils import timezone

from undersigned.audit.models import AuditLog
from undersigned.funds import actions, retention, totals
from undersigned.funds.models import Contribution, Fund
from undersigned.funds.tests.conftest import make_fund
from undersigned.jobs.queue import drain
from undersigned.organisations.models import Organisation

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 12, 1)


def _cash(fund: Fund, amount: int, **fields: object) -> Contribution:
    return actions.add_entry(
        fund, method=Contribution.Method.CASH, amount=amount, received_on=TODAY, **fields
    )


def test_cash_moves_the_total_and_voiding_takes_it_back(fund: Fund) -> None:
    entry = _cash(fund, 12_345, note="Bucket at the march")
    assert totals.totals(fund).received == 12_345
    assert dict(totals.totals(fund).by_channel)["cash"] == 12_345
    assert actions.void(entry, "Counted twice")
    found = totals.totals(fund)
    assert (found.received, found.gifts) == (0, 0)
    entry.refresh_from_db()
    assert (entry.state, entry.void_reason) == (Contribution.State.VOID, "Counted twice")
    assert not actions.void(entry, "again")
    assert list(AuditLog.objects.values_list("action", flat=True).order_by("pk")) == [
        "contribution.added",
        "contribution.voided",
    ]


def test_totals_are_cached_until_forgotten(fund: Fund) -> None:
    _cash(fund, 100)
    assert totals.totals(fund).received == 100
    # Written behind the ledger's back: the cached figure stands until forgotten.
    Contribution.objects.filter(fund=fund).update(amount=999)
    assert totals.totals(fund).received == 100
    totals.forget(fund)
    assert totals.totals(fund).received == 999


def test_a_gift_in_another_currency_is_converted_at_the_organisers_rate(fund: Fund) -> None:
    conversion = actions.Conversion("EUR", 10_000, Decimal("0.8571"), dt.date(2026, 11, 30))
    entry = _cash(fund, 0, conversion=conversion)
    assert entry.amount == 8_571
    assert (entry.original_currency, entry.original_amount) == ("EUR", 10_000)
    assert totals.totals(fund).received == 8_571


def test_a_yen_fund_counts_whole_yen(organisation: Organisation) -> None:
    fund = make_fund(organisation, currency="JPY", target=1_000_000)
    conversion = actions.Conversion("GBP", 1_050, Decimal("190.123"), TODAY)
    assert _cash(fund, 0, conversion=conversion).amount == 1_996


def test_a_confirmed_pledge_shows_apart_until_received(fund: Fund) -> None:
    actions.pledge(
        fund, "es", "Ana", "ana@example.org", 5_000, show_name=True, client=actions.Client()
    )
    entry = Contribution.objects.get()
    assert totals.totals(fund).pledged == 0
    assert entry.state == Contribution.State.PENDING
    drain()
    assert len(mail.outbox) == 1
    assert actions.confirm_pledge(entry)
    found = totals.totals(fund)
    assert (found.received, found.pledged, found.pledges) == (0, 5_000, 1)
    assert found.bar(fund.target) == (0.0, 1.0)
    assert actions.receive(entry, method=Contribution.Method.BANK, received_on=TODAY)
    found = totals.totals(fund)
    assert (found.received, found.pledged, found.gifts) == (5_000, 0, 1)
    assert dict(found.by_channel)["bank"] == 5_000


def test_a_lapsed_pledge_leaves_the_bar(fund: Fund) -> None:
    actions.pledge(
        fund, "en", "Bo", "bo@example.org", 700, show_name=False, client=actions.Client()
    )
    entry = Contribution.objects.get()
    actions.confirm_pledge(entry)
    assert actions.lapse(entry)
    assert totals.totals(fund).pledged == 0
    assert not actions.lapse(entry)


def test_a_transfer_is_matched_by_its_reference_however_it_is_typed(fund: Fund) -> None:
    entry = actions.expect_transfer(fund, "en", 2_500, client=actions.Client())
    code = entry.transfer_code or ""
    assert len(code) == 8 and code.startswith("U")
    assert totals.totals(fund).received == 0
    typed = f" {code[:4].lower()}-{code[4:]} "
    found = actions.expected_transfer(typed)
    assert found is not None and found.pk == entry.pk
    assert actions.receive(found, method=Contribution.Method.BANK, received_on=TODAY, amount=3_000)
    assert totals.totals(fund).received == 3_000


def test_the_bar_is_capped_and_pledges_fill_what_is_left() -> None:
    assert totals.Totals(received=400, pledged=400).bar(500) == (80.0, 20.0)
    assert totals.Totals(received=900, pledged=400).bar(500) == (100.0, 0.0)
    assert totals.Totals(received=900).percent(500) == 180


def test_erasure_keeps_the_amount_and_drops_the_donor(fund: Fund) -> None:
    _cash(
        fund,
        1_000,
        donor_name="Ana",
        donor_email="Ana@Example.org",
        show_name=True,
        reference="TRANSF ANA GARCIA",
        note="Ana's branch",
    )
    actions.pledge(
        fund, "en", "Ana", "ana@example.org", 500, show_name=True, client=actions.Client()
    )
    found = Contribution.objects.filter(email_canonical="ana@example.org")
    assert retention.erase(found) == 1
    left = Contribution.objects.get()
    assert (left.amount, left.donor_name, left.donor_email, left.show_name) == (
        1_000,
        "",
        "",
        False,
    )
    assert (left.reference, left.note, left.received_on) == ("", "", TODAY)


def test_purge_lapses_old_transfers_and_deletes_unconfirmed_pledges(fund: Fund) -> None:
    old = timezone.now() - dt.timedelta(days=90)
    transfer = actions.expect_transfer(fund, "en", 100, client=actions.Client())
    actions.pledge(
        fund, "en", "Bo", "bo@example.org", 700, show_name=False, client=actions.Client()
    )
    Contribution.objects.update(created_at=old)
    retention.purge()
    assert list(Contribution.objects.values_list("pk", "state")) == [
        (transfer.pk, Contribution.State.LAPSED)
    ]


def test_voiding_an_unconfirmed_pledge_keeps_nothing_of_its_address(fund: Fund) -> None:
    actions.pledge(
        fund,
        "en",
        "Victim",
        "victim@example.org",
        500,
        show_name=True,
        client=actions.Client(hold_reason=Contribution.HoldReason.NO_PROOF),
    )
    entry = Contribution.objects.get()
    assert actions.void(entry, "Spam")
    entry.refresh_from_db()
    assert (entry.donor_name, entry.donor_email, entry.email_canonical) == ("", "", "")
    assert entry.token_hash is None and entry.state == Contribution.State.VOID


def test_a_transfer_records_no_consent_it_did_not_ask_for(fund: Fund) -> None:
    entry = actions.expect_transfer(fund, "en", 100, email="t@example.org", client=actions.Client())
    assert (entry.consent_version, entry.consent_at) == ("", None)


def test_a_pledge_sent_twice_counts_once_confirmed(fund: Fund) -> None:
    for _ in range(2):
        actions.pledge(
            fund, "en", "Ana", "ana@example.org", 5_000, show_name=False, client=actions.Client()
        )
    first, second = Contribution.objects.order_by("pk")
    assert actions.confirm_pledge(second)
    assert totals.totals(fund).pledged == 5_000
    # The first link now names nothing: the promise was confirmed once.
    assert not Contribution.objects.filter(pk=first.pk).exists()


def test_a_held_transfer_that_lapses_keeps_no_address(fund: Fund) -> None:
    actions.expect_transfer(
        fund,
        "en",
        100,
        name="Someone",
        email="someone@example.org",
        client=actions.Client(hold_reason=Contribution.HoldReason.HONEYPOT),
    )
    Contribution.objects.update(created_at=timezone.now() - dt.timedelta(days=90))
    retention.purge()
    entry = Contribution.objects.get()
    assert entry.state == Contribution.State.LAPSED
    assert (entry.donor_name, entry.donor_email) == ("", "")
