"""No personal data in logs: the main flows, errors included, with everything logged at DEBUG.

(Every other test is checked the same way by the pytest_runtest_call hook in conftest.py.)
"""

from __future__ import annotations

import re
import smtplib

import pytest
from django.core import mail
from django.test import Client

from undersigned.conftest import (
    SmtpSink,
    capture_logs,
    personal_data_in,
    personal_values,
    sign_data,
)
from undersigned.jobs.models import Job
from undersigned.jobs.queue import drain
from undersigned.statements.models import Signature, Statement

SIGNER_IP = "203.0.113.77"
PROXY_IP = "198.51.100.9"


def _client() -> Client:
    return Client(
        REMOTE_ADDR=SIGNER_IP, HTTP_X_FORWARDED_FOR=PROXY_IP, raise_request_exception=False
    )


def _token_links() -> tuple[str, str, str]:
    body = mail.outbox[-1].body
    found = dict(re.findall(r"http://\S+?(/s/[-\w]+/(confirm|withdraw|signature)/\S+/)", body))
    links = {kind: path for path, kind in found.items()}
    return links["confirm"], links["withdraw"], links["signature"]


def test_signing_confirming_and_withdrawing_log_nothing_personal(
    statement: Statement, organiser_client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = _client()
    with capture_logs() as logs:
        client.post("/s/free-them/es/sign/", sign_data(name="Zoraida Quintanilla"))
        # Bad input of several kinds.
        client.post("/s/free-them/es/sign/", sign_data(name="Zo\x00raida", email="zq@x"))
        client.post("/s/free-them/es/sign/", sign_data(email="not an address"))
        client.post("/s/free-them/es/sign/", {"name": "Zoraida Quintanilla"})
        client.post("/s/free-them/es/sign/", sign_data(name="x" * 100_000))
        drain()
        confirm, withdraw, page = _token_links()
        client.get(confirm)
        client.post(confirm)
        client.get(page)
        client.post(page, {"action": "display", "display": "bogus"})
        client.get(page + "data.json")
        client.get("/s/free-them/confirm/" + "B" * 32 + "/")  # a wrong token
        export = organiser_client.get("/dashboard/s/free-them/signatures/export.csv")
        export.getvalue()  # type: ignore[attr-defined]
        organiser_client.get("/dashboard/s/free-them/")
        # An erasure request looked up, a bad address given, and the audit log read.
        erasure = "/dashboard/o/red-estudiantil/erasure/"
        organiser_client.post(erasure, {"step": "find", "email": "zoraida@example.net"})
        organiser_client.post(erasure, {"step": "find", "email": "zoraida@example"})
        organiser_client.get("/dashboard/o/red-estudiantil/audit/")

        # A server error on a URL with a token, whose message quotes the address (as a
        # database error can): Django logs the path and the traceback.
        def fail(*args: object) -> None:
            raise RuntimeError("Key (email)=(zoraida@example.net) already exists")

        monkeypatch.setattr("undersigned.statements.privacy.change_display", fail)
        assert client.post(page, {"action": "display", "display": "full"}).status_code == 500
        values = personal_values()
        client.post(withdraw)
    assert any("Internal Server Error" in line for line in logs.lines)
    assert any("/signature/[token]/" in line for line in logs.lines)
    assert "Zoraida Quintanilla" in values and "ana@example.net" in values
    assert personal_data_in(logs.lines, [*values, SIGNER_IP, PROXY_IP]) == []
    assert not Signature.objects.exists()


def test_the_worker_logs_nothing_personal_when_sending_fails_or_succeeds(
    statement: Statement, smtp_server: SmtpSink, settings: object
) -> None:
    _client().post("/s/free-them/en/sign/", sign_data(name="Zoraida Quintanilla"))
    values = personal_values()
    assert any(len(value) == 32 for value in values)  # the queued email's token
    with capture_logs() as logs:
        settings.EMAIL_PORT = 9  # type: ignore[attr-defined]  # nothing listens: sending fails
        drain()
        assert Job.objects.get().attempts == 1
        Job.objects.update(run_after=Job.objects.get().created_at)
        settings.EMAIL_PORT = smtp_server.port  # type: ignore[attr-defined]
        drain()
    assert len(smtp_server.messages) == 1
    assert any("failed" in line for line in logs.lines)
    assert personal_data_in(logs.lines, values) == []


def test_a_refused_recipient_is_logged_without_its_address(
    statement: Statement, monkeypatch: pytest.MonkeyPatch
) -> None:
    _client().post("/s/free-them/en/sign/", sign_data(email="zoraida@example.net"))
    values = personal_values()

    def refuse(*args: object, **kwargs: object) -> None:
        raise smtplib.SMTPRecipientsRefused({"zoraida@example.net": (550, b"no such user")})

    monkeypatch.setattr("undersigned.mailings.outbox.send", refuse)
    with capture_logs() as logs:
        drain()
    assert logs.lines
    assert personal_data_in(logs.lines, values) == []
