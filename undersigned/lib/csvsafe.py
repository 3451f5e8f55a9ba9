"""CSV cells that a spreadsheet will not run as formulas."""

from __future__ import annotations

# What a spreadsheet reads as the start of a formula: the ASCII signs, and their full-width
# forms, which spreadsheets in East Asian locales also take as formula signs.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")
# Characters some spreadsheets skip before looking for a formula sign (a spreadsheet that trims
# spaces on import, or an unbalanced quote), so ' =1+1' and '"=1+1' are formulas too.
SKIPPED_BEFORE_FORMULA = " \"'"


def formula_like(text: str) -> bool:
    """Whether a spreadsheet could read `text` as a formula."""
    return text.lstrip(SKIPPED_BEFORE_FORMULA).startswith(FORMULA_START)


def neutralise(value: object) -> str:
    """Prefix a cell a spreadsheet would read as a formula with a quote, which shows as text."""
    text = "" if value is None else str(value)
    if formula_like(text):
        return "'" + text
    return text
