"""Group commit: concurrent requests share one database transaction, and so one fsync.

Under a surge many threads sign at once. Each committing on its own makes them queue on the
database's write lock, and SQLite's busy handler puts waiters to sleep for 1, 2, 5, 10… ms,
so the CPU idles while latency grows. Here the first thread to arrive becomes the leader: it
takes every request queued so far, writes them in one transaction, wakes their threads, and
hands the lead to the next waiting thread, if any. Nobody returns before the transaction that
holds their write has committed, so an acknowledged signature is a stored one.

Between processes, an exclusive lock on a file (SQLite only) makes the leaders take turns
without the busy handler's sleeps.
"""

from __future__ import annotations

import fcntl
import os
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Generic, TypeVar

from django.conf import settings
from django.db import connection

T = TypeVar("T")

# The most requests written in one transaction.
MAX_BATCH = 256


class _Waiter(Generic[T]):
    __slots__ = ("error", "event", "item", "lead")

    def __init__(self, item: T) -> None:
        self.item = item
        self.event = threading.Event()
        self.lead = False
        self.error: BaseException | None = None


class GroupCommit(Generic[T]):
    def __init__(
        self,
        write: Callable[[Sequence[T]], None],
        *,
        row_errors: tuple[type[Exception], ...] = (),
    ) -> None:
        """`write` stores a batch of items in one transaction, or raises and stores none.

        When it raises one of `row_errors` (a constraint one row broke), each item is written
        again alone, so that one bad request does not fail the others; any other error (the
        database unreachable or locked) fails the whole batch at once.
        """
        self._write = write
        self._row_errors = row_errors
        self._lock = threading.Lock()
        self._queue: list[_Waiter[T]] = []
        self._busy = False

    def run(self, item: T) -> None:
        """Store `item` with whatever else is waiting; return once it has committed."""
        waiter = _Waiter(item)
        with self._lock:
            self._queue.append(waiter)
            lead = not self._busy
            self._busy = True
        if not lead:
            waiter.event.wait()
        if waiter.lead or lead:
            self._lead()
        if waiter.error is not None:
            raise waiter.error

    def _lead(self) -> None:
        batch: list[_Waiter[T]] = []
        try:
            # The batch is taken once the write lock is held: what queued while another
            # process held it is written in this transaction too, not in one more.
            with write_lock():
                batch = self._take()
                self._commit(batch)
        except BaseException as error:
            # The write lock could not be taken or let go, or the leader was interrupted:
            # whatever happened to the writes, nobody may be told theirs was stored.
            batch = batch or self._take()
            for waiter in batch:
                waiter.error = waiter.error or error
            if not isinstance(error, Exception):
                raise
        finally:
            with self._lock:
                if self._queue:
                    following = self._queue[0]
                    following.lead = True
                    following.event.set()
                else:
                    self._busy = False
            for waiter in batch:
                waiter.event.set()

    def _take(self) -> list[_Waiter[T]]:
        with self._lock:
            batch, self._queue = self._queue[:MAX_BATCH], self._queue[MAX_BATCH:]
        return batch

    def _commit(self, batch: list[_Waiter[T]]) -> None:
        """Write `batch` under the write lock the caller holds."""
        try:
            self._write([waiter.item for waiter in batch])
        except self._row_errors:
            if len(batch) == 1:
                raise
            for waiter in batch:
                try:
                    self._commit([waiter])
                except BaseException as error:  # noqa: BLE001 - handed to its request
                    waiter.error = error
        except BaseException as error:
            # Whatever it was, nobody in the batch may be told their item was stored.
            for waiter in batch:
                waiter.error = error
            if not isinstance(error, Exception):
                raise
        finally:
            for waiter in batch:
                waiter.lead = False


_file_lock = threading.Lock()


@contextmanager
def write_lock() -> Iterator[None]:
    """Hold while writing to SQLite on a busy path. Writers then queue on a file lock, which
    wakes the next one the moment it is released, instead of in SQLite's busy handler, which
    sleeps 1, 2, 5, 10… ms between tries: a writer that slept through the release holds up
    every request waiting behind it. No-op on PostgreSQL, which has row locks.
    """
    if connection.vendor != "sqlite":
        yield
        return
    path = Path(settings.DATA_DIR) / "write.lock"
    with _file_lock:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)
