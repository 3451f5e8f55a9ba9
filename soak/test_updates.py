"""An update emailed to 10,000 signers who asked for updates, by the production worker into a
real SMTP server on loopback: each gets exactly one message, in their language, also when the
worker is killed with SIGKILL halfway and started again.

The kill comes while the worker waits for the server's answers, where a sending worker spends
its time. A kill in the instant between a group's commit and the last of its final dots (a few
writes to local sockets) loses the rest of that group instead: sending is at most once
(docs/architecture.md, "Once each"). Killing as the first dot of a group arrives would aim at
that instant, and lose messages whenever the worker is descheduled mid-group."""

from __future__ import annotations

import threading
import time

import pytest

from soak.conftest import SLUG, CountingSink, Site

RECIPIENTS = 10_000

SEED = f"""
from django.utils import timezone
from undersigned.statements.models import Signature, Statement, StatementVersion
from undersigned.updates.delivery import request_mailing
from undersigned.updates.models import Update, UpdateVersion

statement = Statement.objects.get(slug="{SLUG}")
StatementVersion.objects.create(
    statement=statement, language="es", title="Soak es", summary="s", body="<p>s</p>"
)
now = timezone.now()
Signature.objects.bulk_create(
    [
        Signature(
            statement=statement,
            language="es" if n % 2 else "en",
            name=f"Signer {{n}}",
            email=f"signer{{n}}@example.net",
            email_canonical=f"signer{{n}}@example.net",
            consent_version="v",
            consent_at=now,
            state="confirmed",
            confirmed_at=now,
            wants_updates=True,
        )
        for n in range({RECIPIENTS})
    ],
    batch_size=2000,
)
update = Update.objects.create(statement=statement, published_at=now)
UpdateVersion.objects.create(
    update=update, language="en", title="News in English", body="<p>Hello.</p>"
)
UpdateVersion.objects.create(
    update=update, language="es", title="Noticias en español", body="<p>Hola.</p>"
)
request_mailing(update, actor=None)
"""


def _language_of(recipient: str) -> str:
    return "es" if int(recipient.removeprefix("signer").split("@")[0]) % 2 else "en"


def _wait_until_done(site: Site, seconds: float = 300) -> None:
    deadline = time.monotonic() + seconds
    while site.sql("SELECT COUNT(*) FROM updates_updatemailing WHERE finished_at IS NULL") != [
        (0,)
    ]:
        assert time.monotonic() < deadline, "the worker did not send everything in time"
        time.sleep(0.5)


def _wait_until_stalled(site: Site, smtp_sink: CountingSink, seconds: float = 60) -> None:
    """Until the server has every message recorded as sent, and no more come for a second: each
    of the worker's sending threads has written its group's final dots and waits for answers
    (none is between its commit and its dots)."""
    deadline = time.monotonic() + seconds
    last = -1
    while True:
        time.sleep(1)
        (recorded,) = site.sql("SELECT COUNT(*) FROM updates_delivery WHERE state = 'sent'")[0]
        received = smtp_sink.total()
        if received == recorded == last:
            return
        assert time.monotonic() < deadline, "the worker kept sending without answers"
        last = received if received == recorded else -1


def _check_each_once_in_their_language(smtp_sink: CountingSink) -> None:
    expected = {f"signer{n}@example.net" for n in range(RECIPIENTS)}
    assert set(smtp_sink.received) == expected
    assert {email: n for email, n in smtp_sink.received.items() if n != 1} == {}
    wrong = [
        recipient
        for recipient, bodies in smtp_sink.bodies.items()
        if ("Hola." in bodies[0]) != (_language_of(recipient) == "es")
    ]
    assert wrong == []


@pytest.mark.parametrize("kill", [False, True], ids=["straight", "killed-halfway"])
def test_an_update_reaches_each_of_10000_once_in_their_language(
    site: Site, smtp_sink: CountingSink, kill: bool
) -> None:
    site.manage("shell", "-v0", "-c", SEED)
    started = time.monotonic()
    if kill:
        halfway = threading.Event()

        def hold_at_halfway(total: int) -> None:
            if total >= RECIPIENTS // 2:
                smtp_sink.holding = True
                halfway.set()

        smtp_sink.on_message = hold_at_halfway
        worker = site.start("worker")
        try:
            assert halfway.wait(timeout=300), "the worker sent too little"
            _wait_until_stalled(site, smtp_sink)
        finally:
            worker.kill9()
            smtp_sink.on_message = lambda total: None
            smtp_sink.holding = False
        sent_before = smtp_sink.total()
        # What the lease running out does, a minute later: the deliveries the killed worker
        # held but had not recorded as sent are due again.
        site.sql("UPDATE updates_delivery SET locked_until = NULL WHERE state = 'queued'")
        print(f"\nworker killed after {sent_before} messages")
    worker = site.start("worker")
    try:
        _wait_until_done(site)
    finally:
        worker.stop()
    seconds = time.monotonic() - started
    print(f"\n{RECIPIENTS} update emails in {seconds:.1f} s ({RECIPIENTS / seconds:.0f}/s)")
    assert site.sql("SELECT state, COUNT(*) FROM updates_delivery GROUP BY state") == [
        ("sent", RECIPIENTS)
    ]
    _check_each_once_in_their_language(smtp_sink)
