"""Cleaning of short texts people type: names, organisation names, roles."""

from __future__ import annotations

import unicodedata


def clean_line(value: str) -> str:
    """NFC-normalise, drop invisible format characters (bidi overrides, zero-width) and fold
    whitespace to single spaces. Control characters become spaces and are folded away too,
    so the result is always one printable line.
    """
    value = unicodedata.normalize("NFC", value)
    kept = []
    for char in value:
        category = unicodedata.category(char)
        if category == "Cf":
            continue
        kept.append(" " if category == "Cc" or char.isspace() else char)
    return " ".join("".join(kept).split())
