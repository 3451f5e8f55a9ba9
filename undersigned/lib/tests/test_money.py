"""Amounts are integers in the currency's minor unit, formatted as the reader writes them."""

from __future__ import annotations

from decimal import Decimal

import pytest

from undersigned.lib import money


def test_minor_units_follow_the_currency() -> None:
    assert money.to_minor(Decimal("12.34"), "EUR") == 1234
    assert money.to_minor(Decimal("1200"), "JPY") == 1200
    assert money.to_minor(Decimal("1.234"), "KWD") == 1234
    assert money.to_major(1234, "EUR") == Decimal("12.34")
    # ISO 4217's units, not the digits shown in cash (which CLDR gives: none for forints).
    assert money.to_minor(Decimal("5000"), "HUF") == 500_000
    assert money.exponent("ISK") == 0 and money.exponent("CLF") == 4
    with pytest.raises(ValueError):
        money.to_minor(Decimal("1.234"), "EUR")
    with pytest.raises(ValueError):
        money.to_minor(Decimal("0.5"), "JPY")


def test_conversion_rounds_half_even_to_the_target_unit() -> None:
    assert money.convert(10_000, "USD", Decimal("0.79"), "GBP") == 7_900
    # 0.125 GBP is 12.5 pence: to the even penny.
    assert money.convert(1, "EUR", Decimal("0.125"), "GBP") == 0
    assert money.convert(3, "EUR", Decimal("0.125"), "GBP") == 0
    assert money.convert(100, "EUR", Decimal("0.125"), "GBP") == 12
    assert money.convert(1_050, "GBP", Decimal("190.123"), "JPY") == 1_996


@pytest.mark.parametrize(
    ("minor", "currency", "language", "shown"),
    [
        (124_000, "GBP", "en", "£1,240"),
        (124_050, "GBP", "en", "£1,240.50"),
        (124_000, "EUR", "es", "1.240\xa0€"),
        (124_050, "EUR", "es", "1.240,50\xa0€"),
        (124_000, "PEN", "es-PE", "S/\xa01,240"),
        (5_000, "JPY", "en", "¥5,000"),
        # Minor digits as ISO 4217 counts them, where CLDR shows none or two.
        (500_050, "HUF", "en", "HUF5,000.50"),
        (12_345, "KWD", "en", "KWD12.345"),
    ],
)
def test_amounts_are_written_as_the_reader_writes_them(
    minor: int, currency: str, language: str, shown: str
) -> None:
    assert money.format_money(minor, currency, language) == shown


def test_a_language_without_data_falls_back() -> None:
    assert money.format_money(100, "EUR", "zz-Qaaa") == "€1"


def test_only_current_currencies_are_offered() -> None:
    found = money.currencies()
    assert {"EUR", "GBP", "USD", "PEN", "BOB", "JPY"} <= found
    assert not {"XAU", "XXX", "DEM", "ESP"} & found
    assert money.is_currency("PEN") and not money.is_currency("ESP")
