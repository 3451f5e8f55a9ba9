from __future__ import annotations

import json
import logging
import sys

from django.test import Client

from undersigned.conftest import capture_logs
from undersigned.lib.logfilter import RedactingFormatter, redact

FORGED = "\n2026-11-23 10:00:00,000 ERROR django.security forged line\r\x1b[2K\u2028\u202eX"


def test_tokens_and_addresses_are_blanked() -> None:
    line = "Internal Server Error: /s/x/confirm/AbC_-123456789012345/ for ana.g+x@example.org"
    assert redact(line) == "Internal Server Error: /s/x/confirm/[token]/ for [email]"
    assert redact("/s/x/withdraw/AbCdEfGh12345678/") == "/s/x/withdraw/[token]/"
    assert redact("/s/x/signature/AbCdEfGh12345678/data.json") == "/s/x/signature/[token]/data.json"
    assert redact("/u/s123:AbCdEfGh-12345678_/") == "/u/[token]/"
    assert redact("/dashboard/invitation/AbCdEfGh12345678/") == "/dashboard/invitation/[token]/"
    assert redact("/s/x/follow/confirm/AbCdEfGh12345678/") == "/s/x/follow/confirm/[token]/"
    assert redact("Not Found: /f/1/pledge/Zk3v0aQ9x_LmN2pR7tUvWx/") == (
        "Not Found: /f/1/pledge/[token]/"
    )
    assert redact("/f/1/en/transfer/U7K3MQX9/") == "/f/1/en/transfer/[token]/"
    assert redact("/e/3/cancel/12:AbCdEfGh-12345678_/") == "/e/3/cancel/[token]/"
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


def _record(message: str, *args: object, exc_info: object = None) -> logging.LogRecord:
    return logging.LogRecord(
        "x",
        logging.WARNING,
        __file__,
        1,
        message,
        args,
        exc_info,  # type: ignore[arg-type]
    )


def test_control_characters_in_a_message_are_escaped_not_written() -> None:
    text = RedactingFormatter("%(levelname)s %(message)s").format(_record("got %s", FORGED))
    assert text == (
        "WARNING got \\n2026-11-23 10:00:00,000 ERROR django.security forged line"
        "\\r\\x1b[2K\\u2028\\u202eX"
    )
    # Printable text beyond ASCII stays as it is.
    assert RedactingFormatter("%(message)s").format(_record("José Ñ 中文")) == "José Ñ 中文"


def test_each_line_of_a_traceback_is_indented_under_its_record() -> None:
    try:
        raise ValueError(f"bad value{FORGED}")
    except ValueError:
        record = _record("failed", exc_info=sys.exc_info())
    lines = RedactingFormatter("%(levelname)s %(message)s").format(record).split("\n")
    assert lines[0] == "WARNING failed"
    assert len(lines) > 3 and all(line.startswith("  ") for line in lines[1:])
    assert not any(char in "\r\x1b\u2028\u202e" for line in lines for char in line)


def test_a_csp_report_cannot_write_a_line_of_its_own(client: Client) -> None:
    report = {
        "csp-report": {
            "effective-directive": f"script-src{FORGED}",
            "blocked-uri": f"inline{FORGED}",
        }
    }
    with capture_logs() as logs:
        response = client.post(
            "/csp-report/", json.dumps(report), content_type="application/csp-report"
        )
    assert response.status_code == 204
    (line,) = [line for line in logs.lines if "CSP violation" in line]
    assert "\n" not in line and "\r" not in line and "\x1b" not in line
    assert "script-src\\n2026" in line
