"""Amounts of money: integers in the currency's minor unit (pence, céntimos; yen have none),
never floats; ISO 4217 codes; formatting in the reader's language (CLDR data through Babel).
"""

from __future__ import annotations

import decimal
import functools
from decimal import Decimal

from babel import Locale, UnknownLocaleError
from babel.numbers import format_currency, get_currency_name, get_currency_precision
from babel.numbers import list_currencies as _babel_currencies

# ISO 4217 codes no longer in use (or funds, or precious metals): not offered for a fund.
_NOT_OFFERED = frozenset(
    "XAG XAU XBA XBB XBC XBD XDR XPD XPT XSU XTS XUA XXX "
    "BOV CHE CHW CLF COU MXV USN UYI UYW".split()
)


@functools.cache
def currencies() -> frozenset[str]:
    """Every ISO 4217 code CLDR knows as a current legal tender (historical ones aside)."""
    from babel.core import get_global

    current = set()
    for entries in get_global("territory_currencies").values():
        for code, _start, end, tender in entries:
            if end is None and tender:
                current.add(code)
    return frozenset(current - _NOT_OFFERED) & frozenset(_babel_currencies())


def is_currency(code: str) -> bool:
    return code in currencies()


def exponent(currency: str) -> int:
    """Digits after the decimal point: 2 for GBP, 0 for JPY or CLP, 3 for KWD."""
    return int(get_currency_precision(currency))


def to_minor(amount: Decimal, currency: str) -> int:
    """A decimal amount as an integer in minor units; ValueError if it has more decimals than
    the currency has."""
    scaled = amount.scaleb(exponent(currency))
    if scaled != scaled.to_integral_value():
        raise ValueError("too many decimals")
    return int(scaled)


def to_major(minor: int, currency: str) -> Decimal:
    return Decimal(minor).scaleb(-exponent(currency))


def convert(minor: int, currency: str, rate: Decimal, to_currency: str) -> int:
    """`minor` units of `currency` in `to_currency` at `rate` (units of `to_currency` for one
    of `currency`), rounded half-even to `to_currency`'s minor unit."""
    value = to_major(minor, currency) * rate
    return int(value.scaleb(exponent(to_currency)).quantize(Decimal(1), decimal.ROUND_HALF_EVEN))


@functools.lru_cache(maxsize=256)
def _locale(language: str) -> Locale:
    tag = language.replace("-", "_")
    for candidate in (tag, tag.split("_")[0], "en"):
        try:
            return Locale.parse(candidate)
        except (UnknownLocaleError, ValueError):
            continue
    return Locale.parse("en")


def format_money(minor: int, currency: str, language: str, *, cents: bool | None = None) -> str:
    """`minor` units of `currency` as the reader of `language` writes them: "£1,240",
    "1.240 €", "S/ 1,240.50". Without the minor digits where the amount is whole, unless
    `cents` says otherwise."""
    locale = _locale(language)
    value = to_major(minor, currency)
    if cents is None:
        cents = value != value.to_integral_value()
    if cents:
        return str(format_currency(value, currency, locale=locale))
    pattern = str(locale.currency_formats["standard"].pattern).split(";")[0]
    whole = pattern.replace(".00", "").replace(".0", "")
    return str(format_currency(value, currency, format=whole, locale=locale, currency_digits=False))


def currency_name(currency: str, language: str) -> str:
    return str(get_currency_name(currency, locale=_locale(language)))
