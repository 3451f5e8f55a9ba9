"""Keep secrets and addresses out of log lines, whatever code wrote them."""

from __future__ import annotations

import logging
import re

_TOKEN_PATH = re.compile(r"/(confirm|withdraw|signature|invitation|u)/[-\w:]{8,}")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")


def redact(text: str) -> str:
    return _EMAIL.sub("[email]", _TOKEN_PATH.sub(r"/\1/[token]", text))


class RedactingFormatter(logging.Formatter):
    """Formats a record, traceback included, then blanks link tokens and email addresses.

    A 500 on a confirmation URL is logged by Django with the path, token included; a database
    error's text can quote a row's values (PostgreSQL: "Key (email)=(…) already exists").
    """

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))
