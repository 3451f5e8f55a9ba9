"""The demo has a fighting fund on its statement with money in by every channel."""

from __future__ import annotations

from django.core.management import call_command
from django.test import Client

from undersigned.funds import totals
from undersigned.funds.models import Contribution, Fund
from undersigned.statements.demo import SLUG


def test_the_demo_fund_has_entries_of_each_kind(db: None) -> None:
    call_command("load_demo", verbosity=0)
    call_command("load_demo", verbosity=0)  # safe to run again
    fund = Fund.objects.get()
    assert fund.statement is not None and fund.statement.slug == SLUG
    states = set(fund.contributions.values_list("state", flat=True))
    assert states == {"received", "pledged", "expected", "void"}
    methods = set(
        fund.contributions.filter(state=Contribution.State.RECEIVED).values_list(
            "method", flat=True
        )
    )
    assert methods == {"online", "bank", "cash", "cheque"}
    assert fund.contributions.exclude(original_currency="").exists()
    found = totals.read(fund.pk)
    # 5,000 target in cents; every received line counted once, the voided one not.
    expected = sum(
        fund.contributions.filter(state=Contribution.State.RECEIVED).values_list(
            "amount", flat=True
        )
    )
    assert found.received == expected > 0
    assert found.pledged > 0
    assert fund.has_epc_qr


def test_the_demo_demonstrations_page_shows_the_fund(client: Client, db: None) -> None:
    call_command("load_demo", verbosity=0)
    fund = Fund.objects.get()
    assert fund.event is not None and not fund.event.is_over()
    page = client.get(f"/e/{fund.event.pk}/es/").content.decode()
    assert "Fondo de lucha por los 41" in page
