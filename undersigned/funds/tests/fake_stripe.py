"""A local fake of Stripe for the tests: its API's Checkout Sessions on loopback, for the
official `stripe` library pointed at it (STRIPE_API_BASE), and a webhook sender that signs
events as Stripe does. Nothing leaves the machine.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import secrets
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from undersigned.conftest import free_port

SECRET_KEY = "sk_test_fake_0123456789"
WEBHOOK_SECRET = "whsec_fake_0123456789abcdef"


@dataclass
class FakeStripe:
    port: int
    # Each Checkout Session created: the form fields as Stripe received them, and its headers.
    created: list[dict[str, str]] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)
    sessions: dict[str, dict[str, Any]] = field(default_factory=dict)
    # The metadata each session's PaymentIntent was given (payment_intent_data), by session id:
    # Stripe copies it onto the payment's charge.
    intent_metadata: dict[str, dict[str, str]] = field(default_factory=dict)
    # Answer every create with this HTTP status and a Stripe error, instead of a session.
    fail_with: int | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def pay_url(self, session_id: str) -> str:
        return f"{self.base}/pay/{session_id}"

    def create(self, form: dict[str, str]) -> dict[str, Any]:
        session_id = f"cs_test_{secrets.token_hex(12)}"
        amount = int(form["line_items[0][price_data][unit_amount]"]) * int(
            form.get("line_items[0][quantity]", "1")
        )
        session = {
            "id": session_id,
            "object": "checkout.session",
            "mode": form.get("mode"),
            "url": self.pay_url(session_id),
            "amount_total": amount,
            "amount_subtotal": amount,
            "currency": form["line_items[0][price_data][currency]"],
            "client_reference_id": form.get("client_reference_id"),
            "metadata": _nested(form, "metadata"),
            "locale": form.get("locale"),
            "submit_type": form.get("submit_type"),
            "success_url": form.get("success_url"),
            "cancel_url": form.get("cancel_url"),
            "payment_intent": None,
            "payment_status": "unpaid",
            "status": "open",
            "customer_details": None,
            "livemode": False,
            "created": int(time.time()),
        }
        self.sessions[session_id] = session
        self.intent_metadata[session_id] = _nested(form, "payment_intent_data[metadata]")
        return session

    def refunded_charge(self, session: dict[str, Any], amount: int | None = None) -> dict[str, Any]:
        """The charge of a paid session, refunded (in full unless `amount` says), with the
        metadata its PaymentIntent was given."""
        total = int(session["amount_total"])
        return {
            "id": f"ch_{secrets.token_hex(12)}",
            "object": "charge",
            "amount": total,
            "amount_refunded": total if amount is None else amount,
            "currency": session["currency"],
            "metadata": dict(self.intent_metadata.get(session["id"], {})),
            "payment_intent": f"pi_{session['id'].removeprefix('cs_test_')}",
            "refunded": amount is None or amount == total,
            "status": "succeeded",
        }


def _nested(form: dict[str, str], name: str) -> dict[str, str]:
    """The fields of a form-encoded hash: `metadata[fund]` as `fund`."""
    return {
        key[len(name) + 1 : -1]: value
        for key, value in form.items()
        if key.startswith(f"{name}[") and key.endswith("]")
    }


def _handler(fake: FakeStripe) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            pass

        def _json(self, status: int, body: dict[str, Any], **headers: str) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.send_header("Request-Id", f"req_{secrets.token_hex(6)}")
            for name, value in headers.items():
                self.send_header(name.replace("_", "-"), value)
            self.end_headers()
            self.wfile.write(data)

        def do_POST(self) -> None:  # noqa: N802
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length).decode()
            if urlsplit(self.path).path != "/v1/checkout/sessions":
                self._json(404, {"error": {"type": "invalid_request_error", "message": "?"}})
                return
            form = dict(parse_qsl(body, keep_blank_values=True))
            fake.created.append(form)
            fake.headers.append(dict(self.headers.items()))
            if fake.fail_with is not None:
                self._json(
                    fake.fail_with,
                    {"error": {"type": "api_error", "message": "Something went wrong."}},
                    Stripe_Should_Retry="false",
                )
                return
            self._json(200, fake.create(form))

        def do_GET(self) -> None:  # noqa: N802
            session_id = urlsplit(self.path).path.removeprefix("/pay/")
            if session_id not in fake.sessions:
                self._json(404, {"error": {"type": "invalid_request_error", "message": "?"}})
                return
            page = b"<!doctype html><title>Pay</title><p>The fake Stripe's payment page."
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(page)))
            self.end_headers()
            self.wfile.write(page)

    return Handler


@contextlib.contextmanager
def running(settings: Any) -> Iterator[FakeStripe]:
    """The fake API on a free loopback port, and the site set up to use it (through
    pytest-django's `settings`)."""
    fake = FakeStripe(port=free_port())
    server = ThreadingHTTPServer(("127.0.0.1", fake.port), _handler(fake))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings.STRIPE_SECRET_KEY = SECRET_KEY
    settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
    settings.STRIPE_API_BASE = fake.base
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


# The webhook sender.


def event(kind: str, obj: dict[str, Any], event_id: str | None = None) -> dict[str, Any]:
    """A Stripe event of `kind` ("checkout.session.completed") about `obj`."""
    return {
        "id": event_id or f"evt_{secrets.token_hex(12)}",
        "object": "event",
        "api_version": "2026-01-28.clover",
        "created": int(time.time()),
        "livemode": False,
        "pending_webhooks": 1,
        "request": {"id": None, "idempotency_key": None},
        "type": kind,
        "data": {"object": obj},
    }


def completed(
    session: dict[str, Any],
    *,
    email: str = "ana@example.net",
    name: str = "Ana Quispe",
    **changes: Any,
) -> dict[str, Any]:
    """The session as Stripe sends it once paid."""
    return {
        **session,
        "status": "complete",
        "payment_status": "paid",
        "payment_intent": f"pi_{session['id'].removeprefix('cs_test_')}",
        "customer_details": {"email": email, "name": name, "address": None, "phone": None},
        **changes,
    }


def expired(session: dict[str, Any]) -> dict[str, Any]:
    return {**session, "status": "expired", "url": None}


def signature(body: bytes, *, secret: str = WEBHOOK_SECRET, at: float | None = None) -> str:
    """The Stripe-Signature header of `body`, as Stripe makes it."""
    timestamp = int(time.time() if at is None else at)
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def signed(data: dict[str, Any], **options: Any) -> tuple[bytes, dict[str, str]]:
    """An event's body and the headers Stripe sends it with."""
    body = json.dumps(data, indent=2).encode()
    return body, {
        "Content-Type": "application/json; charset=utf-8",
        "Stripe-Signature": signature(body, **options),
        "User-Agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)",
    }
