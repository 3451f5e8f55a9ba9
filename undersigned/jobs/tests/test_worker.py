from __future__ import annotations

import contextlib
import datetime as dt
import smtplib
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.test import Client
from django.utils import timezone
from pytest_django.fixtures import Settings as SettingsWrapper

from undersigned.conftest import SmtpSink, sign_data, text_body
from undersigned.jobs import queue
from undersigned.jobs.models import Job
from undersigned.statements import actions
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


def test_batches_due_one_after_another_share_one_connection_closed_once_none_is_due(
    client: Client, statement: Statement, smtp_server: SmtpSink, settings: SettingsWrapper
) -> None:
    # One client sends them all: within its limits, or the last would be held and sent nothing.
    settings.SIGN_RATE_LIMITS = settings.CLIENT_EMAIL_LIMITS = "100/60"
    for n in range(queue.BATCH * 2 + 5):
        client.post("/s/free-them/es/sign/", sign_data(email=f"person{n}@example.net"))
    assert queue.drain() == queue.BATCH * 2 + 5
    assert len(smtp_server.messages) == queue.BATCH * 2 + 5
    assert len(set(smtp_server.peers)) == 1
    # Not left open while the worker sleeps.
    assert smtp_server.quits == smtp_server.peers[:1]


def test_a_connection_is_closed_after_so_many_emails_and_another_opened(
    client: Client, statement: Statement, smtp_server: SmtpSink, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("undersigned.mailings.smtp.MESSAGES_PER_CONNECTION", 4)
    for n in range(10):
        client.post("/s/free-them/es/sign/", sign_data(email=f"person{n}@example.net"))
    assert queue.drain() == 10
    peers = smtp_server.peers
    assert [peers.count(peer) for peer in dict.fromkeys(peers)] == [4, 4, 2]
    assert sorted(smtp_server.quits) == sorted(set(peers))


def test_a_connection_the_server_closes_is_replaced_and_its_email_tried_again_later(
    client: Client, statement: Statement, smtp_server: SmtpSink
) -> None:
    for name in ("ana", "bea", "cruz"):
        client.post("/s/free-them/es/sign/", sign_data(email=f"{name}@example.net"))
    smtp_server.closing_for = {"bea@example.net"}
    assert queue.drain() == 2
    assert [envelope.rcpt_tos for envelope in smtp_server.envelopes] == [
        ["ana@example.net"],
        ["cruz@example.net"],
    ]
    assert len(set(smtp_server.peers)) == 2
    job = Job.objects.get()
    assert job.payload["signature"] == Signature.objects.get(email="bea@example.net").pk
    assert (job.attempts, job.last_error) == (1, "SMTPDataError 421")


def test_a_failed_send_is_retried_later_without_the_message_text(
    client: Client, statement: Statement, monkeypatch: pytest.MonkeyPatch
) -> None:
    client.post("/s/free-them/es/sign/", sign_data())

    def refuse(*args: Any, **kwargs: Any) -> None:
        raise smtplib.SMTPServerDisconnected("ana@example.net went away")

    monkeypatch.setattr("undersigned.mailings.outbox.send", refuse)
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

    monkeypatch.setattr("undersigned.mailings.outbox.send", refuse)
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
        "undersigned.mailings.outbox.send",
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
        "undersigned.mailings.outbox.send",
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
    assert queue._backoff(queue.UNAVAILABLE_ATTEMPTS) == dt.timedelta(hours=1)
    Job.objects.update(attempts=queue.UNAVAILABLE_ATTEMPTS - 1, run_after=timezone.now())
    queue.drain()
    assert Job.objects.get().failed_at is not None


def test_a_claim_leases_the_first_due_jobs_and_no_more_than_its_batch(db: None) -> None:
    now = timezone.now()
    first = [queue.enqueue("x.test", {"n": n}) for n in range(4)]
    urgent = queue.enqueue("x.test", {"n": "urgent"}, priority=-1)
    Job.objects.create(kind="x.test", payload={"n": "later"}, run_after=now + dt.timedelta(hours=1))
    Job.objects.create(kind="x.test", payload={"n": "failed"}, failed_at=now)
    claimed = queue._claim(3)
    assert [job.pk for job in claimed] == [urgent.pk, first[0].pk, first[1].pk]
    assert claimed[1].payload == {"n": 0} and claimed[1].kind == "x.test"
    assert all(job.locked_until is not None and job.locked_until > now for job in claimed)
    assert [job.pk for job in queue._claim(10)] == [first[2].pk, first[3].pk]
    assert queue._claim(10) == []


@pytest.mark.django_db(transaction=True)
def test_on_postgresql_a_claim_skips_jobs_another_worker_holds_instead_of_waiting() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("SQLite's workers take turns under the write lock")
    jobs = [queue.enqueue("x.test", {"n": n}) for n in range(3)]
    held, release = threading.Event(), threading.Event()

    def other_worker() -> None:
        try:
            with transaction.atomic():
                list(Job.objects.select_for_update().filter(pk=jobs[0].pk))
                held.set()
                release.wait(10)
        finally:
            connection.close()

    thread = threading.Thread(target=other_worker)
    thread.start()
    try:
        assert held.wait(10)
        claimed = queue._claim(10)
    finally:
        release.set()
        thread.join()
    assert [job.pk for job in claimed] == [jobs[1].pk, jobs[2].pk]


@pytest.mark.django_db(transaction=True)
def test_only_the_leases_and_deletions_commit_without_waiting_for_the_disk(
    statement: Statement, smtp_server: SmtpSink
) -> None:
    # Losing one of these to a power cut sends a batch of emails twice at worst; everything
    # else the worker writes (a failed send, an update's deliveries) stays fully durable.
    for n in range(3):
        actions.sign(statement, "es", {"name": "Ana", "email": f"p{n}@example.net"})
    Job.objects.create(kind="nothing.here", payload={})
    relaxed = "SET LOCAL SYNCHRONOUS_COMMIT TO OFF"
    if connection.vendor == "sqlite":
        relaxed = "PRAGMA SYNCHRONOUS=NORMAL"
    statements: list[str] = []

    def record(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        statements.append(sql.upper())
        return execute(sql, params, many, context)

    with connection.execute_wrapper(record):
        assert queue.drain() == 3
    writes = [n for n, sql in enumerate(statements) if sql.startswith(("WITH", "UPDATE", "DELETE"))]
    # The lease, the failure of the unknown kind (durable), the deletion of the 3 sent.
    assert [statements[n].split()[0] for n in writes] == ["WITH", "UPDATE", "DELETE"]
    lease, failure, deletion = writes
    # What ran since the write before each: the relaxing statement, or not.
    assert relaxed in statements[:lease]
    assert relaxed not in statements[lease + 1 : failure]
    assert relaxed in statements[failure + 1 : deletion]
    if connection.vendor == "sqlite":
        full = "PRAGMA SYNCHRONOUS=2"  # FULL, as the connection had it
        assert full in statements[lease + 1 : failure] and full in statements[deletion + 1 :]
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA synchronous")
            assert cursor.fetchone()[0] == 2  # FULL, for whatever the worker writes next


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
        # The claim is a WITH … UPDATE: a write is any statement with one of these words.
        kinds = {"UPDATE", "DELETE", "INSERT"}.intersection(sql.upper().split())
        if kinds:
            writes.append((held, kinds.pop()))
        return execute(sql, params, many, context)

    monkeypatch.setattr(queue, "write_lock", watched_lock)
    with connection.execute_wrapper(record):
        assert queue.drain() == 3
    assert {kind for _held, kind in writes} == {"UPDATE", "DELETE"}
    assert all(was_held for was_held, _kind in writes)


def test_a_claim_deletes_the_jobs_sent_before_it_in_one_transaction_a_batch(
    client: Client, statement: Statement, smtp_server: SmtpSink, monkeypatch: pytest.MonkeyPatch
) -> None:
    for n in range(queue.BATCH * 2 + 5):
        client.post("/s/free-them/es/sign/", sign_data(email=f"p{n}@example.net"))
    transactions = 0
    real = queue._bookkeeping

    @contextlib.contextmanager
    def counted() -> Iterator[None]:
        nonlocal transactions
        transactions += 1
        with real():
            yield

    monkeypatch.setattr(queue, "_bookkeeping", counted)
    assert queue.drain() == queue.BATCH * 2 + 5
    assert Job.objects.count() == 0
    # Three leases, the second and third with the deletion of the batch before; the last
    # batch's deletion on its own, as nothing was left to lease.
    assert transactions == 4


def test_a_claim_with_nothing_due_still_deletes_what_was_sent(db: None) -> None:
    sent = [queue.enqueue("x.test", {"n": n}).pk for n in range(2)]
    later = Job.objects.create(
        kind="x.test", payload={}, run_after=timezone.now() + dt.timedelta(hours=1)
    )
    assert queue._claim(10, sent) == []
    assert list(Job.objects.values_list("pk", flat=True)) == [later.pk]


def test_a_claim_deletes_what_was_sent_and_leases_the_next(db: None) -> None:
    jobs = [queue.enqueue("x.test", {"n": n}) for n in range(4)]
    first = queue._claim(2)
    assert [job.pk for job in queue._claim(10, [job.pk for job in first])] == [
        jobs[2].pk,
        jobs[3].pk,
    ]
    assert sorted(Job.objects.values_list("pk", flat=True)) == [jobs[2].pk, jobs[3].pk]


def test_sent_jobs_are_deleted_when_the_next_claim_fails(
    client: Client, statement: Statement, smtp_server: SmtpSink, monkeypatch: pytest.MonkeyPatch
) -> None:
    for n in range(queue.BATCH + 3):
        client.post("/s/free-them/es/sign/", sign_data(email=f"p{n}@example.net"))
    real = queue._claim
    claims = 0

    def failing_second(batch: int, settled: list[int] | None = None) -> list[Job]:
        nonlocal claims
        claims += 1
        if claims == 2:
            raise ConnectionError("the database went away")
        return real(batch, settled)

    monkeypatch.setattr(queue, "_claim", failing_second)
    with pytest.raises(ConnectionError):
        queue.drain()
    assert len(smtp_server.messages) == queue.BATCH
    # Not sent again once their lease passes: only the 3 never sent are left.
    assert Job.objects.count() == 3


def test_a_function_given_the_batch_that_fails_is_logged_and_the_jobs_run(
    client: Client,
    statement: Statement,
    smtp_server: SmtpSink,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    for n in range(3):
        client.post("/s/free-them/es/sign/", sign_data(email=f"p{n}@example.net"))

    def broken(jobs: list[Job]) -> None:
        raise RuntimeError("broken")

    monkeypatch.setattr(queue, "_BEFORE_BATCH", [broken, *queue._BEFORE_BATCH])
    assert queue.drain() == 3
    assert len(smtp_server.messages) == 3
    assert any(record.getMessage() == "broken failed" for record in caplog.records)


def test_a_claimed_job_holds_what_running_it_reads(db: None) -> None:
    queued = queue.enqueue("x.test", {"n": 1}, priority=2)
    Job.objects.filter(pk=queued.pk).update(attempts=3)
    # Model.from_db wants the fields in the model's order.
    order = [field.attname for field in Job._meta.concrete_fields]
    assert queue._CLAIMED == sorted(queue._CLAIMED, key=order.index)
    (job,) = queue._claim(10)
    assert (job.pk, job.kind, job.payload, job.priority, job.attempts) == (
        queued.pk,
        "x.test",
        {"n": 1},
        2,
        3,
    )
    assert job.locked_until is not None and job.locked_until > timezone.now()
