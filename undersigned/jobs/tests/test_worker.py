from __future__ import annotations

import contextlib
import datetime as dt
import smtplib
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.utils import timezone

from undersigned.conftest import SmtpSink, sign_data, text_body
from undersigned.jobs import queue
from undersigned.jobs.models import Job
from undersigned.statements.models import Signature, Statement


def test_the_worker_sends_over_smtp_and_deletes_the_job(
    client: Client, statement: Statement, smtp_server: SmtpSink
) -> None:
    client.post("/s/free-them/es/sign/", sign_data(email="ana@example.net"))
    call_command("worker", "--once")
    assert len(smtp_server.messages) == 1
    message = smtp_server.messages[0]
    assert smtp_server.envelopes[0].rcpt_tos == ["ana@example.net"]
    assert "/s/free-them/confirm/" in text_body(message)
    assert message.get_content_type() == "multipart/alternative"
    assert Job.objects.count() == 0


def test_a_batch_of_emails_shares_one_smtp_connection(
    client: Client, statement: Statement, smtp_server: SmtpSink
) -> None:
    for n in range(5):
        client.post("/s/free-them/es/sign/", sign_data(email=f"person{n}@example.net"))
    assert queue.drain() == 5
    assert len(smtp_server.messages) == 5
    assert len(set(smtp_server.peers)) == 1


def test_a_failed_send_is_retried_later_without_the_message_text(
    client: Client, statement: Statement, monkeypatch: pytest.MonkeyPatch
) -> None:
    client.post("/s/free-them/es/sign/", sign_data())

    def refuse(*args: Any, **kwargs: Any) -> None:
        raise smtplib.SMTPServerDisconnected("ana@example.net went away")

    monkeypatch.setattr("undersigned.mailings.emails.confirm_signature", refuse)
    assert queue.drain() == 0
    job = Job.objects.get()
    assert job.attempts == 1
    assert job.run_after > timezone.now()
    assert job.failed_at is None
    assert job.last_error == "SMTPServerDisconnected"
    # Not due yet: a second pass leaves it alone.
    assert queue.drain() == 0
    assert Job.objects.get().attempts == 1


@pytest.mark.parametrize(("code", "for_good"), [(450, False), (452, False), (550, True)])
def test_a_recipient_refused_for_now_is_tried_again_and_for_good_is_not(
    client: Client, statement: Statement, monkeypatch: pytest.MonkeyPatch, code: int, for_good: bool
) -> None:
    client.post("/s/free-them/es/sign/", sign_data())

    def refuse(*args: Any, **kwargs: Any) -> None:
        raise smtplib.SMTPRecipientsRefused({"ana@example.net": (code, b"not now")})

    monkeypatch.setattr("undersigned.mailings.emails.confirm_signature", refuse)
    assert queue.drain() == 0
    job = Job.objects.get()
    assert (job.failed_at is not None) is for_good
    assert job.attempts == 1


def test_a_job_gives_up_after_its_attempts_and_forgets_its_token(
    client: Client, statement: Statement, monkeypatch: pytest.MonkeyPatch, settings: Any
) -> None:
    settings.JOB_MAX_ATTEMPTS = 2
    client.post("/s/free-them/es/sign/", sign_data())
    monkeypatch.setattr(
        "undersigned.mailings.emails.confirm_signature",
        lambda *a: (_ for _ in ()).throw(OSError("down")),
    )
    for _ in range(2):
        Job.objects.update(run_after=timezone.now())
        queue.drain()
    job = Job.objects.get()
    assert job.failed_at is not None
    assert "token" not in job.payload
    Job.objects.update(run_after=timezone.now())
    assert queue.drain() == 0
    assert Job.objects.get().attempts == 2


def test_while_the_mail_server_is_unreachable_a_job_waits_about_a_day(
    client: Client, statement: Statement, monkeypatch: pytest.MonkeyPatch, settings: Any
) -> None:
    settings.JOB_MAX_ATTEMPTS = 2
    client.post("/s/free-them/es/sign/", sign_data())
    monkeypatch.setattr(
        "undersigned.mailings.emails.confirm_signature",
        lambda *a: (_ for _ in ()).throw(ConnectionRefusedError("refused")),
    )
    for _ in range(2):
        Job.objects.update(run_after=timezone.now())
        queue.drain()
    # Past the tries a failing job gets, the confirmation email still waits for the server.
    job = Job.objects.get()
    assert (job.attempts, job.failed_at) == (2, None)
    assert "token" in job.payload
    # Backoff grows to an hour between tries; after about a day it is given up.
    assert queue._backoff(queue.UNREACHABLE_ATTEMPTS) == dt.timedelta(hours=1)
    Job.objects.update(attempts=queue.UNREACHABLE_ATTEMPTS - 1, run_after=timezone.now())
    queue.drain()
    assert Job.objects.get().failed_at is not None


def test_a_job_held_by_a_live_worker_is_not_run_twice(client: Client, statement: Statement) -> None:
    from django.core import mail

    client.post("/s/free-them/es/sign/", sign_data())
    claimed = queue._claim(10)
    assert len(claimed) == 1
    assert queue._claim(10) == []  # leased to the first worker
    # A worker that died frees its job when the lease passes.
    Job.objects.update(locked_until=timezone.now())
    assert queue.drain() == 1
    assert len(mail.outbox) == 1


def test_running_a_job_twice_sends_once_after_confirmation(
    client: Client, statement: Statement
) -> None:
    from django.core import mail

    client.post("/s/free-them/es/sign/", sign_data())
    job = Job.objects.get()
    queue.run_job(job)
    Signature.objects.update(state=Signature.State.CONFIRMED)
    queue.run_job(job)
    assert len(mail.outbox) == 1


def test_jobs_of_a_withdrawn_signature_send_nothing(client: Client, statement: Statement) -> None:
    from django.core import mail

    client.post("/s/free-them/es/sign/", sign_data())
    job = Job.objects.get()
    Signature.objects.all().delete()
    assert queue.run_job(job) is True
    assert mail.outbox == []


def test_an_unknown_job_kind_fails_for_good(db: None) -> None:
    job = queue.enqueue("nothing.here", {"x": 1})
    queue.drain()
    job.refresh_from_db()
    assert job.failed_at is not None
    assert job.last_error == "LookupError"


def test_draining_stops_between_batches_when_told(client: Client, statement: Statement) -> None:
    for n in range(queue.BATCH + 3):
        client.post("/s/free-them/es/sign/", sign_data(email=f"p{n}@example.net"))
    batches = iter([False, True])
    assert queue.drain(stop=lambda: next(batches)) == queue.BATCH
    assert Job.objects.count() == 3


def test_the_worker_writes_under_the_signers_write_lock(
    client: Client, statement: Statement, smtp_server: SmtpSink, monkeypatch: pytest.MonkeyPatch
) -> None:
    # On SQLite a signers' commit that meets a write of the worker's outside the lock sleeps
    # in SQLite's busy handler, and the whole batch of signers with it.
    for n in range(3):
        client.post("/s/free-them/es/sign/", sign_data(email=f"p{n}@example.net"))
    held = False
    writes: list[tuple[bool, str]] = []
    real_lock = queue.write_lock

    @contextlib.contextmanager
    def watched_lock() -> Iterator[None]:
        nonlocal held
        with real_lock():
            held = True
            try:
                yield
            finally:
                held = False

    def record(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        if sql.lstrip().upper().startswith(("UPDATE", "DELETE", "INSERT")):
            writes.append((held, sql.split()[0].upper()))
        return execute(sql, params, many, context)

    monkeypatch.setattr(queue, "write_lock", watched_lock)
    with connection.execute_wrapper(record):
        assert queue.drain() == 3
    assert {kind for _held, kind in writes} == {"UPDATE", "DELETE"}
    assert all(was_held for was_held, _kind in writes)
