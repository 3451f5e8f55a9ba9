"""Keep secrets and addresses out of log lines, whatever code wrote them."""

from __future__ import annotations

import logging
import re

_TOKEN_PATH = re.compile(r"/(confirm|withdraw)/[-\w]{8,}")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")


def redact(text: str) -> str:
    return _EMAIL.sub("[email]", _TOKEN_PATH.sub(r"/\1/[token]", text))


class Redact(logging.Filter):
    """Rewrites each record's message with link tokens and email addresses blanked out.

    A 500 on a confirmation URL is logged by Django with the path, token included.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        return True
