"""Drain the job table for ever (or once), with retries: the only place email is sent from."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from types import FrameType
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser
from django.db import close_old_connections, connection

from undersigned.jobs.queue import drain, run_periodic
from undersigned.lib.gcfreeze import freeze_startup_objects


class Command(BaseCommand):
    help = "Run background jobs (confirmation emails first) until stopped."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="Drain due jobs, then exit.")
        parser.add_argument(
            "--interval", type=float, default=0.5, help="Seconds to sleep when idle."
        )
        parser.add_argument(
            "--processes",
            type=int,
            default=settings.WORKER_PROCESSES,
            help="Worker processes: Python renders one email at a time per process.",
        )
        parser.add_argument(
            "--threads",
            type=int,
            default=settings.WORKER_THREADS,
            help="Jobs run side by side, each thread with its own SMTP connection.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        # During a surge, taking signatures comes first; the emails catch up when it calms.
        os.nice(settings.WORKER_NICENESS)
        if options["once"]:
            run_periodic({}, time.monotonic())
            self.stdout.write(f"{drain()} job(s) done")
            return
        stopping = threading.Event()

        def stop(signum: int, frame: FrameType | None) -> None:
            stopping.set()

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        # A full collection pass in the worker can fall while it holds SQLite's write lock.
        freeze_startup_objects()
        others = [
            subprocess.Popen(  # noqa: S603 - this very command, with arguments of ours
                [
                    sys.executable,
                    sys.argv[0],
                    "worker",
                    "--processes=1",
                    f"--threads={options['threads']}",
                    f"--interval={options['interval']}",
                ]
            )
            for _ in range(options["processes"] - 1)
        ]

        def work() -> None:
            # While one thread waits on the SMTP server, another renders the next email.
            try:
                while not stopping.is_set():
                    if not drain(stop=stopping.is_set):
                        stopping.wait(options["interval"])
                    # Drop a connection the database closed or that outlived CONN_MAX_AGE.
                    close_old_connections()
            finally:
                connection.close()

        threads = [threading.Thread(target=work) for _ in range(max(1, options["threads"]))]
        for thread in threads:
            thread.start()
        last_run: dict[Callable[[], object], float] = {}
        while not stopping.is_set():
            run_periodic(last_run, time.monotonic())
            stopping.wait(1.0)
        for other in others:
            other.send_signal(signal.SIGTERM)
        for thread in threads:
            thread.join()
        for other in others:
            other.wait()
        connection.close()
