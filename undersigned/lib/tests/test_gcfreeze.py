"""The long-running processes hide their start-up objects from the garbage collector's full
passes (see undersigned.lib.gcfreeze)."""

from __future__ import annotations

import gc
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from django.core.management import call_command

from undersigned.jobs.management.commands import worker
from undersigned.lib.gcfreeze import freeze_startup_objects

ROOT = Path(__file__).resolve().parents[3]


def test_freezing_hides_what_exists_and_collects_start_up_garbage_first() -> None:
    class Node:
        def __init__(self) -> None:
            self.me = self  # a cycle: only the collector frees it

    before = gc.get_freeze_count()
    gc.disable()  # no automatic pass may free the cycle in this test's stead
    try:
        Node()  # garbage already, waiting for a collection
        try:
            freeze_startup_objects()
            assert gc.get_freeze_count() > before
        finally:
            gc.unfreeze()  # frozen objects come back into sight
        assert not any(type(obj) is Node for obj in gc.get_objects())
    finally:
        gc.enable()


@pytest.mark.parametrize("entry", ["undersigned.wsgi", "undersigned.rsgi"])
def test_the_web_application_freezes_what_it_loaded(entry: str) -> None:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "undersigned.settings"}
    out = subprocess.run(  # noqa: S603 - this interpreter, a fixed script
        [sys.executable, "-c", f"import gc, {entry}; print(gc.get_freeze_count())"],
        env=env,
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    # Django and the project's modules, models and URL patterns: tens of thousands of objects.
    assert int(out) > 10_000


class _Frozen(Exception):
    pass


def test_the_worker_freezes_before_it_starts_working(monkeypatch: pytest.MonkeyPatch) -> None:
    def frozen() -> None:
        raise _Frozen

    # The test's own process keeps its signal handlers and its collector as they were.
    monkeypatch.setattr(signal, "signal", lambda *args: None)
    monkeypatch.setattr(os, "nice", lambda increment: 0)
    monkeypatch.setattr(worker, "freeze_startup_objects", frozen)

    def start(thread: threading.Thread) -> None:
        raise AssertionError("a thread started before the freeze")

    monkeypatch.setattr(threading.Thread, "start", start)
    with pytest.raises(_Frozen):
        call_command("worker", "--processes=1")


@pytest.mark.django_db
def test_the_worker_run_once_does_not_freeze(monkeypatch: pytest.MonkeyPatch) -> None:
    # `--once` runs inside other processes (tests, cron): what they hold is theirs to keep.
    monkeypatch.setattr(worker, "freeze_startup_objects", lambda: pytest.fail("froze"))
    monkeypatch.setattr(os, "nice", lambda increment: 0)
    call_command("worker", "--once")
