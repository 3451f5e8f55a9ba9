"""The SMTP client prepared messages are sent with: what it sends must be what smtplib's sends."""

from __future__ import annotations

import smtplib
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from undersigned.conftest import SmtpSink
from undersigned.mailings import backends

MESSAGE = b"Subject: hello\r\n\r\nHello.\r\n"


@settings(max_examples=200, deadline=None)
@given(st.from_regex(backends._PLAIN_ADDRESS, fullmatch=True))
def test_a_plain_address_is_what_smtplib_would_send_for_it(address: str) -> None:
    assert smtplib.quoteaddr(address) == f"<{address}>"


@pytest.mark.parametrize(
    "address",
    [
        "plain.one+tag@example.net",
        "UPPER@EXAMPLE.NET",
        "Ana García <ana@example.net>",
        '"two words"@example.net',
        "ana@example.net (a comment)",
        "<ana@example.net>",
        "ana@[127.0.0.1]",
        "ana@example.net ",
    ],
)
def test_the_envelope_is_the_one_smtplib_sends(smtp_server: SmtpSink, address: str) -> None:
    def send(client: smtplib.SMTP) -> Any:
        with client:
            client.sendmail(address, [address], MESSAGE)
        return smtp_server.envelopes[-1]

    theirs = send(smtplib.SMTP("127.0.0.1", smtp_server.port))
    ours = send(backends._Client("127.0.0.1", smtp_server.port))
    assert (ours.mail_from, ours.rcpt_tos, ours.mail_options) == (
        theirs.mail_from,
        theirs.rcpt_tos,
        theirs.mail_options,
    )
    # The server's SIZE extension is used, as smtplib does.
    assert any(option.upper().startswith("SIZE=") for option in ours.mail_options)


def test_the_backend_uses_the_client_with_and_without_ssl(settings: Any) -> None:
    settings.EMAIL_USE_SSL = False
    assert backends.SMTPBackend().connection_class is backends._Client
    settings.EMAIL_USE_SSL = True
    ssl_class = backends.SMTPBackend().connection_class
    assert issubclass(ssl_class, smtplib.SMTP_SSL) and issubclass(ssl_class, backends._Client)


def test_a_plain_address_is_not_parsed(
    smtp_server: SmtpSink, monkeypatch: pytest.MonkeyPatch
) -> None:
    def parsed(address: str) -> str:
        raise AssertionError(f"{address} parsed")

    monkeypatch.setattr(smtplib, "quoteaddr", parsed)
    with backends._Client("127.0.0.1", smtp_server.port) as client:
        client.sendmail("noreply@example.org", ["ana@example.net"], MESSAGE)
    assert smtp_server.envelopes[-1].rcpt_tos == ["ana@example.net"]
