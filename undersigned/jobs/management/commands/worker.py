"""Drain the job table for ever (or once), with retries: the only place email is sent from."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable
from types import FrameType
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser
from django.db import close_old_connections

from undersigned.jobs.queue import drain, run_periodic


class Command(BaseCommand):
    help = "Run background jobs (confirmation emails first) until stopped."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="Drain due jobs, then exit.")
        parser.add_argument(
            "--interval", type=float, default=0.5, help="Seconds to sleep when idle."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        # During a surge, taking signatures comes first; the emails catch up when it calms.
        os.nice(settings.WORKER_NICENESS)
        stopping = False

        def stop(signum: int, frame: FrameType | None) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        last_run: dict[Callable[[], object], float] = {}
        while not stopping:
            run_periodic(last_run, time.monotonic())
            done = drain()
            if options["once"]:
                self.stdout.write(f"{done} job(s) done")
                return
            if not done:
                time.sleep(options["interval"])
            # Drop a connection the database closed or that outlived CONN_MAX_AGE.
            close_old_connections()
