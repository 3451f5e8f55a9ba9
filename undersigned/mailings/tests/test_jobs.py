"""The signature emails' jobs: the signatures of a batch read at once, and only what is still
current sent."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test import Client

from undersigned.conftest import SmtpSink, sign_data
from undersigned.jobs import queue
from undersigned.jobs.models import Job
from undersigned.mailings import jobs
from undersigned.statements.models import Signature, SignatureToken, Statement


def _reads_of_signatures(statements: list[str]) -> int:
    table = SignatureToken._meta.db_table
    return sum(1 for sql in statements if sql.startswith("SELECT") and f"FROM {table}" in sql)


def test_a_batch_of_signature_emails_reads_its_signatures_in_one_query(
    client: Client, statement: Statement, smtp_server: SmtpSink
) -> None:
    for n in range(queue.BATCH + 2):
        client.post("/s/free-them/es/sign/", sign_data(email=f"p{n}@example.net"))
    # A confirmed signer signing again gets the other email, read the same way.
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
    # One for each of the two batches.
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


def test_a_signature_withdrawn_after_its_batch_was_read_is_read_again_once_that_is_old(
    client: Client, statement: Statement, smtp_server: SmtpSink, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("ana", "bea"):
        client.post("/s/free-them/es/sign/", sign_data(email=f"{name}@example.net"))
    clock = [1000.0]
    monkeypatch.setattr(jobs.time, "monotonic", lambda: clock[0])
    real = jobs.send_confirmation

    def then_withdraw_bea(payload: dict[str, Any]) -> None:
        real(payload)
        Signature.objects.filter(email="bea@example.net").delete()
        clock[0] += jobs._BATCH_FRESH_SECONDS

    monkeypatch.setitem(queue._HANDLERS, "mail.confirm_signature", then_withdraw_bea)
    assert queue.drain() == 2
    assert [envelope.rcpt_tos for envelope in smtp_server.envelopes] == [["ana@example.net"]]


def test_a_job_run_on_its_own_reads_its_signature_itself(
    client: Client, statement: Statement, smtp_server: SmtpSink
) -> None:
    client.post("/s/free-them/es/sign/", sign_data(email="ana@example.net"))
    job = Job.objects.get()
    assert queue.run_job(job) is True
    assert [envelope.rcpt_tos for envelope in smtp_server.envelopes] == [["ana@example.net"]]
