"""Keep secrets and addresses out of log lines, whatever code wrote them, and keep each record
to lines of its own: nothing a request sends can write a line that looks like another record."""

from __future__ import annotations

import logging
import re
from typing import Any

# The secret part of links in emails (and a bank transfer's reference, which tells a donor's
# transfer apart), whichever path they are under: a comment's confirmation link is under
# /c/confirm/, its edit-or-delete link under /c/manage/ (not any /manage/, which names pages).
_TOKEN_PATH = re.compile(
    r"/(confirm|withdraw|signature|invitation|u|cancel|pledge|transfer|c/manage)/[-\w:]{8,}"
)
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")


def redact(text: str) -> str:
    return _EMAIL.sub("[email]", _TOKEN_PATH.sub(r"/\1/[token]", text))


# Control characters (C0, DEL, C1: line breaks, carriage returns, terminal escapes), Unicode
# line and paragraph separators, and the invisible characters that reorder or hide text
# (bidirectional controls, zero-width characters, U+FEFF).
_CONTROL = re.compile(
    r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]"
)


def _escaped(match: re.Match[str]) -> str:
    return match.group().encode("unicode_escape").decode("ascii")


def escape_controls(text: str) -> str:
    """`text` with each control or invisible character written as its escape (\\n, \\x1b,
    \\u202e): one printable line, whatever it held."""
    return _CONTROL.sub(_escaped, text)


class RedactingFormatter(logging.Formatter):
    """Formats a record, traceback included, then blanks link tokens and email addresses.

    A 500 on a confirmation URL is logged by Django with the path, token included; a database
    error's text can quote a row's values (PostgreSQL: "Key (email)=(…) already exists").

    The message is one line, its control characters escaped: what a request sent (a CSP
    report's fields, a path, a header) is often part of it, and a line break there would let
    the sender write a line that passes for a record of its own. A traceback keeps its lines,
    each indented under the record, its control characters escaped too: only a record's first
    line starts at the left edge.
    """

    def formatMessage(self, record: logging.LogRecord) -> str:
        return escape_controls(super().formatMessage(record))

    def formatException(self, ei: Any) -> str:
        return _indented(super().formatException(ei))

    def formatStack(self, stack_info: str) -> str:
        return _indented(super().formatStack(stack_info))

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


def _indented(text: str) -> str:
    return "\n".join("  " + escape_controls(line) for line in text.split("\n"))
