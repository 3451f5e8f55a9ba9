from __future__ import annotations

import logging

import pytest

from undersigned.lib.logfilter import Redact, redact


def test_tokens_and_addresses_are_blanked() -> None:
    line = "Internal Server Error: /s/x/confirm/AbC_-123456789012345/ for ana.g+x@example.org"
    assert redact(line) == "Internal Server Error: /s/x/confirm/[token]/ for [email]"
    assert redact("/s/x/withdraw/AbCdEfGh12345678/") == "/s/x/withdraw/[token]/"
    assert redact("nothing secret here") == "nothing secret here"


def test_the_filter_rewrites_formatted_records(caplog: pytest.LogCaptureFixture) -> None:
    logger = logging.getLogger("undersigned.test.redact")
    logger.addFilter(Redact())
    with caplog.at_level(logging.INFO, logger=logger.name):
        logger.error("failed for %s on %s", "ana@example.org", "/s/x/confirm/A1234567890bcdefgh/")
    assert caplog.messages == ["failed for [email] on /s/x/confirm/[token]/"]
