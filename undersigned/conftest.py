"""Shared personas and the fakes of the outside world, one chokepoint each."""

from __future__ import annotations

import datetime as dt
import logging
import os
import re
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Generator, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from http.client import HTTPConnection
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

import pytest
from django.contrib.auth.models import User
from django.db import connection, transaction
from django.test import Client
from django.utils import timezone

from undersigned.lib.logfilter import RedactingFormatter
from undersigned.organisations.models import Membership, Organisation
from undersigned.statements.models import Signature, Statement, StatementVersion

PASSWORD = "a-long-test-password"
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def django_db_modify_db_settings(tmp_path_factory: pytest.TempPathFactory) -> None:
    """On SQLite, test on a file, as production runs: threads then get connections of their
    own and a server process started by a test (see `web_server`) reads the same database.
    """
    from django.conf import settings

    database = settings.DATABASES["default"]
    if database["ENGINE"] == "django.db.backends.sqlite3":
        path = tmp_path_factory.mktemp("database") / "undersigned.sqlite3"
        database.setdefault("TEST", {})["NAME"] = str(path)


def _clock_from_env() -> float | None:
    """The instant UNDERSIGNED_TEST_CLOCK names (ISO 8601 with its UTC offset), if set."""
    value = os.environ.get("UNDERSIGNED_TEST_CLOCK", "")
    if not value:
        return None
    instant = dt.datetime.fromisoformat(value)
    if instant.tzinfo is None:
        raise pytest.UsageError(f"UNDERSIGNED_TEST_CLOCK needs a UTC offset: {value!r}")
    return instant.timestamp()


_TEST_CLOCK = _clock_from_env()


@pytest.fixture(autouse=True)
def _moved_clock(request: pytest.FixtureRequest) -> Iterator[None]:
    """With UNDERSIGNED_TEST_CLOCK set, every test starts at that instant and its clock runs
    on from there, to find tests that pass only at some hours (midnight, the top of an hour,
    new year, a DST change). Processes a test starts keep the real clock, so a test that
    works with the server processes of `web_server` keeps it too.
    """
    if _TEST_CLOCK is None or "web_server" in request.fixturenames:
        yield
        return
    import time_machine

    # A timestamp, not a datetime: time-machine would otherwise set the process's TZ to the
    # datetime's zone, which Django set from TIME_ZONE.
    with time_machine.travel(_TEST_CLOCK, tick=True):
        yield


@pytest.fixture
def midday() -> Iterator[dt.datetime]:
    """Noon today in TIME_ZONE, where the test runs from, its clock running on: hours from
    midnight, the end of an hour and any DST change, for a test that reads the clock more than
    once (it makes data for "today" or "this hour", then a page counts them). Ask for it first.
    """
    import time_machine

    noon = timezone.localtime().replace(hour=12, minute=0, second=0, microsecond=0)
    with time_machine.travel(noon.timestamp(), tick=True):
        yield noon


@pytest.fixture
def still_page_store(monkeypatch: pytest.MonkeyPatch) -> float:
    """The page store's clock stands still at its reading now (returned): a page stored during
    the test is served from the store however long the test takes, where a busy machine could
    otherwise let its 2 seconds pass between two requests."""
    from undersigned.lib import pagecache

    now = pagecache.clock()
    monkeypatch.setattr(pagecache, "clock", lambda: now)
    return now


@pytest.fixture(autouse=True, scope="session")
def _media_of_the_tests(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Uploaded files (pictures, logos, the demo's) go to a folder of the test run's own, never
    into the checkout's var/media."""
    from django.conf import settings

    settings.MEDIA_ROOT = tmp_path_factory.mktemp("media")


@pytest.fixture(autouse=True)
def _fresh_caches() -> Iterator[None]:
    """Each test starts with no cached count or page: their keys (statement ids, paths) repeat
    from one test to the next.
    """
    from undersigned.funds import totals
    from undersigned.mailings import compose
    from undersigned.statements.queries import forget_all_cached
    from undersigned.updates import delivery

    def forget() -> None:
        forget_all_cached()
        # A fund's totals, kept by id.
        totals.forget_all()
        # Updates being emailed, and emails as rendered, kept by id: ids repeat too.
        delivery._mailings.clear()
        compose.forget_prepared()

    forget()
    yield
    forget()


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
    """An editor of the statement's organisation: runs statements, not the organisation."""
    user = _user("member")
    Membership.objects.create(organisation=organisation, user=user, role=Membership.Role.EDITOR)
    return user


@pytest.fixture
def viewer(organisation: Organisation) -> User:
    """Sees the statement's organisation's campaigns, changes and exports nothing."""
    user = _user("viewer")
    Membership.objects.create(organisation=organisation, user=user, role=Membership.Role.VIEWER)
    return user


@pytest.fixture
def outsider(db: None) -> User:
    """Owns another organisation: must get 403/404 on everything of the statement's."""
    other = Organisation.objects.create(name="Other", slug="other")
    user = _user("outsider")
    Membership.objects.create(organisation=other, user=user, role=Membership.Role.OWNER)
    return user


def _client_for(user: User) -> Client:
    """Logged in as if through both steps, password and two-factor code."""
    from undersigned.accounts.signals import VERIFIED

    client = Client()
    client.force_login(user)
    session = client.session
    session[VERIFIED] = True
    session.save()
    return client


@pytest.fixture
def organiser_client(organiser: User) -> Client:
    return _client_for(organiser)


@pytest.fixture
def member_client(member: User) -> Client:
    return _client_for(member)


@pytest.fixture
def viewer_client(viewer: User) -> Client:
    return _client_for(viewer)


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


_page_loads: set[int] = set()


def make_partner(statement: Statement, organisation: Any, *, actor: Any = None) -> Any:
    """`organisation` added as a partner of `statement` and accepted by its owners: named on
    the statement's page, offered on its sign form."""
    from undersigned.statements import coalition

    partner = coalition.add_partner(statement, organisation, actor=actor)
    coalition.accept_partnership(partner, actor=actor)
    partner.refresh_from_db()
    return partner


def _page_load() -> int:
    """When a form's page was loaded: about a minute ago, and never in the same second as
    another form's page, so that no two have the same token (a token is the second it was made).
    """
    at = int(time.time()) - 60
    while at in _page_loads:
        at -= 1
    _page_loads.add(at)
    return at


def sign_data(statement: Statement | None = None, **overrides: Any) -> dict[str, Any]:
    """A sign form for `statement` (by default the `statement` fixture's) as a person's browser
    sends it: its page loaded a minute ago, the proof of work done for its email address."""
    from django.conf import settings

    from undersigned.lib import proof
    from undersigned.lib.formtoken import issue

    statement = statement or Statement.objects.get(slug="free-them")
    data = {
        # A page of its own, as each page load is: a form's token sends one email per address.
        "form_token": issue(statement.pk, at=_page_load()),
        "name": "Ana García",
        "email": "ana@example.net",
        "country": "ES",
        "kind": "individual",
        "display": "initial",
        "consent": "on",
    }
    data.update(overrides)
    if "proof" not in data and isinstance(data.get("email"), str):
        bits = settings.SIGN_PROOF_BITS
        data["proof"] = proof.solve(str(data["form_token"]), data["email"], bits)
    return {key: value for key, value in data.items() if value is not None}


# What Client.post's content_type is when a test names none.
_UNNAMED = object()


@pytest.fixture(autouse=True)
def _sign_posts_as_browsers_send_them(monkeypatch: pytest.MonkeyPatch) -> None:
    """A test client's POST of a dict to a sign form goes as a person's browser sends it:
    URL-encoded, with the page's own Origin, and so, without a session, through SignMiddleware
    as in production (Django's client would send multipart with no Origin). A test that names
    a content type (multipart too: `content_type=MULTIPART_CONTENT`) or an Origin, or posts a
    body it made itself, sends what it says.
    """
    from django.test.client import MULTIPART_CONTENT

    from undersigned.public.middleware import SIGN_PATH

    post = Client.post

    def as_a_browser(
        client: Client,
        path: str,
        data: Any = None,
        content_type: Any = _UNNAMED,
        *args: Any,
        **extra: Any,
    ) -> Any:
        if content_type is not _UNNAMED:
            return post(client, path, data, content_type, *args, **extra)
        if not isinstance(data, dict) or not SIGN_PATH.fullmatch(urlsplit(path).path):
            return post(client, path, data, MULTIPART_CONTENT, *args, **extra)
        headers = {name.lower(): value for name, value in (extra.get("headers") or {}).items()}
        if not ({"HTTP_ORIGIN"} & (extra.keys() | client.defaults.keys()) or "origin" in headers):
            secure = extra.get("secure", args[1] if len(args) > 1 else False)
            host = (
                extra.get("HTTP_HOST")
                or headers.get("host")
                or client.defaults.get("HTTP_HOST", "testserver")
            )
            extra["HTTP_ORIGIN"] = f"{'https' if secure else 'http'}://{host}"
        body = urlencode(data, doseq=True)
        return post(client, path, body, "application/x-www-form-urlencoded", *args, **extra)

    monkeypatch.setattr(Client, "post", as_a_browser)


def answered_early(response: Any) -> bool:
    """Stored and answered by SignMiddleware, the production path of a plain sign form: no
    view ran, so Django never resolved the URL."""
    return response.wsgi_request.resolver_match is None


def follow_data(statement: Statement | None = None, **overrides: Any) -> dict[str, Any]:
    """A "Follow for updates" form for `statement` (by default the `statement` fixture's) as a
    person's browser sends it, its page loaded a minute ago."""
    from undersigned.lib.formtoken import issue

    statement = statement or Statement.objects.get(slug="free-them")
    data = {
        "form_token": issue(statement.pk, at=time.time() - 60),
        "email": "flor@example.net",
        "language": statement.default_language,
        "consent": "on",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


@pytest.fixture(autouse=True)
def _quick_proof_of_work(settings: Any) -> None:
    """Tests solve the sign form's proof of work in Python: keep it cheap (the check is the same
    whatever the difficulty)."""
    settings.SIGN_PROOF_BITS = 6


def descendants(pid: int) -> set[int]:
    """Every process started by `pid`, its children's children included (from /proc)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        children.setdefault(int(stat.rsplit(")", 1)[1].split()[1]), []).append(int(entry.name))
    found: set[int] = set()
    todo = [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.add(child)
            todo.append(child)
    return found


def alive(pid: int) -> bool:
    """Running, and not a zombie waiting for its parent."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def blocked_on_a_lock(pid: int, timeout: float = 10.0) -> bool:
    """Wait until the PostgreSQL backend `pid` waits for a lock another transaction holds."""
    deadline = time.monotonic() + timeout
    with connection.cursor() as cursor:
        while time.monotonic() < deadline:
            cursor.execute(
                "SELECT 1 FROM pg_stat_activity WHERE pid = %s AND wait_event_type = 'Lock'", [pid]
            )
            if cursor.fetchone():
                return True
            time.sleep(0.01)
    return False


def against_a_held_lock(
    first: Callable[[], object], then: Callable[[], object], second: Callable[[], object]
) -> list[BaseException]:
    """On PostgreSQL, two transactions that lock the same rows. In a thread, one runs `first`;
    `second` runs here; once it waits for a lock, the first runs `then` and commits. Returns
    the errors raised: a deadlock fails one of the two."""
    holds, go_on = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def one() -> None:
        try:
            with transaction.atomic():
                first()
                holds.set()
                go_on.wait(10)
                then()
        except BaseException as error:  # noqa: BLE001 - reported to the caller
            errors.append(error)
        finally:
            holds.set()
            connection.close()

    def watch(pid: int) -> None:
        try:
            blocked_on_a_lock(pid)
        finally:
            go_on.set()
            connection.close()

    thread = threading.Thread(target=one)
    thread.start()
    holds.wait(10)
    connection.ensure_connection()
    watcher = threading.Thread(target=watch, args=(connection.connection.info.backend_pid,))
    watcher.start()
    try:
        second()
    except BaseException as error:  # noqa: BLE001 - reported to the caller
        errors.append(error)
    thread.join(30)
    watcher.join(30)
    if thread.is_alive():
        errors.append(TimeoutError("the first transaction never ended"))
    return errors


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
    # The client's address and port of each connection the client ended with QUIT.
    quits: list[Any] = field(default_factory=list)
    # Recipients whose message is answered 421, as by a server about to close the connection.
    closing_for: set[str] = field(default_factory=set)
    # Offered, as by Postfix and Exim: a client may send MAIL, RCPT and DATA in one write.
    pipelining: bool = True
    # Replies to MAIL and RCPT instead of 250, by address.
    refuse: dict[str, str] = field(default_factory=dict)

    async def handle_EHLO(  # noqa: N802
        self, server: Any, session: Any, envelope: Any, hostname: str, responses: list[str]
    ) -> list[str]:
        session.host_name = hostname
        if self.pipelining:
            responses.insert(-1, "250-PIPELINING")
        return responses

    async def handle_MAIL(  # noqa: N802
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        if address in self.refuse:
            return self.refuse[address]
        envelope.mail_from = address
        envelope.mail_options.extend(options)
        return "250 OK"

    async def handle_RCPT(  # noqa: N802
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(options)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        if set(envelope.rcpt_tos) & self.closing_for:
            return "421 Closing the connection"
        self.envelopes.append(envelope)
        self.peers.append(session.peer)
        self.messages.append(message_from_bytes(envelope.original_content or envelope.content))
        return "250 OK"

    async def handle_QUIT(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        self.quits.append(session.peer)
        return "221 Bye"


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


def production_env(**overrides: str) -> dict[str, str]:
    """The environment of a production process a test starts. The anti-abuse checks of signing
    are off: a test of those sets them itself.
    """
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "undersigned.settings",
        "DEBUG": "0",
        "DEMO_MODE": "0",
        "LOG_LEVEL": "WARNING",
        "SIGN_MIN_SECONDS": "0",
        "SIGN_PROOF_BITS": "0",
        "SIGN_RATE_LIMITS": "",
        "CLIENT_EMAIL_LIMITS": "",
    }
    env.pop("DATABASE_URL", None)
    env.update(overrides)
    return env


@dataclass
class Response:
    status: int
    headers: list[tuple[str, str]]
    body: bytes

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.headers if k.lower() == name.lower()), None)

    @property
    def text(self) -> str:
        return self.body.decode()


def http(
    method: str,
    url: str,
    data: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
    *,
    timeout: float = 60,
) -> Response:
    """One request on a connection of its own, as separate visitors make them; redirects are
    returned, not followed."""
    parts = urlsplit(url)
    connection = HTTPConnection(parts.netloc, timeout=timeout)
    body = urlencode(data) if data is not None else None
    sent = dict(headers or {})
    if body is not None:
        sent["Content-Type"] = "application/x-www-form-urlencoded"
    try:
        connection.request(
            method, parts.path + (f"?{parts.query}" if parts.query else ""), body, sent
        )
        answer = connection.getresponse()
        return Response(answer.status, answer.getheaders(), answer.read())
    finally:
        connection.close()


def cookies_of(response: Response) -> dict[str, str]:
    return {
        value.split("=", 1)[0]: value.split(";", 1)[0].split("=", 1)[1]
        for key, value in response.headers
        if key.lower() == "set-cookie"
    }


def hidden_fields(page: str, element_id: str) -> dict[str, str]:
    """The hidden inputs of the form with this id, or inside the element with this id."""
    at = page.index(f'id="{element_id}"')
    start = page.rfind("<form", 0, at)
    if start < 0 or page.find("</form>", start) < at:
        start = page.index("<form", at)
    form = page[start : page.index("</form>", start)]
    return dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form))


def wait_until_serving(url: str, process: subprocess.Popen[bytes], seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with {process.returncode}")
        try:
            if http("GET", f"{url}/healthz").status == 200:
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"{url} did not answer")


@dataclass
class WebServer:
    """granian with several worker processes, as `manage.py serve` runs it."""

    url: str
    process: subprocess.Popen[bytes]

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()


def start_web_server(env: dict[str, str], static: Path, *, workers: int = 2) -> WebServer:
    """Serve on a free port, with `static` (a directory) as the static files."""
    from undersigned.jobs.management.commands.serve import web_command

    port = free_port()
    process = subprocess.Popen(  # noqa: S603 - our own granian and arguments
        web_command("127.0.0.1", port, workers, static),
        env={"WEB_THREADS": "8", **env},
        cwd=ROOT,
        start_new_session=True,
    )
    server = WebServer(f"http://127.0.0.1:{port}", process)
    try:
        wait_until_serving(server.url, process)
    except BaseException:
        server.stop()
        raise
    return server


def database_env_of_tests() -> dict[str, str]:
    """Where a process started by a test finds the test database (see `web_server`)."""
    from django.db import connection

    name = str(connection.settings_dict["NAME"])
    if connection.vendor == "sqlite":
        # settings.DATABASES names the file DATA_DIR/undersigned.sqlite3.
        return {"DATA_DIR": str(Path(name).parent)}
    url = urlsplit(os.environ["DATABASE_URL"])
    return {"DATABASE_URL": url._replace(path=f"/{name}").geturl()}


@pytest.fixture(scope="module")
def web_server(
    django_db_setup: None, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[WebServer]:
    """The production web server (granian, two processes) on the test database, for tests
    that need real concurrency: use it from `transactional_db` tests, whose data it sees.
    Each process keeps what it read of a statement for a few seconds: give every test a
    statement of its own (`own_statement`).
    """
    from django.conf import settings

    env = production_env(SECRET_KEY=settings.SECRET_KEY, **database_env_of_tests())
    server = start_web_server(env, tmp_path_factory.mktemp("static"))
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def own_statement(statement: Statement, request: pytest.FixtureRequest) -> Statement:
    """The `statement` fixture under a slug no other test uses."""
    slug = re.sub(r"[^a-z0-9]+", "-", request.node.name.lower())[:70].strip("-")
    statement.slug = f"{slug}-{statement.pk}"
    statement.save(update_fields=("slug",))
    return statement


# Loggers of the test's fakes of the outside world, not of the site: the SMTP sink (aiosmtpd)
# logs every message it receives, as a real mail server would in its own logs.
_FAKE_WORLD_LOGGERS = ("mail.log", "asyncio")
_IPV4 = re.compile(r"(?<![\d.])(?!127\.)(?!0\.0\.0\.0)(?:\d{1,3}\.){3}\d{1,3}(?![\d.])")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_LINK_TOKEN = re.compile(r"/(?:confirm|withdraw|signature)/([-\w]{16,64})/")


class LogCapture(logging.Handler):
    """Every log line as the site would write it (through its redacting formatter)."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.setFormatter(RedactingFormatter("%(levelname)s %(name)s %(message)s"))
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.name.startswith(_FAKE_WORLD_LOGGERS):
            return
        self.lines.append(self.format(record))


@contextmanager
def capture_logs() -> Iterator[LogCapture]:
    """Capture everything logged at DEBUG and above, by any thread, while inside."""
    root = logging.getLogger()
    handler = LogCapture()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        yield handler
    finally:
        root.removeHandler(handler)
        root.setLevel(level)


def personal_values() -> set[str]:
    """Names, addresses and link tokens of the signers the test made (tokens as sent by email
    or still queued)."""
    from django.core import mail

    from undersigned.jobs.models import Job

    values: set[str] = set()
    for row in Signature.objects.values_list("name", "email", "email_canonical"):
        values.update(value for value in row if len(value) >= 4)
    for message in getattr(mail, "outbox", []):
        values.update(_LINK_TOKEN.findall(message.body))
    for payload in Job.objects.values_list("payload", flat=True):
        if isinstance(payload, dict) and isinstance(payload.get("token"), str):
            values.add(payload["token"])
    return values


def personal_data_in(lines: Iterable[str], values: Iterable[str] = ()) -> list[str]:
    """The log lines that hold an email address, an IP address other than loopback, or any of
    `values`."""
    values = [value for value in values if value]
    return [
        line
        for line in lines
        if _EMAIL.search(line) or _IPV4.search(line) or any(value in line for value in values)
    ]


_DB_FIXTURES = {"db", "transactional_db", "live_server", "django_db_reset_sequences"}


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, object, object]:
    """Every test of the suite doubles as a check that nothing personal reaches the logs: all
    that is logged at DEBUG while it runs is checked against its signers' names, addresses and
    tokens, and for any address at all."""
    with capture_logs() as logs:
        result = yield
    uses_db = _DB_FIXTURES & set(getattr(item, "fixturenames", ())) or item.get_closest_marker(
        "django_db"
    )
    leaked = personal_data_in(logs.lines, personal_values() if uses_db else ())
    if leaked:
        raise AssertionError("personal data in the log:\n" + "\n".join(leaked))
    return result
