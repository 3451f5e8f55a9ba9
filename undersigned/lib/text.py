"""Cleaning and checking of short texts people type: names, organisation names, roles.

These are shown to the public, put in emails and exported to spreadsheets, so they are kept to
one plain line of what the person meant to write: no invisible characters that reorder or hide
text, no links, nothing a spreadsheet would run.
"""

from __future__ import annotations

import enum
import re
import unicodedata

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from undersigned.lib.csvsafe import formula_like


def clean_line(value: str) -> str:
    """Drop invisible format characters (bidirectional controls such as U+202E, zero-width
    characters, U+FEFF, U+180E: Unicode category Cf), turn control characters and every kind of
    whitespace into spaces, fold runs of spaces into one, strip, and NFC-normalise, so the same
    name typed composed or decomposed is stored alike. The result is always one printable line.

    Tab and CR at the start are whitespace like any other and go with the stripping.
    """
    kept = []
    for char in value:
        category = unicodedata.category(char)
        if category == "Cf":
            continue
        kept.append(" " if category == "Cc" or char.isspace() else char)
    # Normalised last: removing a character can bring a letter and its accent together.
    return unicodedata.normalize("NFC", " ".join("".join(kept).split()))


class NameProblem(enum.Enum):
    # A web address, or an email address: names are shown publicly, and are no place for links.
    ADDRESS = "address"
    # Starts with = + - or @ (after any quotes or spaces): a spreadsheet would run it.
    FORMULA = "formula"
    # A MIME encoded word (=?utf-8?q?...?=): a mail program would decode it, so it could carry
    # line breaks or addresses past the other checks. Never part of a real name.
    ENCODED = "encoded"


_ENCODED_WORD = re.compile(r"=\?[^?\s]*\?[bq]\?[^?\s]*\?=", re.IGNORECASE)


# Top-level domains written after a dot are taken as an address. A list, not any two letters:
# "M.de la Cruz" or "Ma.Luisa" are names. Those seen most in spam and link shorteners.
_TLDS = (
    "com|org|net|info|biz|edu|gov|int|mil|io|co|me|ly|gl|gd|to|tv|cc|ws|su|ru|cn|uk|us|eu|"
    "xyz|top|site|online|club|shop|store|app|dev|link|click|live|news|blog|page|fun|icu|"
    "vip|win|bid|loan|work|tk|ml|ga|cf|gq|pw|onion|art|one|pro|tech|email|cloud|world"
)
_ADDRESS = re.compile(
    r"""
    [a-z][a-z0-9+.-]*://              # any scheme: http://, https://, ftp://
    | \bwww\d*\.                      # www.example
    | \bxn--                          # an internationalised domain in its ASCII form
    | [a-z0-9-]\.(?:"""
    + _TLDS
    + r""")\b                          # example.com, bit.ly/x; not initials (U.S.), not M.de
    """,
    re.IGNORECASE | re.VERBOSE | re.ASCII,
)


def name_problem(value: str) -> NameProblem | None:
    """What makes a cleaned name, organisation name or role unfit to publish, or None."""
    if _ENCODED_WORD.search(value):
        return NameProblem.ENCODED
    if _ADDRESS.search(value):
        return NameProblem.ADDRESS
    if formula_like(value):
        return NameProblem.FORMULA
    return None


def publishable(value: str) -> str:
    """`value`, a cleaned name, organisation name or role, for a form's clean_<field>; refused
    with a message if it holds an address or would start a spreadsheet formula. Refused rather
    than changed: what is published is what the person typed, and they see why.
    """
    problem = name_problem(value)
    if problem is NameProblem.ADDRESS:
        raise ValidationError(
            _("Leave out web and email addresses: this is shown as plain text."), code="address"
        )
    if problem is NameProblem.FORMULA:
        raise ValidationError(_("This cannot start with =, +, - or @."), code="formula")
    if problem is NameProblem.ENCODED:
        raise ValidationError(_("Write this as plain text."), code="encoded")
    return value
