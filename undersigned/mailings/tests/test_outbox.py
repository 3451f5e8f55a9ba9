"""The outbox's queued emails: a batch loaded at once per kind, only what is still current sent,
and failures classified for the one retry policy."""

from __future__ import annotations

import smtplib
import socket
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from pytest_django.fixtures import Settings as SettingsWrapper

from undersigned.conftest import SmtpSink, sign_data
from undersigned.jobs import queue
from undersigned.jobs.models import Job
from undersigned.mailings import outbox, smtp
from undersigned.statements.models import Signature, SignatureToken, Statement


def _reads_of_signatures(statements: list[str]) -> int:
    table = SignatureToken._meta.db_table
    return sum(1 for sql in statements if sql.startswith("SELECT") and f"FROM {table}" in sql)


def test_a_batch_of_emails_is_loaded_with_one_query(
    client: Client, statement: Statement, smtp_server: SmtpSink, settings: SettingsWrapper
) -> None:
    # One client sends them all: within its limits, or the last would be held and sent nothing.
    settings.SIGN_RATE_LIMITS = settings.CLIENT_EMAIL_LIMITS = "100/60"
    for n in range(queue.BATCH + 2):
        client.post("/s/free-them/es/sign/", sign_data(email=f"p{n}@example.net"))
    # A confirmed signer signing again gets the other kind, loaded the same way.
    Signature.objects.filter(email="p0@example.net").update(state=Signature.State.CONFIRMED)
    client.post("/s/free-them/es/sign/", sign_data(email="p0@example.net"))
    statements: list[str] = []

    def record(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        statements.append(sql.replace('"', ""))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(record):
        assert queue.drain() == queue.BATCH + 3
    # p0's first job sends nothing now that p0 has confirmed; its second tells them so.
    assert sorted(envelope.rcpt_tos[0] for envelope in smtp_server.envelopes) == sorted(
        f"p{n}@example.net" for n in range(queue.BATCH + 2)
    )
    subjects = {
        envelope.rcpt_tos[0]: message["Subject"]
        for envelope, message in zip(smtp_server.envelopes, smtp_server.messages, strict=True)
    }
    assert subjects["p0@example.net"] != subjects["p1@example.net"]
    # One read per batch: a sign form's email is one kind, whichever it turns out to say.
    assert _reads_of_signatures(statements) == 2


def test_a_token_of_another_signature_sends_nothing(
    client: Client, statement: Statement, smtp_server: SmtpSink
) -> None:
    for name in ("ana", "bea"):
        client.post("/s/free-them/es/sign/", sign_data(email=f"{name}@example.net"))
    ana, bea = Job.objects.order_by("pk")
    tokens = ana.payload["token"], bea.payload["token"]
    ana.payload["token"], bea.payload["token"] = tokens[1], tokens[0]
    ana.save()
    bea.save()
    assert queue.drain() == 2
    assert smtp_server.messages == []


def test_an_email_withdrawn_after_its_batch_was_loaded_is_loaded_again_once_that_is_old(
    client: Client, statement: Statement, smtp_server: SmtpSink, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("ana", "bea"):
        client.post("/s/free-them/es/sign/", sign_data(email=f"{name}@example.net"))
    clock = [1000.0]
    monkeypatch.setattr(outbox.time, "monotonic", lambda: clock[0])
    real = outbox.send

    def then_withdraw_bea(email: outbox.Email) -> None:
        real(email)
        Signature.objects.filter(email="bea@example.net").delete()
        clock[0] += outbox.BATCH_FRESH_SECONDS

    monkeypatch.setattr(outbox, "send", then_withdraw_bea)
    assert queue.drain() == 2
    assert [envelope.rcpt_tos for envelope in smtp_server.envelopes] == [["ana@example.net"]]


def test_a_job_run_on_its_own_loads_its_email_itself(
    client: Client, statement: Statement, smtp_server: SmtpSink
) -> None:
    client.post("/s/free-them/es/sign/", sign_data(email="ana@example.net"))
    job = Job.objects.get()
    assert queue.run_job(job) is True
    assert [envelope.rcpt_tos for envelope in smtp_server.envelopes] == [["ana@example.net"]]


@pytest.mark.parametrize(
    ("error", "verdict"),
    [
        (smtplib.SMTPRecipientsRefused({"a@example.net": (550, b"No such user")}), "permanent"),
        (smtplib.SMTPRecipientsRefused({"a@example.net": (452, b"Full")}), None),
        (smtplib.SMTPDataError(554, b"Spam"), "permanent"),
        (smtplib.SMTPDataError(451, b"Later"), None),
        (smtplib.SMTPServerDisconnected("gone"), "unavailable"),
        (ConnectionRefusedError(), "unavailable"),
        (outbox.Unwritable("UnicodeError"), "permanent"),
        (RuntimeError("anything else"), None),
    ],
)
def test_smtp_failures_are_classified_for_the_one_retry_policy(
    error: BaseException, verdict: str | None
) -> None:
    assert outbox._classify(error) == verdict


def test_the_retry_policy_gives_up_at_once_on_a_permanent_failure_and_late_on_an_outage(
    settings: Any,
) -> None:
    refused = smtplib.SMTPRecipientsRefused({"a@example.net": (550, b"No such user")})
    assert queue.next_try(1, refused) is None
    down = ConnectionRefusedError()
    assert queue.next_try(settings.JOB_MAX_ATTEMPTS, down) is not None
    assert queue.next_try(queue.UNAVAILABLE_ATTEMPTS, down) is None
    assert queue.next_try(settings.JOB_MAX_ATTEMPTS - 1, RuntimeError()) is not None
    assert queue.next_try(settings.JOB_MAX_ATTEMPTS, RuntimeError()) is None


def _email(to: str, kind: str = "confirm_follower") -> outbox.Email:
    """An email of a kind whose templates need nothing from its context."""
    return outbox.Email(
        kind=kind, to=to, sender="Red", language="en", context=lambda p: {"unconfirmed_days": 7}
    )


def test_a_group_whose_recording_fails_is_never_delivered(smtp_server: SmtpSink) -> None:
    def record(keys: list[int]) -> set[int]:
        raise RuntimeError("the database went away")

    with smtp.kept_open(), pytest.raises(RuntimeError):
        outbox.send_once(
            [(1, _email("a@example.net")), (2, _email("b@example.net"))], record, print
        )
    # Each message was left before its final dot: the server delivers none.
    assert smtp_server.messages == []
    assert smtp._pool.open == []


def test_an_email_that_cannot_be_made_fails_for_good_and_the_others_go(
    smtp_server: SmtpSink,
) -> None:
    failures: list[tuple[int, BaseException]] = []
    outbox.send_once(
        [(1, _email("a@example.net", kind="no_such_kind")), (2, _email("b@example.net"))],
        record=set,
        failed=lambda key, exc, recorded: failures.append((key, exc)),
    )
    assert [key for key, _exc in failures] == [1]
    assert queue.next_try(1, failures[0][1]) is None
    assert [envelope.rcpt_tos for envelope in smtp_server.envelopes] == [["b@example.net"]]


def test_a_pooled_connection_the_server_closed_is_replaced(
    smtp_server: SmtpSink, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(smtp, "IDLE_SECONDS", 0.0)
    with smtp.kept_open():
        outbox.send(_email("a@example.net"))
        ((pooled, _since),) = smtp._pool.open
        # As a server does with a connection idle too long.
        pooled.client.sock.shutdown(socket.SHUT_RDWR)
        outbox.send(_email("b@example.net"))
    assert [envelope.rcpt_tos for envelope in smtp_server.envelopes] == [
        ["a@example.net"],
        ["b@example.net"],
    ]
    assert len(set(smtp_server.peers)) == 2


def test_a_pooled_connection_that_still_answers_is_reused_after_a_pause(
    smtp_server: SmtpSink, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(smtp, "IDLE_SECONDS", 0.0)
    with smtp.kept_open():
        outbox.send(_email("a@example.net"))
        outbox.send(_email("b@example.net"))
    assert len(smtp_server.envelopes) == 2
    assert len(set(smtp_server.peers)) == 1
