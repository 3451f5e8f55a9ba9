from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterator, Sequence

import pytest

from undersigned.lib import groupcommit
from undersigned.lib.groupcommit import GroupCommit


@pytest.fixture(autouse=True)
def _no_file_lock(monkeypatch: pytest.MonkeyPatch) -> None:
    # These tests need no database; the lock between processes is for SQLite files.
    monkeypatch.setattr(groupcommit, "write_lock", contextlib.nullcontext)


def _runner(
    commit: GroupCommit[int], outcome: dict[int, BaseException | None]
) -> Callable[[int], None]:
    """A thread's work: run one item, and record in `outcome` what came of it."""

    def one(item: int) -> None:
        try:
            commit.run(item)
            outcome[item] = None
        except BaseException as error:  # noqa: BLE001
            outcome[item] = error

    return one


def _run_all(commit: GroupCommit[int], items: list[int]) -> dict[int, BaseException | None]:
    outcome: dict[int, BaseException | None] = {}
    one = _runner(commit, outcome)
    threads = [threading.Thread(target=one, args=(item,)) for item in items]
    for n, thread in enumerate(threads):
        thread.start()
        if n == 0:
            # The first writes a batch of its own, however late its thread starts to run.
            _until(lambda: commit._busy and not commit._queue)
        time.sleep(0.001)
    for thread in threads:
        thread.join()
    return outcome


def test_requests_arriving_during_a_commit_share_the_next_one() -> None:
    batches: list[list[int]] = []

    def write(items: Sequence[int]) -> None:
        batches.append(list(items))
        time.sleep(0.05)

    outcome = _run_all(GroupCommit(write), list(range(20)))
    assert outcome == dict.fromkeys(range(20))
    assert sorted(item for batch in batches for item in batch) == list(range(20))
    assert len(batches) < 20
    assert batches[0] == [0]


def test_nobody_returns_before_their_batch_is_written() -> None:
    written: set[int] = set()
    early: list[int] = []
    commit: GroupCommit[int] = GroupCommit(lambda items: (time.sleep(0.01), written.update(items)))

    def one(item: int) -> None:
        commit.run(item)
        if item not in written:
            early.append(item)

    threads = [threading.Thread(target=one, args=(n,)) for n in range(30)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert early == []
    assert written == set(range(30))


def test_a_failing_request_does_not_fail_the_others() -> None:
    stored: list[int] = []

    def write(items: Sequence[int]) -> None:
        time.sleep(0.02)
        if 13 in items:
            raise ValueError("bad row")
        stored.extend(items)

    outcome = _run_all(GroupCommit(write, row_errors=(ValueError,)), list(range(20)))
    assert isinstance(outcome.pop(13), ValueError)
    assert set(outcome.values()) == {None}
    assert sorted(stored) == [n for n in range(20) if n != 13]


def test_a_failing_database_fails_the_whole_batch_at_once() -> None:
    calls: list[list[int]] = []

    def write(items: Sequence[int]) -> None:
        calls.append(list(items))
        time.sleep(0.02)
        raise OSError("database is locked")

    outcome = _run_all(GroupCommit(write, row_errors=(ValueError,)), list(range(12)))
    assert all(isinstance(error, OSError) for error in outcome.values())
    assert len(calls) < 12  # not retried one by one


class _Interrupted(BaseException):
    pass


def test_nobody_is_told_stored_when_the_leader_is_interrupted() -> None:
    first = threading.Event()

    def write(items: Sequence[int]) -> None:
        if not first.is_set():
            first.set()
            time.sleep(0.05)
            return
        raise _Interrupted

    outcome = _run_all(GroupCommit(write), list(range(6)))
    assert outcome[0] is None
    assert all(isinstance(outcome[n], _Interrupted) for n in range(1, 6))


def _until(condition: Callable[[], bool]) -> None:
    deadline = time.monotonic() + 10
    while not condition():
        assert time.monotonic() < deadline, "never happened"
        time.sleep(0.001)


def _joined(threads: list[threading.Thread]) -> None:
    for thread in threads:
        thread.join(10)
        assert not thread.is_alive(), "still waiting"


def _queued_behind_the_lock(
    commit: GroupCommit[int],
    threads: list[threading.Thread],
    waiting: threading.Event,
    release: threading.Event,
) -> None:
    """Start the first thread and let it wait for the write lock, queue the others behind it,
    then let the lock go and wait for them all."""
    threads[0].start()
    assert waiting.wait(10)
    for thread in threads[1:]:
        thread.start()
    try:
        _until(lambda: len(commit._queue) == len(threads))
    finally:
        release.set()
        _joined(threads)


def _held_lock(monkeypatch: pytest.MonkeyPatch) -> tuple[threading.Event, threading.Event]:
    """A write lock another process holds until `release` is set; `waiting` is set once a
    leader waits for it."""
    release, waiting = threading.Event(), threading.Event()

    @contextlib.contextmanager
    def held() -> Iterator[None]:
        waiting.set()
        assert release.wait(10)
        yield

    monkeypatch.setattr(groupcommit, "write_lock", held)
    return release, waiting


def test_what_queues_while_the_write_lock_is_awaited_joins_the_batch(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    release, waiting = _held_lock(monkeypatch)
    batches: list[list[int]] = []
    commit: GroupCommit[int] = GroupCommit(lambda items: batches.append(list(items)))
    threads = [threading.Thread(target=commit.run, args=(n,)) for n in range(3)]
    _queued_behind_the_lock(commit, threads, waiting, release)
    assert batches == [[0, 1, 2]]


def test_a_write_lock_that_cannot_be_taken_fails_everyone_waiting(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    release, waiting = _held_lock(monkeypatch)
    written: list[int] = []
    commit: GroupCommit[int] = GroupCommit(written.extend)
    outcome: dict[int, BaseException | None] = {}

    @contextlib.contextmanager
    def unusable() -> Iterator[None]:
        waiting.set()
        assert release.wait(10)
        raise PermissionError("write.lock")
        yield

    monkeypatch.setattr(groupcommit, "write_lock", unusable)
    one = _runner(commit, outcome)
    threads = [threading.Thread(target=one, args=(n,)) for n in range(3)]
    _queued_behind_the_lock(commit, threads, waiting, release)
    assert written == []
    assert all(isinstance(outcome[n], PermissionError) for n in range(3))
    # The next request leads again.
    monkeypatch.setattr(groupcommit, "write_lock", contextlib.nullcontext)
    commit.run(3)
    assert written == [3]
