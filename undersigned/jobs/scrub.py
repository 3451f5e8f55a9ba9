"""After an erasure, the erased bytes leave the database's files, as far as the database can
make them: a deleted row is gone from every query at once, but its bytes stay on disk until
the database overwrites them.

- On SQLite (with `secure_delete`, which settings.py turns on) the main file's copy is
  overwritten with zeros at the next checkpoint, and the write-ahead log keeps every page as
  it was written until it is truncated. The worker checkpoints and truncates it.
- On PostgreSQL the worker vacuums the tables that hold personal data: the deleted rows'
  space becomes free for new rows, and no query, nor a tool that reads dead rows, finds them
  any more. Their bytes stay in the files until new rows overwrite them, and in the
  write-ahead log until its segments are reused (docs/security.md).

A transaction that deletes personal data calls `after_erasure()`. One job does the work
`DELAY` seconds after the first erasure it covers, for every erasure committed until it
starts: a burst of withdrawals costs one checkpoint or vacuum.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import connection, models
from django.utils import timezone

from undersigned.jobs.models import Job
from undersigned.jobs.queue import handler
from undersigned.lib.groupcommit import write_lock

KIND = "jobs.scrub"
# Before every email: the bytes go soon even while the worker is behind with its emails. No
# other job has it, so the queue's index finds the waiting one.
PRIORITY = -1
# Seconds from the first erasure to the scrub that covers it. SQLite's checkpoint is short
# (it copies at most the log, under the signers' write lock); a vacuum reads each table's
# indexes whole.
DELAY = {"sqlite": 5.0, "postgresql": 60.0}
# How long the checkpoint waits for readers of older pages before it is tried again later:
# it holds the signers' write lock meanwhile.
CHECKPOINT_WAIT_MS = 200

_TABLES: list[type[models.Model]] = [Job]  # a queued email's payload holds a link token


def holds_personal_data(*tables: type[models.Model]) -> None:
    """Register models whose rows erasure deletes or overwrites: vacuumed on PostgreSQL."""
    _TABLES.extend(table for table in tables if table not in _TABLES)


def after_erasure() -> None:
    """Call in the transaction that deletes personal data: a scrub follows once it commits.
    Adds no job while one is waiting; on PostgreSQL it holds the waiting one until this
    transaction ends, so that no worker starts it before these rows are deleted."""
    waiting = Job.objects.filter(
        failed_at__isnull=True, priority=PRIORITY, kind=KIND, locked_until__isnull=True
    )
    if waiting.select_for_update().exists():
        return
    delay = dt.timedelta(seconds=DELAY.get(connection.vendor, DELAY["postgresql"]))
    Job.objects.create(kind=KIND, priority=PRIORITY, run_after=timezone.now() + delay)


class CheckpointBusy(Exception):
    """Readers of older pages held up the checkpoint: tried again later."""


@handler(KIND)
def scrub(payload: dict[str, Any]) -> None:
    if connection.in_atomic_block:
        # Nothing a checkpoint or a vacuum could do from inside a transaction (a test's).
        return
    if connection.vendor == "sqlite":
        _checkpoint()
    elif connection.vendor == "postgresql":
        _vacuum()


def _checkpoint() -> None:
    """Copy the log into the database file and truncate it to nothing."""
    with write_lock(), connection.cursor() as cursor:
        cursor.execute("PRAGMA busy_timeout")
        waits = int(cursor.fetchone()[0])
        cursor.execute(f"PRAGMA busy_timeout={CHECKPOINT_WAIT_MS}")
        try:
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            busy, _pages, _copied = cursor.fetchone()
        finally:
            cursor.execute(f"PRAGMA busy_timeout={waits}")
    if busy:
        raise CheckpointBusy


def _vacuum() -> None:
    """VACUUM each registered table, its indexes included (PostgreSQL may skip them when few
    rows died), at the pace autovacuum keeps so that requests do not wait on the disk."""
    with connection.cursor() as cursor:
        cursor.execute("SET vacuum_cost_delay = 2")
        try:
            for table in _TABLES:
                name = connection.ops.quote_name(table._meta.db_table)
                cursor.execute(f"VACUUM (INDEX_CLEANUP ON) {name}")
        finally:
            cursor.execute("RESET vacuum_cost_delay")
