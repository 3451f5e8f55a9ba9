from __future__ import annotations

import logging

from undersigned.lib.logfilter import RedactingFormatter, redact


def test_tokens_and_addresses_are_blanked() -> None:
    line = "Internal Server Error: /s/x/confirm/AbC_-123456789012345/ for ana.g+x@example.org"
    assert redact(line) == "Internal Server Error: /s/x/confirm/[token]/ for [email]"
    assert redact("/s/x/withdraw/AbCdEfGh12345678/") == "/s/x/withdraw/[token]/"
    assert redact("/s/x/signature/AbCdEfGh12345678/data.json") == "/s/x/signature/[token]/data.json"
    assert redact("/u/s123:AbCdEfGh-12345678_/") == "/u/[token]/"
    assert redact("/dashboard/invitation/AbCdEfGh12345678/") == "/dashboard/invitation/[token]/"
    assert redact("/s/x/follow/confirm/AbCdEfGh12345678/") == "/s/x/follow/confirm/[token]/"
    assert redact("nothing secret here") == "nothing secret here"


def test_the_formatter_redacts_messages_and_tracebacks() -> None:
    formatter = RedactingFormatter("%(message)s")
    try:
        raise ValueError("Key (email)=(ana@example.org) already exists")
    except ValueError:
        import sys

        record = logging.LogRecord(
            "x",
            logging.ERROR,
            __file__,
            1,
            "failed on %s",
            ("/s/x/confirm/A1234567890bcdefgh/",),
            sys.exc_info(),
        )
    text = formatter.format(record)
    assert text.startswith("failed on /s/x/confirm/[token]/")
    assert "Traceback" in text
    assert "ana@example.org" not in text and "A1234567890bcdefgh" not in text
