"""A fund for the tests: the demo statement's fighting fund, in pounds, bilingual."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from undersigned.funds.models import Fund, FundVersion
from undersigned.organisations.models import Organisation
from undersigned.statements.models import Statement


def make_fund(
    organisation: Organisation, statement: Statement | None = None, **fields: Any
) -> Fund:
    """A published bilingual fund of £5,000 (500,000 pence), open for 30 days."""
    values: dict[str, Any] = {
        "organisation": organisation,
        "statement": statement,
        "default_language": "en",
        "currency": "GBP",
        "target": 500_000,
        "starts_on": timezone.localdate() - dt.timedelta(days=1),
        "ends_on": timezone.localdate() + dt.timedelta(days=30),
        "published_at": timezone.now(),
        "bank_holder": "Solidarity Network",
        "bank_details": "Sort code 08-60-01, account 20212223",
    }
    values.update(fields)
    fund = Fund.objects.create(**values)
    FundVersion.objects.create(
        fund=fund, language="en", title="Fighting fund", text="For the **legal costs**."
    )
    FundVersion.objects.create(
        fund=fund, language="es", title="Fondo de lucha", text="Para los **gastos legales**."
    )
    return fund


@pytest.fixture
def fund(organisation: Organisation, statement: Statement) -> Fund:
    return make_fund(organisation, statement)
