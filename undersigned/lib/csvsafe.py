"""CSV cells that a spreadsheet will not run as formulas."""

from __future__ import annotations

# What a spreadsheet reads as the start of a formula.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: object) -> str:
    """Prefix a cell a spreadsheet would read as a formula with a quote, which shows as text."""
    text = "" if value is None else str(value)
    if text.startswith(FORMULA_START):
        return "'" + text
    return text
