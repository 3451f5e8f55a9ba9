"""Serve the site with granian (WSGI) and run the job worker beside it; Ctrl-C stops both."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser


def web_command(
    host: str, port: int, workers: int, threads: int, static_root: Path | None = None
) -> list[str]:
    """granian serving the site in WSGI mode, as `serve` runs it (the tests run it too)."""
    return [
        os.path.join(os.path.dirname(sys.executable), "granian"),
        "--interface",
        "wsgi",
        "--host",
        host,
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--static-path-route",
        settings.STATIC_URL.rstrip("/"),
        "--static-path-mount",
        str(static_root or settings.STATIC_ROOT),
        "--blocking-threads",
        str(threads),
        "--log-level",
        "warning",
        "undersigned.wsgi:application",
    ]


class Command(BaseCommand):
    help = "Run granian in WSGI mode and the job worker together until interrupted."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
        parser.add_argument("--workers", type=int, default=int(os.environ.get("WEB_WORKERS", "2")))
        parser.add_argument(
            "--threads",
            type=int,
            default=int(os.environ.get("WEB_THREADS", "16")),
            help="Python threads per worker process.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        # granian serves /static/ from STATIC_ROOT itself: have it up to date first.
        call_command("collectstatic", interactive=False, verbosity=0)
        web = web_command(options["host"], options["port"], options["workers"], options["threads"])
        worker = [sys.executable, "manage.py", "worker"]

        def stop(signum: int, frame: object) -> None:
            raise KeyboardInterrupt

        # Set explicitly: a shell that starts us in the background leaves SIGINT ignored.
        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        # Each child gets its own session, so Ctrl-C reaches only this process, which then
        # stops each child exactly once: granian, signalled twice (by the terminal and by us),
        # exits without waiting for its worker processes and leaves them running.
        # Both commands are built here from our own executables, not from input.
        procs = [
            subprocess.Popen(web, start_new_session=True),  # noqa: S603
            subprocess.Popen(worker, start_new_session=True),  # noqa: S603
        ]
        self.stdout.write(f"Serving on http://{options['host']}:{options['port']}/ (Ctrl-C stops)")
        try:
            while all(proc.poll() is None for proc in procs):
                time.sleep(0.5)
        except KeyboardInterrupt:
            pass
        finally:
            for proc in procs:
                if proc.poll() is None:
                    proc.send_signal(signal.SIGTERM)
            for proc in procs:
                try:
                    proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    # Its whole group: the worker's own processes with it.
                    os.killpg(proc.pid, signal.SIGKILL)
        failed = [proc.returncode for proc in procs if proc.returncode not in (0, -15, None)]
        if failed:
            raise SystemExit(1)
