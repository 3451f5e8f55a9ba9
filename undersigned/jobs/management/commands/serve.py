"""Serve the site with granian and run the job worker beside it; Ctrl-C stops both."""

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


def web_command(host: str, port: int, workers: int, static_root: Path | None = None) -> list[str]:
    """granian serving the site, as `serve` runs it (the tests run it too): through its RSGI
    interface and the bridge of undersigned.rsgi, whose threads (WEB_THREADS, read from the
    environment) run the site once a request's body is in; granian serves /static/ itself."""
    return [
        os.path.join(os.path.dirname(sys.executable), "granian"),
        "--interface",
        "rsgi",
        "--no-ws",
        "--host",
        host,
        "--port",
        str(port),
        "--workers",
        str(workers),
        # Connections each process takes at once (granian's default is 512): a slow client
        # waits on the event loop, so the site can hold thousands of them.
        "--backpressure",
        "4096",
        "--static-path-route",
        settings.STATIC_URL.rstrip("/"),
        "--static-path-mount",
        str(static_root or settings.STATIC_ROOT),
        "--log-level",
        "warning",
        "undersigned.rsgi:application",
    ]


class Command(BaseCommand):
    help = "Run granian and the job worker together until interrupted."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
        parser.add_argument("--workers", type=int, default=int(os.environ.get("WEB_WORKERS", "2")))
        parser.add_argument(
            "--threads",
            type=int,
            default=settings.WEB_THREADS,
            help="Python threads per web process (WEB_THREADS).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        # granian serves /static/ from STATIC_ROOT itself: have it up to date first.
        call_command("collectstatic", interactive=False, verbosity=0)
        web = web_command(options["host"], options["port"], options["workers"])
        web_env = {**os.environ, "WEB_THREADS": str(options["threads"])}
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
            subprocess.Popen(web, env=web_env, start_new_session=True),  # noqa: S603
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
