"""A production site of its own for each soak test: its own DATA_DIR and database (SQLite, or
a fresh PostgreSQL database when DATABASE_URL is set), `manage.py serve` and `manage.py worker`
as processes that a test can kill -9, and an SMTP server on loopback.

The test process itself never opens the site's database through Django (its settings point
elsewhere): it reads it with the database's own driver.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import re
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from undersigned.conftest import (
    ROOT,
    SmtpSink,
    alive,
    descendants,
    free_port,
    http,
    production_env,
    text_body,
    wait_until_serving,
)

SLUG = "soak"

SEED = f"""
from django.utils import timezone
from undersigned.organisations.models import Organisation
from undersigned.statements.models import Statement, StatementVersion
organisation = Organisation.objects.create(name="Soak", slug="soak")
statement = Statement.objects.create(
    organisation=organisation, slug="{SLUG}", status="open", default_language="en"
)
StatementVersion.objects.create(
    statement=statement, language="en", title="Soak", summary="Soak.", body="<p>Soak</p>"
)
"""


@dataclass
class Process:
    """A command of ours in a session of its own, with everything it starts."""

    process: subprocess.Popen[bytes]

    def kill9(self) -> None:
        """SIGKILL to it and every process it started, in whatever process group: `serve`
        puts granian and the worker in sessions of their own."""
        family = {self.process.pid} | descendants(self.process.pid)
        groups = set()
        for pid in family:
            try:
                groups.add(os.getpgid(pid))
            except ProcessLookupError:
                pass
        for group in groups:
            try:
                os.killpg(group, signal.SIGKILL)
            except ProcessLookupError:
                pass
        for pid in family:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.process.wait()
        deadline = time.monotonic() + 30
        while any(alive(pid) for pid in family):
            assert time.monotonic() < deadline, "processes survived SIGKILL"
            time.sleep(0.05)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.kill9()


@dataclass
class Site:
    env: dict[str, str]
    database_url: str | None
    data_dir: Path
    port: int = field(default_factory=free_port)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def manage(self, *args: str) -> None:
        subprocess.run(  # noqa: S603
            [sys.executable, "manage.py", *args], env=self.env, cwd=ROOT, check=True
        )

    def start(self, command: str = "serve") -> Process:
        """`manage.py serve` (granian and the worker) or `manage.py worker`, as in production."""
        args = ["serve", "--port", str(self.port)] if command == "serve" else [command]
        process = Process(
            subprocess.Popen(  # noqa: S603
                [sys.executable, "manage.py", *args],
                env=self.env,
                cwd=ROOT,
                start_new_session=True,
                stdout=subprocess.DEVNULL,
            )
        )
        if command == "serve":
            try:
                wait_until_serving(self.url, process.process)
            except BaseException:
                process.kill9()
                raise
        return process

    def sql(self, query: str) -> list[tuple[Any, ...]]:
        """Run `query` with the database's own driver, in a transaction of its own."""
        if self.database_url:
            import psycopg

            with psycopg.connect(self.database_url) as db:
                cursor = db.execute(query)  # type: ignore[arg-type]
                return cursor.fetchall() if cursor.description else []
        with sqlite3.connect(self.data_dir / "undersigned.sqlite3", timeout=30) as db:
            return db.execute(query).fetchall()

    def job_signatures(self) -> Counter[int]:
        """Signature id -> queued emails about it."""
        payloads = self.sql("SELECT payload FROM jobs_job")
        return Counter(
            (json.loads(p) if isinstance(p, str) else p)["signature"] for (p,) in payloads
        )


def _admin_url(url: str, database: str) -> str:
    return urlsplit(url)._replace(path=f"/{database}").geturl()


@pytest.fixture
def site(tmp_path: Path, request: pytest.FixtureRequest, smtp_sink: SmtpSink) -> Iterator[Site]:
    """A migrated site with one open statement, `SLUG`, and no signature yet. On SQLite; with
    DATABASE_URL set, on PostgreSQL instead (a database of its own on that server), as
    `make test` takes it.
    """
    base_url = os.environ.get("DATABASE_URL") or None
    database_url = None
    if base_url:
        import psycopg

        base = urlsplit(base_url).path.lstrip("/")
        test = re.sub(r"[^a-z0-9]+", "_", request.node.name.lower())[:30]
        # Within PostgreSQL's 63 characters, which it would otherwise cut silently.
        database = f"{base[:20]}_{test}_{os.getpid()}"
        with psycopg.connect(_admin_url(base_url, "postgres"), autocommit=True) as db:
            db.execute(f'DROP DATABASE IF EXISTS "{database}"')  # type: ignore[arg-type]
            db.execute(f'CREATE DATABASE "{database}"')  # type: ignore[arg-type]
        database_url = _admin_url(base_url, database)
    site = Site(env={}, database_url=database_url, data_dir=tmp_path)
    site.env = production_env(
        DATA_DIR=str(tmp_path),
        SITE_URL=site.url,
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=str(smtp_sink.port),
        **({"DATABASE_URL": database_url} if database_url else {}),
    )
    try:
        site.manage("migrate", "-v0")
        site.manage("shell", "-v0", "-c", SEED)
        yield site
    finally:
        if base_url:
            import psycopg

            with psycopg.connect(_admin_url(base_url, "postgres"), autocommit=True) as db:
                db.execute(  # type: ignore[arg-type]
                    f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'
                )


@dataclass
class CountingSink(SmtpSink):
    """The SMTP sink, counting messages per recipient, and calling `on_message` on each."""

    received: Counter[str] = field(default_factory=Counter)
    bodies: dict[str, list[str]] = field(default_factory=dict)
    on_message: Callable[[int], None] = lambda total: None
    lock: threading.Lock = field(default_factory=threading.Lock)
    # While set, each message is still counted when its final dot arrives (a server that has
    # the dot delivers the message, whether or not the client reads the answer), but its
    # answer waits: the client stalls as on a slow server.
    holding: bool = False

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        answer = await super().handle_DATA(server, session, envelope)
        body = text_body(self.messages[-1])
        with self.lock:
            for recipient in envelope.rcpt_tos:
                self.received[recipient] += 1
                self.bodies.setdefault(recipient, []).append(body)
            total = sum(self.received.values())
        self.on_message(total)
        while self.holding:
            await asyncio.sleep(0.01)
        return answer

    def total(self) -> int:
        with self.lock:
            return sum(self.received.values())


@pytest.fixture
def smtp_sink() -> Iterator[CountingSink]:
    from aiosmtpd.controller import Controller

    # aiosmtpd logs every SMTP command: thousands of lines in the output `make soak` shows.
    logging.getLogger("mail.log").setLevel(logging.WARNING)
    sink = CountingSink(port=free_port())
    controller = Controller(sink, hostname="127.0.0.1", port=sink.port)
    controller.start()
    try:
        yield sink
    finally:
        controller.stop()


__all__ = ["SLUG", "CountingSink", "Process", "Site", "http"]
