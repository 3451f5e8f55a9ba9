"""Shared personas and the fakes of the outside world, one chokepoint each."""

from __future__ import annotations

import datetime as dt
import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from undersigned.organisations.models import Membership, Organisation
from undersigned.statements.models import Signature, Statement, StatementVersion

PASSWORD = "a-long-test-password"


@pytest.fixture(autouse=True)
def _fresh_caches() -> Iterator[None]:
    """Each test starts with no cached count or page: their keys (statement ids, paths) repeat
    from one test to the next.
    """
    from undersigned.statements.queries import forget_all_cached

    forget_all_cached()
    yield
    forget_all_cached()


@pytest.fixture
def organisation(db: None) -> Organisation:
    return Organisation.objects.create(name="Red Estudiantil", slug="red-estudiantil")


@pytest.fixture
def statement(organisation: Organisation) -> Statement:
    """An open bilingual statement, English by default, with a goal and a deadline."""
    statement = Statement.objects.create(
        organisation=organisation,
        slug="free-them",
        status=Statement.Status.OPEN,
        goal=100,
        deadline=timezone.now() + dt.timedelta(days=10, hours=1),
        default_language="en",
        addressed_to="The Ministry",
    )
    StatementVersion.objects.create(
        statement=statement,
        language="en",
        title="Free them",
        summary="Release the students.",
        body="<p>English body</p>",
        demands="Release them\nDrop the charges",
    )
    StatementVersion.objects.create(
        statement=statement,
        language="es",
        title="Libertad para ellos",
        summary="Liberen a los estudiantes.",
        body="<p>Cuerpo en español</p>",
        demands="Liberación\nRetiro de cargos",
    )
    return statement


def _user(username: str) -> User:
    return User.objects.create_user(username, f"{username}@example.com", PASSWORD)


@pytest.fixture
def organiser(organisation: Organisation) -> User:
    """Owns the statement's organisation."""
    user = _user("organiser")
    Membership.objects.create(organisation=organisation, user=user, role=Membership.Role.OWNER)
    return user


@pytest.fixture
def member(organisation: Organisation) -> User:
    """A member of the statement's organisation with fewer rights than its owner."""
    user = _user("member")
    Membership.objects.create(organisation=organisation, user=user, role=Membership.Role.MEMBER)
    return user


@pytest.fixture
def outsider(db: None) -> User:
    """Owns another organisation: must get 403/404 on everything of the statement's."""
    other = Organisation.objects.create(name="Other", slug="other")
    user = _user("outsider")
    Membership.objects.create(organisation=other, user=user, role=Membership.Role.OWNER)
    return user


def _client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def organiser_client(organiser: User) -> Client:
    return _client_for(organiser)


@pytest.fixture
def member_client(member: User) -> Client:
    return _client_for(member)


@pytest.fixture
def outsider_client(outsider: User) -> Client:
    return _client_for(outsider)


def make_signature(statement: Statement, n: int, **fields: Any) -> Signature:
    """A confirmed, fully listed signature number `n`, written straight to the database;
    later numbers confirmed later.
    """
    values: dict[str, Any] = {
        "statement": statement,
        "language": "en",
        "name": f"Person Number{n}",
        "email": f"p{n}@example.org",
        "email_canonical": f"p{n}@example.org",
        "consent_version": "v",
        "consent_at": timezone.now(),
        "state": Signature.State.CONFIRMED,
        "confirmed_at": timezone.now() - dt.timedelta(minutes=1000 - n),
        "display": Signature.Display.FULL,
    }
    values.update(fields)
    return Signature.objects.create(**values)


def sign_data(statement: Statement | None = None, **overrides: Any) -> dict[str, Any]:
    """A valid sign form for `statement` (by default the `statement` fixture's)."""
    from undersigned.lib.formtoken import issue

    statement = statement or Statement.objects.get(slug="free-them")
    data = {
        "form_token": issue(statement.pk),
        "name": "Ana García",
        "email": "ana@example.net",
        "country": "ES",
        "kind": "individual",
        "display": "initial",
        "consent": "on",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class SmtpSink:
    """A real SMTP server on loopback that keeps what it receives."""

    port: int
    messages: list[Message] = field(default_factory=list)
    envelopes: list[Any] = field(default_factory=list)
    # The client's address and port of each message: one SMTP connection, one port.
    peers: list[Any] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        self.envelopes.append(envelope)
        self.peers.append(session.peer)
        self.messages.append(message_from_bytes(envelope.original_content or envelope.content))
        return "250 OK"


@pytest.fixture
def smtp_server(settings: Any) -> Iterator[SmtpSink]:
    from aiosmtpd.controller import Controller

    sink = SmtpSink(port=free_port())
    controller = Controller(sink, hostname="127.0.0.1", port=sink.port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = sink.port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_USE_SSL = False
    try:
        yield sink
    finally:
        controller.stop()


def text_body(message: Message) -> str:
    for part in message.walk():
        if part.get_content_type() == "text/plain":
            payload = part.get_payload(decode=True)
            assert isinstance(payload, bytes)
            return payload.decode(part.get_content_charset() or "utf-8")
    raise AssertionError("no text/plain part")
