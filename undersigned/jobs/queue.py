"""Enqueue and run jobs. Handlers take primary keys and are safe to run twice."""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, ExitStack, contextmanager
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from undersigned.jobs.models import Job
from undersigned.lib import fastinsert
from undersigned.lib.groupcommit import write_lock

log = logging.getLogger(__name__)

Handler = Callable[[dict[str, Any]], None]
_HANDLERS: dict[str, Handler] = {}

# Jobs a worker claims at once. Its lease must outlast sending all of them, each allowed
# EMAIL_TIMEOUT, or another worker would take the rest and send them twice.
BATCH = 10


def _lease(batch: int) -> dt.timedelta:
    """How long claimed jobs stay claimed; a worker killed mid-batch frees them after this."""
    return dt.timedelta(seconds=batch * (settings.EMAIL_TIMEOUT + 10))


@contextmanager
def _bookkeeping() -> Iterator[None]:
    """A transaction of the queue's own bookkeeping (leasing jobs, deleting sent ones), under
    the signers' write lock, that commits without waiting for the disk.

    Losing one to a power cut or a crash of the machine (not of the process: the database's
    log has it by then) costs at most a batch of emails sent twice, as a worker killed
    between a send and the deletion of its job costs anyway; the next durable commit of
    anyone's makes it durable too. Waiting for the disk would hold the signers' write lock
    all that time, and the worker commits many of these during a surge of signatures.
    """
    with write_lock():
        relax = not connection.in_atomic_block
        if relax and connection.vendor == "sqlite":
            # Only between transactions: SQLite refuses to change it inside one. Set back to
            # what the connection had (settings.py asks for FULL), not to a second copy of it.
            with connection.cursor() as cursor:
                cursor.execute("PRAGMA synchronous")
                level = int(cursor.fetchone()[0])
                cursor.execute("PRAGMA synchronous=NORMAL")
            try:
                with transaction.atomic():
                    yield
            finally:
                with connection.cursor() as cursor:
                    cursor.execute(f"PRAGMA synchronous={level}")
            return
        with transaction.atomic():
            if relax and connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    cursor.execute("SET LOCAL synchronous_commit TO OFF")
            yield


def handler(kind: str) -> Callable[[Handler], Handler]:
    """Register a function as the handler of jobs of `kind`."""

    def register(func: Handler) -> Handler:
        _HANDLERS[kind] = func
        return func

    return register


_PERIODIC: list[tuple[float, Callable[[], object]]] = []
_IDLE: list[Callable[[], int]] = []
_BEFORE_BATCH: list[Callable[[list[Job]], None]] = []
_RUN_SCOPES: list[Callable[[], AbstractContextManager[object]]] = []


def run_scope(
    factory: Callable[[], AbstractContextManager[object]],
) -> Callable[[], AbstractContextManager[object]]:
    """Register a context that a drain runs in (the outbox's SMTP connections, say): entered
    when draining starts, left once nothing is due or draining stops."""
    _RUN_SCOPES.append(factory)
    return factory


def before_batch(func: Callable[[list[Job]], None]) -> Callable[[list[Job]], None]:
    """Register a function given each claimed batch before its jobs run, to read what they
    need in one query instead of one each. The jobs must not depend on it: one that fails is
    logged, and the jobs run as they would have without it."""
    _BEFORE_BATCH.append(func)
    return func


def idle_work(func: Callable[[], int]) -> Callable[[], int]:
    """Register work done when no job is due (the emails of an update, after every
    confirmation email): it returns how much it did, 0 when there was nothing to do."""
    _IDLE.append(func)
    return func


def every(seconds: float) -> Callable[[Callable[[], object]], Callable[[], object]]:
    """Register housekeeping the worker runs at start and then every `seconds`."""

    def register(func: Callable[[], object]) -> Callable[[], object]:
        _PERIODIC.append((seconds, func))
        return func

    return register


def run_periodic(last_run: dict[Callable[[], object], float], now: float) -> None:
    """Run each registered housekeeping function that is due; `last_run` keeps their times."""
    for interval, func in _PERIODIC:
        if now - last_run.get(func, -interval) >= interval:
            try:
                func()
            except Exception:  # noqa: BLE001 - housekeeping must not stop the sending of email
                log.exception("periodic %s failed", func.__name__)
            last_run[func] = now


def enqueue(kind: str, payload: dict[str, Any], *, priority: int = 0) -> Job:
    """Write a job row. Call inside the transaction that writes the data it belongs to."""
    return Job.objects.create(kind=kind, payload=payload, priority=priority)


def enqueue_many(
    kind: str,
    payloads: Sequence[dict[str, Any]],
    *,
    priority: int = 0,
    after: Sequence[dt.datetime | None] = (),
) -> None:
    """Write a job row for each payload in one statement (the signers' batches), each to run
    now or, where `after` (one per payload) gives a time, once it has passed."""
    now = timezone.now()
    times = after or [None] * len(payloads)
    rows = [
        {
            "kind": kind,
            "payload": payload,
            "priority": priority,
            "run_after": when or now,
            "created_at": now,
        }
        for payload, when in zip(payloads, times, strict=True)
    ]
    fastinsert.insert(Job, rows)


def _claim(batch: int, settled: list[int] | None = None) -> list[Job]:
    """Lease up to `batch` due jobs to this worker, in one statement: an UPDATE of the first
    due ones that returns what running them needs.

    Workers never get the same job: on SQLite the statement runs under the write lock, on
    PostgreSQL the rows it picks are locked and those another worker holds are skipped.

    The worker's writes take the same write lock as the signers' group commits: on SQLite a
    signers' commit that ran into one of them would sleep in SQLite's busy handler (1, 2, 5,
    10… ms), and every signer in its batch with it. Nothing but the statement runs under the
    lock (the Job objects are built after it): the worker runs niced, and while it holds the
    lock the signers wait for it to get a CPU back.

    The jobs of the previous batch that are `settled` (sent) are deleted in the same
    transaction: one bookkeeping transaction a batch instead of two.
    """
    table = connection.ops.quote_name(Job._meta.db_table)
    free = "failed_at IS NULL AND run_after <= %s AND (locked_until IS NULL OR locked_until <= %s)"
    skip = " FOR UPDATE SKIP LOCKED" if connection.vendor == "postgresql" else ""
    # Picked once, in a materialized CTE: PostgreSQL may run a `WHERE id IN (SELECT … LIMIT
    # n)` subquery more than once in an UPDATE and lease more than n jobs (seen: 13 of 10).
    # The UPDATE repeats none of the conditions: SQLite would then find the rows through the
    # failed_at index, reading the whole queue under the write lock, instead of by id.
    sql = (
        f"WITH picked AS MATERIALIZED (SELECT id FROM {table} WHERE {free} "  # noqa: S608 - names from the model
        f"ORDER BY priority, run_after, id LIMIT %s{skip}) "
        f"UPDATE {table} SET locked_until = %s WHERE id IN (SELECT id FROM picked) "
        "RETURNING priority, run_after, id, kind, payload, attempts"
    )
    now = timezone.now()
    leased_until = now + _lease(batch)
    adapt = connection.ops.adapt_datetimefield_value
    until, at = adapt(leased_until), adapt(now)
    with connection.cursor() as cursor:
        # A plain read first: a look that finds nothing due takes no write lock.
        cursor.execute(f"SELECT 1 FROM {table} WHERE {free} LIMIT 1", [at, at])  # noqa: S608
        if cursor.fetchone() is None:
            _delete(settled)
            return []
        with _bookkeeping():
            if settled:
                cursor.execute(*_deletion(settled))
            cursor.execute(sql, [at, at, batch, until])
            rows = cursor.fetchall()
    # What running and rescheduling a job reads; both databases hand JSON over as text here
    # (Django's PostgreSQL backend asks psycopg for it so). Made as Model.from_db does, with
    # the other fields deferred: Job(**fields) would compute their defaults (two clock reads
    # among them).
    return [
        Job.from_db(
            connection.alias,
            _CLAIMED,
            [
                pk,
                kind,
                json.loads(payload) if isinstance(payload, str | bytes) else payload,
                priority,
                attempts,
                leased_until,
            ],
        )
        for priority, _run_after, pk, kind, payload, attempts in sorted(rows)
    ]


# The fields of a claimed Job, in the model's order.
_CLAIMED = ["id", "kind", "payload", "priority", "attempts", "locked_until"]


def _deletion(ids: list[int]) -> tuple[str, list[int]]:
    """The statement that deletes these sent jobs. Plain SQL: nothing refers to a job, and
    QuerySet.delete's collector and query building would cost the worker more than the
    deletion itself on this hot path."""
    table = connection.ops.quote_name(Job._meta.db_table)
    return f"DELETE FROM {table} WHERE id IN ({', '.join(['%s'] * len(ids))})", ids  # noqa: S608


def _delete(ids: list[int] | None) -> None:
    if not ids:
        return
    with _bookkeeping(), connection.cursor() as cursor:
        cursor.execute(*_deletion(ids))


def _backoff(attempts: int) -> dt.timedelta:
    return dt.timedelta(seconds=min(3600, 5 * 2 ** (attempts - 1)))


def describe(exc: BaseException) -> str:
    """What is kept of a failure: its class and any SMTP code, never its text (which may hold
    an address)."""
    code = getattr(exc, "smtp_code", None)
    return f"{type(exc).__name__}{f' {code}' if code else ''}"[:200]


def run_job(job: Job, *, delete: bool = True) -> bool:
    """Run one claimed job; delete it on success (unless told not to: the caller deletes a batch
    at once), reschedule or fail it otherwise.
    """
    func = _HANDLERS.get(job.kind)
    try:
        if func is None:
            raise LookupError(f"no handler for {job.kind}")
        func(job.payload)
    except Exception as exc:  # noqa: BLE001 - any failure is recorded and retried
        _reschedule(job, exc)
        return False
    if delete:
        Job.objects.filter(pk=job.pk).delete()
    return True


# What a failure says about trying again.
PERMANENT = "permanent"  # trying again cannot mend it: give up now
UNAVAILABLE = "unavailable"  # a service is down, nothing is wrong with the job: keep trying
_CLASSIFIERS: list[Callable[[BaseException], str | None]] = []
# Tries while a service is unavailable: backoff doubling from 5 s up to an hour, about a day in
# all, so that a signer's confirmation email outlives a mail server's maintenance.
UNAVAILABLE_ATTEMPTS = 32


def classify_failures(func: Callable[[BaseException], str | None]) -> None:
    """Register a function that says whether a failure is PERMANENT or UNAVAILABLE (None: it
    does not know): the outbox knows which SMTP replies are final."""
    _CLASSIFIERS.append(func)


def next_try(attempts: int, exc: BaseException) -> dt.datetime | None:
    """When to try again after `attempts` failed tries, the last with `exc`; None to give up.
    The one retry policy of every job and every email."""
    verdict = PERMANENT if isinstance(exc, LookupError) else None
    for classify in _CLASSIFIERS:
        verdict = verdict or classify(exc)
    limit = settings.JOB_MAX_ATTEMPTS
    if verdict == UNAVAILABLE:
        limit = max(limit, UNAVAILABLE_ATTEMPTS)
    if verdict == PERMANENT or attempts >= limit:
        return None
    return timezone.now() + _backoff(attempts)


def _reschedule(job: Job, exc: BaseException) -> None:
    attempts = job.attempts + 1
    retry_at = next_try(attempts, exc)
    log.warning("job %s (%s) failed, attempt %s: %s", job.pk, job.kind, attempts, describe(exc))
    Job.objects.filter(pk=job.pk).update(
        attempts=attempts,
        last_error=describe(exc),
        locked_until=None,
        run_after=retry_at or timezone.now(),
        failed_at=timezone.now() if retry_at is None else None,
        # A job that will never run again must not keep a link token.
        payload={k: v for k, v in job.payload.items() if k != "token"}
        if retry_at is None
        else job.payload,
    )


def drain(
    *,
    batch: int = BATCH,
    max_jobs: int | None = None,
    stop: Callable[[], bool] = lambda: False,
) -> int:
    """Run due jobs until none is left, `max_jobs` ran or `stop()` says so (it is asked between
    batches, so a worker told to stop does within one batch); return how many succeeded.
    """
    done = 0
    ran = 0
    # Sent jobs not deleted yet: deleted with the next claim, or when draining stops.
    settled: list[int] = []
    with ExitStack() as scopes:
        for factory in _RUN_SCOPES:
            scopes.enter_context(factory())
        try:
            while (max_jobs is None or ran < max_jobs) and not stop():
                jobs = _claim(batch, settled)
                # Deleted, in the claim's transaction or, with nothing due, on its own.
                settled = []
                if not jobs:
                    idle = 0
                    for func in _IDLE:
                        try:
                            idle += func()
                        except Exception:  # noqa: BLE001 - logged; the jobs must go on
                            log.exception("%s failed", func.__name__)
                    if not idle:
                        break
                    done += idle
                    continue
                for prepare in _BEFORE_BATCH:
                    try:
                        prepare(jobs)
                    except Exception:  # noqa: BLE001 - logged; the jobs do without it
                        log.exception("%s failed", prepare.__name__)
                for job in jobs:
                    if run_job(job, delete=False):
                        settled.append(job.pk)
                    ran += 1
                # A worker killed before they are deleted sends these emails again after
                # its lease runs out: at most a batch of them.
                done += len(settled)
        finally:
            _delete(settled)
    return done
