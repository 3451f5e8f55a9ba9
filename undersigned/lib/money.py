"""Amounts of money: integers in the currency's minor unit (pence, céntimos; yen have none),
never floats; ISO 4217 codes; formatting in the reader's language (CLDR data through Babel).
"""

from __future__ import annotations

import decimal
import functools
import re
from decimal import Decimal

from babel import Locale, UnknownLocaleError
from babel.numbers import format_currency, get_currency_name
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


# ISO 4217's minor units where they are not two (CLDR, and so Babel, gives the digits shown
# in cash, which differ for some: HUF, COP, IDR, ISK...). The standard's list is the rule.
_EXPONENTS = {
    **dict.fromkeys(
        "BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX UYI VND VUV XAF XOF XPF".split(), 0
    ),
    **dict.fromkeys("BHD IQD JOD KWD LYD OMR TND".split(), 3),
    **dict.fromkeys("CLF UYW".split(), 4),
}


def exponent(currency: str) -> int:
    """ISO 4217's digits after the decimal point: 2 for GBP or HUF, 0 for JPY or CLP, 3 for
    KWD."""
    return _EXPONENTS.get(currency, 2)


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
    `cents` says otherwise; with all of them (as ISO 4217 counts them) where it is not."""
    locale = _locale(language)
    value = to_major(minor, currency)
    if cents is None:
        cents = value != value.to_integral_value()
    pattern = str(locale.currency_formats["standard"].pattern).split(";")[0]
    # The number's part of the pattern ("#,##0.00", "#,##,##0.00"), without its decimals...
    whole = re.sub(r"([#,0]*0)\.0+", r"\1", pattern)
    # ...and with the currency's own.
    digits = exponent(currency)
    shown = (
        re.sub(r"([#,0]*0)", r"\g<1>." + "0" * digits, whole, count=1)
        if cents and digits
        else whole
    )
    return str(format_currency(value, currency, format=shown, locale=locale, currency_digits=False))


def currency_name(currency: str, language: str) -> str:
    return str(get_currency_name(currency, locale=_locale(language)))
