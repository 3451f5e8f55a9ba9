"""An amount typed as a person types it, in any of the usual ways, or a clear refusal."""

from __future__ import annotations

import pytest

from undersigned.funds.forms import parse_amount


@pytest.mark.parametrize(
    ("typed", "minor"),
    [
        ("12", 1_200),
        ("12.50", 1_250),
        ("12,5", 1_250),
        ("1.240", 124_000),
        ("1,240", 124_000),
        ("1 240", 124_000),
        ("1\u202f240,50", 124_050),
        ("1.240,50", 124_050),
        ("1,240.50", 124_050),
        ("1.240.000", 124_000_000),
        ("£20", 2_000),
        ("20 €", 2_000),
        ("GBP 20", 2_000),
    ],
)
def test_it_reads_the_usual_ways_of_writing_an_amount(typed: str, minor: int) -> None:
    assert parse_amount(typed, "GBP") == minor


@pytest.mark.parametrize(
    "typed", ["", "0", "-3", "abc", "1e3", "1,2,3", "12.5.0", "12.345,6.7", "0.001", "NaN"]
)
def test_it_refuses_what_is_not_an_amount(typed: str) -> None:
    with pytest.raises(ValueError):
        parse_amount(typed, "GBP")


def test_a_currency_without_minor_units_takes_whole_amounts_only() -> None:
    assert parse_amount("1.240", "JPY") == 1_240
    with pytest.raises(ValueError):
        parse_amount("12,5", "JPY")
