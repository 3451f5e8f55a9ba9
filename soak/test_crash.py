"""kill -9 the production processes under load, restart them, and check that nothing a signer
was told is lost, nothing is doubled, and every pending signer still gets their email.
"""

from __future__ import annotations

import json
import re
import threading
import time
from http.client import HTTPException

from soak.conftest import SLUG, CountingSink, Process, Site
from undersigned.conftest import Response, cookies_of, hidden_fields, http

SIGNERS = 24  # requests in flight at once
# Successful signatures before each kill: the first moments of a burst, then further in.
KILL_AFTER = (1, 40, 150, 400)
EMAILS = 300


def _sign_form(site: Site) -> tuple[dict[str, str], dict[str, str]]:
    page = http("GET", f"{site.url}/s/{SLUG}/en/")
    assert page.status == 200
    data = hidden_fields(page.text, "sign") | {
        "name": "Soak Signer",
        "kind": "individual",
        "display": "hidden",
        "consent": "on",
    }
    cookies = "; ".join(f"{k}={v}" for k, v in cookies_of(page).items())
    return data, ({"Cookie": cookies} if cookies else {})


def _signed(response: Response) -> bool:
    return response.status in (302, 303) and response.header("Location") == (
        f"/s/{SLUG}/en/check-email/"
    )


class Burst:
    """SIGNERS threads signing with new addresses, one request each at a time, until the
    server goes away."""

    def __init__(self, site: Site, tag: str, kill_after: int) -> None:
        self.url = f"{site.url}/s/{SLUG}/en/sign/"
        self.form, self.headers = _sign_form(site)
        self.tag, self.kill_after = tag, kill_after
        self.lock = threading.Lock()
        self.succeeded: list[str] = []
        # Sent but not answered: the server died with them.
        self.unanswered: list[str] = []
        self.unexpected: list[tuple[int, str]] = []
        self.reached = threading.Event()
        self.killing = threading.Event()
        self.stop = threading.Event()
        self.threads = [threading.Thread(target=self._sign, args=(n,)) for n in range(SIGNERS)]

    def _sign(self, thread: int) -> None:
        n = 0
        while not self.stop.is_set():
            email = f"{self.tag}-{thread}-{n}@example.net"
            n += 1
            try:
                response = http("POST", self.url, self.form | {"email": email}, self.headers)
            except (OSError, HTTPException):
                with self.lock:
                    self.unanswered.append(email)
                return
            with self.lock:
                if _signed(response):
                    self.succeeded.append(email)
                    if len(self.succeeded) >= self.kill_after:
                        self.reached.set()
                elif self.killing.is_set():
                    # An error answered while the processes die (granian's own, say).
                    self.unanswered.append(email)
                    return
                else:
                    self.unexpected.append((response.status, email))

    def run_until_killed(self, server: Process) -> None:
        for thread in self.threads:
            thread.start()
        reached = self.reached.wait(timeout=120)
        self.killing.set()
        server.kill9()
        self.stop.set()
        for thread in self.threads:
            thread.join()
        assert reached, f"{len(self.succeeded)} signatures before the time ran out"


def _check_database(site: Site) -> None:
    if site.database_url:
        # The constraint that keeps one row per address is in place (and held: see below).
        assert site.sql(
            "SELECT conname FROM pg_constraint WHERE conname = 'one_signature_per_email'"
        ) == [("one_signature_per_email",)]
    else:
        assert site.sql("PRAGMA integrity_check") == [("ok",)]
        assert site.sql("PRAGMA foreign_key_check") == []


def test_a_server_killed_mid_burst_keeps_every_acknowledged_signature_once(
    site: Site, smtp_sink: CountingSink
) -> None:
    server = site.start()
    try:
        bursts = []
        for round_, kill_after in enumerate(KILL_AFTER):
            burst = Burst(site, f"r{round_}", kill_after)
            burst.run_until_killed(server)
            bursts.append(burst)
            print(
                f"\nkilled after {len(burst.succeeded)} signatures, "
                f"{len(burst.unanswered)} requests cut off"
            )
            assert burst.unexpected == []
            server = site.start()
            _check_database(site)
            # It takes signatures again.
            data, headers = _sign_form(site)
            assert _signed(
                http("POST", burst.url, data | {"email": f"after-r{round_}@example.net"}, headers)
            )

        rows = dict(
            site.sql(
                "SELECT email_canonical, COUNT(*) FROM statements_signature "
                "GROUP BY email_canonical"
            )
        )
        assert {email: n for email, n in rows.items() if n != 1} == {}
        for n, burst in enumerate(bursts):
            assert f"after-r{n}@example.net" in rows
            assert [email for email in burst.succeeded if email not in rows] == []
            stored = {email for email in rows if email.startswith(f"{burst.tag}-")}
            # Nothing stored that nobody sent: at most the requests the kill cut off.
            assert stored - set(burst.succeeded) <= set(burst.unanswered)
            print(f"round {n}: {len(stored - set(burst.succeeded))} cut off but stored")

        # Each address was sent once: one link each, written with its signature, and with it
        # the job that brings the email (still queued, or already received).
        assert (
            site.sql(
                "SELECT signature_id FROM statements_signaturetoken "
                "GROUP BY signature_id HAVING COUNT(*) > 1"
            )
            == []
        )
        signatures = site.sql(
            "SELECT s.id, s.email FROM statements_signature s "
            "LEFT JOIN statements_signaturetoken t ON t.signature_id = s.id "
            "WHERE t.id IS NOT NULL"
        )
        assert len(signatures) == len(rows)
        queued = site.job_signatures()
        assert [
            email
            for pk, email in signatures
            if pk not in queued and email not in smtp_sink.received
        ] == []
    finally:
        server.stop()


SIGN_MANY = f"""
from undersigned.statements import actions
from undersigned.statements.models import Statement
statement = Statement.objects.get(slug="{SLUG}")
for n in range({EMAILS}):
    actions.sign(statement, "en", {{"name": "Signer", "email": f"signer{{n}}@example.net"}})
"""


def _free_leases(site: Site) -> None:
    """What a killed worker's lease running out does, minutes later: its jobs are due again."""
    site.sql("UPDATE jobs_job SET locked_until = NULL")


def _wait_until_sent(site: Site, worker: Process) -> None:
    deadline = time.monotonic() + 180
    while site.sql("SELECT COUNT(*) FROM jobs_job WHERE failed_at IS NULL") != [(0,)]:
        assert worker.process.poll() is None, "the worker stopped"
        assert time.monotonic() < deadline, "the worker did not send everything in time"
        time.sleep(0.2)


def _csrf(link: str) -> tuple[dict[str, str], dict[str, str]]:
    """The confirm button's form field and cookie, from the page of a pending signature's link;
    any later POST may reuse them, as a browser with that cookie would."""
    page = http("GET", link)
    assert page.status == 200
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
    assert csrf
    cookies = "; ".join(f"{k}={v}" for k, v in cookies_of(page).items())
    return {"csrfmiddlewaretoken": csrf.group(1)}, {"Cookie": cookies}


def test_a_worker_killed_while_sending_sends_every_email_after_restart(
    site: Site, smtp_sink: CountingSink
) -> None:
    site.manage("shell", "-v0", "-c", SIGN_MANY)
    assert site.sql("SELECT COUNT(*) FROM jobs_job") == [(EMAILS,)]
    # Killed twice while it sends: a third and two thirds of the way through.
    for fraction in (3, 3):
        enough = threading.Event()
        target = sum(smtp_sink.received.values()) + EMAILS // fraction

        def count(total: int, target: int = target, enough: threading.Event = enough) -> None:
            if total >= target:
                enough.set()

        smtp_sink.on_message = count
        worker = site.start("worker")
        try:
            assert enough.wait(timeout=120), "the worker sent too little"
        finally:
            worker.kill9()
        _free_leases(site)
    smtp_sink.on_message = lambda total: None
    worker = site.start("worker")
    try:
        _wait_until_sent(site, worker)
    finally:
        worker.stop()
    assert site.sql("SELECT COUNT(*) FROM jobs_job") == [(0,)]

    # Every signer got their email; one whose sending the kill cut short, twice at most.
    signers = {f"signer{n}@example.net" for n in range(EMAILS)}
    assert set(smtp_sink.received) == signers
    assert {email: n for email, n in smtp_sink.received.items() if not 1 <= n <= 2} == {}
    twice = sum(1 for n in smtp_sink.received.values() if n == 2)
    print(f"\nworker killed twice: {twice} of {EMAILS} emails sent a second time")

    # Every link in every email, a repeated one too, confirms; each signer counts once.
    links = [
        match
        for bodies in smtp_sink.bodies.values()
        for body in bodies
        for match in re.findall(rf"{re.escape(site.url)}/s/{SLUG}/confirm/[-\w]+/", body)
    ]
    assert len(links) == sum(smtp_sink.received.values())
    server = site.start()
    try:
        form, cookies = _csrf(links[0])
        thanks = (302, f"/s/{SLUG}/en/thanks/")
        errors: list[BaseException] = []

        def confirm_all(share: list[str]) -> None:
            try:
                for link in share:
                    response = http("POST", link, form, cookies)
                    assert (response.status, response.header("Location")) == thanks
            except BaseException as error:  # noqa: BLE001 - reported below
                errors.append(error)

        threads = [threading.Thread(target=confirm_all, args=(links[n::8],)) for n in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert errors == []
        count = http("GET", f"{site.url}/s/{SLUG}/count.json")
        assert json.loads(count.body)["count"] == EMAILS
    finally:
        server.stop()
    assert site.sql("SELECT state, COUNT(*) FROM statements_signature GROUP BY state") == [
        ("confirmed", EMAILS)
    ]
    assert site.sql("SELECT COUNT(*) FROM audit_auditlog WHERE action = 'signature.confirmed'") == [
        (EMAILS,)
    ]
