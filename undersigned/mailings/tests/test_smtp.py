"""The SMTP client the outbox sends with: what it sends must be what smtplib's sends."""

from __future__ import annotations

import contextlib
import smtplib
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from undersigned.conftest import SmtpSink
from undersigned.mailings import smtp

MESSAGE = b"Subject: hello\r\n\r\nHello.\r\n"


@settings(max_examples=200, deadline=None)
@given(st.from_regex(smtp.PLAIN_ADDRESS, fullmatch=True))
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
@pytest.mark.parametrize("pipelining", [True, False])
def test_the_envelope_is_the_one_smtplib_sends(
    smtp_server: SmtpSink, address: str, pipelining: bool
) -> None:
    smtp_server.pipelining = pipelining

    def send(client: smtplib.SMTP) -> Any:
        with client:
            client.sendmail(address, [address], MESSAGE)
        return smtp_server.envelopes[-1]

    theirs = send(smtplib.SMTP("127.0.0.1", smtp_server.port))
    ours = send(smtp.Client("127.0.0.1", smtp_server.port))
    assert (ours.mail_from, ours.rcpt_tos, ours.mail_options) == (
        theirs.mail_from,
        theirs.rcpt_tos,
        theirs.mail_options,
    )
    # The server's SIZE extension is used, as smtplib does.
    assert any(option.upper().startswith("SIZE=") for option in ours.mail_options)


def test_the_backend_uses_the_client_with_and_without_ssl(settings: Any) -> None:
    settings.EMAIL_USE_SSL = False
    assert smtp.SMTPBackend().connection_class is smtp.Client
    settings.EMAIL_USE_SSL = True
    ssl_class = smtp.SMTPBackend().connection_class
    assert issubclass(ssl_class, smtplib.SMTP_SSL) and issubclass(ssl_class, smtp.Client)


def test_a_plain_address_is_not_parsed(
    smtp_server: SmtpSink, monkeypatch: pytest.MonkeyPatch
) -> None:
    def parsed(address: str) -> str:
        raise AssertionError(f"{address} parsed")

    monkeypatch.setattr(smtplib, "quoteaddr", parsed)
    with smtp.Client("127.0.0.1", smtp_server.port) as client:
        client.sendmail("noreply@example.org", ["ana@example.net"], MESSAGE)
    assert smtp_server.envelopes[-1].rcpt_tos == ["ana@example.net"]


class _Counted(smtp.Client):
    writes = 0

    def send(self, s: str | bytes) -> None:
        type(self).writes += 1
        super().send(s)


@pytest.mark.parametrize(("pipelining", "writes"), [(True, 2), (False, 4)])
def test_with_pipelining_a_message_takes_one_write_of_commands_and_one_of_text(
    smtp_server: SmtpSink, pipelining: bool, writes: int
) -> None:
    smtp_server.pipelining = pipelining
    with _Counted("127.0.0.1", smtp_server.port) as client:
        client.ehlo()
        _Counted.writes = 0
        client.sendmail("noreply@example.org", ["ana@example.net"], MESSAGE)
        assert _Counted.writes == writes
        client.sendmail("noreply@example.org", ["bea@example.net"], b"Subject: x\r\n\r\n.dot")
    assert [envelope.rcpt_tos for envelope in smtp_server.envelopes] == [
        ["ana@example.net"],
        ["bea@example.net"],
    ]
    assert smtp_server.envelopes[1].content.endswith(b"\r\n\r\n.dot\r\n")


def _outcome(client: smtplib.SMTP, sender: str, to: str) -> tuple[str, Any]:
    """What sending one message and then another over the same connection came to."""
    outcomes = []
    for recipient in (to, "after@example.net"):
        try:
            client.sendmail(sender, [recipient], MESSAGE)
            outcomes.append("sent")
        except smtplib.SMTPException as error:
            outcomes.append(f"{type(error).__name__} {error.args}")
    return outcomes[0], outcomes[1]


@pytest.mark.parametrize(
    ("sender", "to", "reply"),
    [
        ("refused@example.org", "ana@example.net", "550 No such sender"),
        ("refused@example.org", "ana@example.net", "421 Closing"),
        ("noreply@example.org", "refused@example.net", "550 No such user"),
        ("noreply@example.org", "refused@example.net", "452 Too many recipients"),
        ("noreply@example.org", "refused@example.net", "421 Closing"),
        ("noreply@example.org", "closing@example.net", ""),
    ],
)
def test_a_refusal_ends_as_it_does_with_smtplib(
    smtp_server: SmtpSink, sender: str, to: str, reply: str
) -> None:
    smtp_server.refuse = {"refused@example.org": reply, "refused@example.net": reply}
    smtp_server.closing_for = {"closing@example.net"}
    outcomes = []
    for client in (
        smtplib.SMTP("127.0.0.1", smtp_server.port),
        smtp.Client("127.0.0.1", smtp_server.port),
    ):
        with contextlib.suppress(smtplib.SMTPServerDisconnected):
            outcomes.append(_outcome(client, sender, to))
            client.quit()
    theirs, ours = outcomes
    assert ours == theirs
    assert ours[0] != "sent"
