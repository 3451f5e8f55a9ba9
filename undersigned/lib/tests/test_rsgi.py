"""Serving through granian's RSGI interface and the bridge (undersigned/lib/rsgi.py): a slow
client holds no thread, a body is bounded in size and in time, and the application gets what
granian's WSGI mode gave it."""

from __future__ import annotations

import asyncio
import functools
import json
import logging
import os
import selectors
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from http.client import HTTPConnection
from pathlib import Path
from types import TracebackType
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from undersigned.conftest import (
    ROOT,
    WebServer,
    cookies_of,
    database_env_of_tests,
    free_port,
    hidden_fields,
    http,
    production_env,
    sign_data,
    start_web_server,
    wait_until_serving,
)
from undersigned.lib.rsgi import REFUSED, Bridge, ProtocolClosed
from undersigned.statements.models import Signature, Statement

# ---------------------------------------------------------------------------------------------
# The bridge alone, with granian's side faked.


class Headers:
    """granian's RSGIHeaders: names in lower case, repeated names repeated in items()."""

    def __init__(self, *pairs: tuple[str, str]) -> None:
        self.pairs = list(pairs)

    def get(self, name: str, default: str | None = None) -> str | None:
        return next((value for key, value in self.pairs if key == name), default)

    def __contains__(self, name: str) -> bool:
        return any(key == name for key, _ in self.pairs)

    def items(self) -> list[tuple[str, str]]:
        return list(self.pairs)


class Scope:
    proto = "http"
    http_version = "1.1"
    scheme = "http"
    server = "127.0.0.1:8000"
    client = "127.0.0.1:50000"
    authority = None
    query_string = ""

    def __init__(self, method: str, path: str, *headers: tuple[str, str]) -> None:
        self.method, self.path, self.headers = method, path, Headers(("host", "site"), *headers)


class _Taken:
    def __await__(self) -> Iterator[None]:
        return iter(())


class _Gone:
    def __await__(self) -> Iterator[None]:
        raise ProtocolClosed("closed")


class Protocol:
    """granian's RSGIHTTPProtocol: the body whole or in chunks, and what was answered."""

    def __init__(
        self,
        body: bytes = b"",
        chunks: Iterable[bytes] = (),
        *,
        never: bool = False,
        gone: bool = False,
        stream_takes: int = 1000,
    ) -> None:
        self.body, self.chunks, self.never, self.gone = body, list(chunks), never, gone
        self.reads = 0
        self.answer: tuple[str, int, list[tuple[str, str]], Any] | None = None
        self.streamed: list[bytes] = []
        self.stream_takes = stream_takes

    def __call__(self) -> Any:
        self.reads += 1

        async def whole() -> bytes:
            if self.gone:
                raise ProtocolClosed("closed")
            if self.never:
                await asyncio.Event().wait()
            return self.body

        return whole()

    def __aiter__(self) -> AsyncIterator[bytes]:
        async def chunks() -> AsyncIterator[bytes]:
            for chunk in self.chunks:
                self.reads += 1
                yield chunk

        return chunks()

    def response_bytes(self, status: int, headers: list[tuple[str, str]], body: bytes) -> None:
        self.answer = ("bytes", status, headers, body)

    def response_file(self, status: int, headers: list[tuple[str, str]], path: str) -> None:
        self.answer = ("file", status, headers, path)

    def response_stream(self, status: int, headers: list[tuple[str, str]]) -> Protocol:
        self.answer = ("stream", status, headers, self.streamed)
        return self

    def send_bytes(self, chunk: bytes) -> Any:
        if len(self.streamed) >= self.stream_takes:
            return _Gone()
        self.streamed.append(chunk)
        return _Taken()


class App:
    """A WSGI application that keeps the environ and body it got and answers `answer`."""

    def __init__(self, answer: Callable[[dict[str, Any]], Iterable[bytes]] | None = None) -> None:
        self.answer = answer or (lambda environ: [b"ok"])
        self.environ: dict[str, Any] | None = None
        self.body = b""

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        self.environ = environ
        self.body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        start_response("200 OK", [("Content-Type", "text/plain")])
        return self.answer(environ)


def serve(
    app: App, scope: Scope, protocol: Protocol, *, limit: int = 1000, seconds: float = 5
) -> None:
    bridge = Bridge(app, threads=2, max_body_bytes=limit, body_seconds=seconds)

    async def main() -> None:
        bridge.__rsgi_init__(asyncio.get_running_loop())
        try:
            await asyncio.wait_for(bridge.__rsgi__(scope, protocol), 10)  # type: ignore[arg-type]
        finally:
            bridge.__rsgi_del__(asyncio.get_running_loop())

    asyncio.run(main())


def _form(length: int | None, *more: tuple[str, str]) -> Scope:
    headers = [("content-type", "application/x-www-form-urlencoded"), *more]
    if length is not None:
        headers.append(("content-length", str(length)))
    return Scope("POST", "/form", *headers)


def test_a_body_is_read_whole_before_the_application_runs() -> None:
    app, protocol = App(), Protocol(b"a=1&b=2")
    serve(app, _form(7), protocol)
    assert app.body == b"a=1&b=2"
    assert protocol.answer == ("bytes", 200, [("Content-Type", "text/plain")], b"ok")


def test_a_content_length_over_the_limit_is_refused_before_any_of_it_is_read() -> None:
    app, protocol = App(), Protocol(b"x" * 1001)
    serve(app, _form(1001), protocol, limit=1000)
    assert protocol.reads == 0
    assert app.environ is not None
    assert (app.environ[REFUSED], app.environ["CONTENT_LENGTH"], app.body) == (413, "0", b"")
    assert protocol.answer is not None
    assert ("Connection", "close") in protocol.answer[2]


def test_a_body_that_does_not_arrive_in_time_is_refused() -> None:
    app, protocol = App(), Protocol(never=True)
    serve(app, _form(10), protocol, seconds=0.2)
    assert app.environ is not None
    assert (app.environ[REFUSED], app.body) == (408, b"")
    assert protocol.answer is not None
    assert ("Connection", "close") in protocol.answer[2]


def test_a_chunked_body_is_counted_as_it_arrives_and_refused_past_the_limit() -> None:
    app = App()
    protocol = Protocol(chunks=[b"x" * 600] * 5 + [b""])
    serve(app, _form(None, ("transfer-encoding", "chunked")), protocol, limit=1000)
    assert protocol.reads == 2  # not one chunk more than it took to pass the limit
    assert app.environ is not None
    assert app.environ[REFUSED] == 413


def test_a_chunked_body_within_the_limit_reaches_the_application_with_its_length() -> None:
    app = App()
    protocol = Protocol(chunks=[b"a=1", b"&b=2", b""])
    serve(app, _form(None, ("transfer-encoding", "chunked")), protocol)
    assert app.environ is not None
    assert (app.environ["CONTENT_LENGTH"], app.body) == ("7", b"a=1&b=2")
    assert REFUSED not in app.environ


def test_a_chunked_body_cut_short_is_not_handed_on() -> None:
    # granian's chunks of a body whose connection broke mid-chunk: what came, then two empties.
    app = App()
    protocol = Protocol(chunks=[b"email=ana@exa", b"", b""])
    serve(app, _form(None, ("transfer-encoding", "chunked")), protocol)
    assert (app.environ, protocol.answer) == (None, None)


def test_a_client_gone_while_sending_its_body_is_not_answered() -> None:
    app, protocol = App(), Protocol(gone=True)
    serve(app, _form(10), protocol)
    assert (app.environ, protocol.answer) == (None, None)


def test_the_environ_is_the_requests() -> None:
    app = App()
    scope = Scope(
        "GET",
        "/s/été/",
        ("cookie", "a=1"),
        ("cookie", "b=2"),
        ("accept", "text/html"),
        ("accept", "text/plain"),
        ("x-forwarded-for", "203.0.113.9"),
        ("x_forwarded_for", "198.51.100.1"),
    )
    scope.query_string, scope.client, scope.server = "a=1&b=%20", "[::1]:50000", "[::1]:8000"
    serve(app, scope, Protocol())
    environ = app.environ
    assert environ is not None
    assert environ["PATH_INFO"] == "/s/été/".encode().decode("latin-1")
    assert (environ["QUERY_STRING"], environ["REQUEST_METHOD"]) == ("a=1&b=%20", "GET")
    assert (environ["REMOTE_ADDR"], environ["SERVER_NAME"], environ["SERVER_PORT"]) == (
        "::1",
        "::1",
        "8000",
    )
    assert (environ["HTTP_COOKIE"], environ["HTTP_ACCEPT"]) == ("a=1;b=2", "text/html,text/plain")
    # The proxy's header, not a client's look-alike that would land on the same key.
    assert environ["HTTP_X_FORWARDED_FOR"] == "203.0.113.9"
    assert "CONTENT_LENGTH" not in environ and REFUSED not in environ


def test_an_http2_request_without_a_host_header_gets_its_authority() -> None:
    app, scope = App(), Scope("GET", "/")
    scope.headers, scope.authority, scope.http_version = Headers(), "sign.example.org", "2"
    serve(app, scope, Protocol())
    assert app.environ is not None
    assert app.environ["HTTP_HOST"] == "sign.example.org"


class Rows:
    """A streamed answer, as Django's StreamingHttpResponse is to a WSGI server."""

    streaming = True

    def __init__(self) -> None:
        self.made = 0
        self.closed = False

    def __iter__(self) -> Iterator[bytes]:
        for n in range(10):
            self.made += 1
            yield b"row %d\n" % n

    def close(self) -> None:
        self.closed = True


def test_a_streamed_answer_goes_out_chunk_by_chunk_until_the_client_goes() -> None:
    rows = Rows()
    protocol = Protocol(stream_takes=3)
    serve(App(lambda environ: rows), Scope("GET", "/export.csv"), protocol)
    assert protocol.streamed == [b"row 0\n", b"row 1\n", b"row 2\n"]
    assert (rows.made, rows.closed) == (4, True)  # made no more once the client had gone


def test_a_file_answer_is_sent_by_granian_from_its_path(tmp_path: Path) -> None:
    logo = tmp_path / "logo.png"
    logo.write_bytes(b"\x89PNG")
    opened = []

    def answer(environ: dict[str, Any]) -> Iterable[bytes]:
        opened.append(logo.open("rb"))
        return environ["wsgi.file_wrapper"](opened[0], 4096)  # type: ignore[no-any-return]

    protocol = Protocol()
    serve(App(answer), Scope("GET", "/media/logos/logo.png"), protocol)
    assert protocol.answer == ("file", 200, [("Content-Type", "text/plain")], str(logo))
    assert opened[0].closed


def test_an_error_in_the_application_reaches_granian_which_answers_500() -> None:
    def fail(environ: dict[str, Any]) -> Iterable[bytes]:
        raise RuntimeError("a bug")

    with pytest.raises(RuntimeError, match="a bug"):
        serve(App(fail), Scope("GET", "/"), Protocol())


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("status", "language", "text"),
    [
        (413, "en", "larger than this site accepts (4.0\xa0MB at most)"),
        (413, "es", "más de lo que este sitio acepta (4,0\xa0MB como máximo)"),
        (408, "en", "sent the form so slowly"),
        (408, "es", "envió el formulario tan despacio"),
    ],
)
def test_a_refused_body_is_answered_in_the_visitors_language(
    status: int, language: str, text: str
) -> None:
    response = Client().post(
        "/s/free-them/en/sign/", HTTP_ACCEPT_LANGUAGE=language, **{REFUSED: status}
    )
    assert response.status_code == status
    assert text in response.content.decode()
    assert "Content-Security-Policy" in response


# ---------------------------------------------------------------------------------------------
# A stored public page is answered on the event loop; anything else on a thread.


@functools.cache
def _site() -> Any:
    """The site's WSGI application, made once: each making sets Django's logging up afresh."""
    from django.core.wsgi import get_wsgi_application

    return get_wsgi_application()


class Recorded:
    """The site's own WSGI application, noting on which thread each run was."""

    def __init__(self) -> None:
        self.app = _site()
        self.threads: list[str] = []

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        self.threads.append(threading.current_thread().name)
        return self.app(environ, start_response)


def _page(*headers: tuple[str, str]) -> Scope:
    scope = Scope("GET", "/s/free-them/en/", *headers)
    scope.headers = Headers(("host", "testserver"), *headers)
    return scope


def _served(scope: Scope) -> tuple[list[str], Any]:
    app, protocol = Recorded(), Protocol()
    serve(app, scope, protocol)  # type: ignore[arg-type]
    assert protocol.answer is not None
    return app.threads, protocol.answer


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("query", ["", "src=friends"], ids=["plain", "share-link"])
def test_a_stored_public_page_is_answered_on_the_event_loop(
    statement: Statement, query: str
) -> None:
    stored = Client().get("/s/free-them/en/")
    scope = _page()
    scope.query_string = query  # a share link's source is not part of the stored page's key
    threads, (kind, status, _headers, body) = _served(scope)
    assert threads == ["MainThread"]  # asyncio.run's loop, where the bridge's coroutine runs
    assert (kind, status, body) == ("bytes", 200, stored.content)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    "scope",
    [
        pytest.param(lambda: _page(), id="not-stored"),
        pytest.param(lambda: _page(("cookie", "sessionid=x")), id="organiser"),
    ],
)
def test_a_page_not_stored_is_run_on_a_thread(
    statement: Statement, scope: Callable[[], Scope]
) -> None:
    from undersigned.lib import pagecache

    _site()  # Django set up, and its logging configured, before the handler goes on
    errors: list[logging.LogRecord] = []
    handler = logging.Handler(logging.ERROR)
    handler.emit = errors.append  # type: ignore[method-assign]
    # Django's request log does not reach the root logger, where caplog listens.
    logging.getLogger("django.request").addHandler(handler)
    try:
        Client().get("/s/free-them/en/")
        if "cookie" not in scope().headers:
            pagecache.clear()
            # As a page evicted from the store while its path is still listed.
            pagecache._paths.add("/s/free-them/en/")
        threads, (_kind, status, _headers, body) = _served(scope())
    finally:
        logging.getLogger("django.request").removeHandler(handler)
    # Tried on the loop and found missing before anything could wait; then run whole.
    assert threads[0] == "MainThread"
    assert threads[1].startswith("web-") and len(threads) == 2
    assert status == 200 and b"free-them" in body
    # Not by way of an error: nothing below the page cache ran on the loop.
    assert [record.getMessage() for record in errors] == []


def test_an_inline_run_that_fails_is_run_again_on_a_thread() -> None:
    from undersigned.lib import pagecache

    threads: list[str] = []

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        threads.append(threading.current_thread().name)
        if pagecache.INLINE in environ:
            start_response("500 Internal Server Error", [])
            return [b"SynchronousOnlyOperation"]
        start_response("200 OK", [])
        return [b"page"]

    pagecache._paths.add("/fails")
    try:
        protocol = Protocol()
        serve(app, Scope("GET", "/fails"), protocol)  # type: ignore[arg-type]
    finally:
        pagecache._paths.discard("/fails")
    assert threads[0] == "MainThread" and threads[1].startswith("web-")
    assert protocol.answer == ("bytes", 200, [], b"page")


# ---------------------------------------------------------------------------------------------
# granian's WSGI mode and the bridge, side by side: what an application is given.


def _granian(interface: str, target: str) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    granian = str(Path(sys.executable).parent / "granian")
    command = [granian, "--interface", interface, "--port", str(port), "--log-level", "error"]
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "undersigned.settings"}
    process = subprocess.Popen(  # noqa: S603 - our own granian and arguments
        [*command, target], cwd=ROOT, env=env, start_new_session=True
    )
    return process, f"127.0.0.1:{port}"


def _echo(address: str, method: str, path: str, headers: list[tuple[str, str]], body: bytes) -> Any:
    connection = HTTPConnection(address, timeout=30)
    try:
        connection.putrequest(method, path, skip_accept_encoding=True)
        for name, value in headers:
            connection.putheader(name, value)
        connection.endheaders(body or None)
        seen = json.loads(connection.getresponse().read())
    finally:
        connection.close()
    # The one thing that differs between the two servers: the port each listens on.
    port = address.rsplit(":", 1)[1]
    assert (seen.pop("SERVER_PORT"), seen.pop("HTTP_HOST")) == (port, address)
    return seen


def test_the_application_gets_what_granians_wsgi_mode_gave_it() -> None:
    servers = [
        _granian("wsgi", "undersigned.lib.tests.wsgiecho:application"),
        _granian("rsgi", "undersigned.lib.tests.wsgiecho:bridged"),
    ]
    requests = [
        ("GET", "/s/%C3%A9t%C3%A9/a%20b/?x=1&y=%20&z=%C3%A9", [("Accept-Language", "es")], b""),
        (
            "POST",
            "/s/slug/en/sign/",
            [
                ("Content-Type", "application/x-www-form-urlencoded"),
                ("Content-Length", "13"),
                ("Cookie", "a=1; b=2"),
                ("X-Many", "1"),
                ("X-Many", "2"),
                ("Origin", "http://127.0.0.1"),
            ],
            b"name=Ana&x=%C3",
        ),
    ]
    try:
        for process, address in servers:
            wait_until_serving(f"http://{address}", process)  # type: ignore[arg-type]
        for method, path, headers, body in requests:
            wsgi, bridged = (_echo(a, method, path, headers, body) for _, a in servers)
            assert bridged == wsgi
    finally:
        for process, _ in servers:
            process.terminate()
            process.wait(timeout=30)


# ---------------------------------------------------------------------------------------------
# The site, served as `manage.py serve` serves it, with slow clients.


@pytest.fixture(scope="module")
def media(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("media")


@pytest.fixture(scope="module")
def site(
    django_db_setup: None, tmp_path_factory: pytest.TempPathFactory, media: Path
) -> Iterator[WebServer]:
    """The production web server (two processes of 8 threads) on the test database, giving a
    body 3 seconds to arrive, with uploads in a folder of its own."""
    from django.conf import settings

    env = production_env(
        SECRET_KEY=settings.SECRET_KEY,
        REQUEST_BODY_SECONDS="3",
        MEDIA_ROOT=str(media),
        **database_env_of_tests(),
    )
    server = start_web_server(env, tmp_path_factory.mktemp("static"))
    try:
        yield server
    finally:
        server.stop()


class SlowClients:
    """`count` connections, each posting a sign form's headers and the first byte of a body of
    4,000: half of them then send a byte every fifth of a second, half nothing more. One that is
    answered (refused as too slow) is replaced, so that `count` stay open while the test runs.
    Everything is closed on leaving the `with`."""

    def __init__(self, port: int, path: str, count: int) -> None:
        self.port, self.count = port, count
        self.request = (
            f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 4000\r\n\r\nn"
        ).encode()
        self.selector = selectors.DefaultSelector()
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.replaced = 0
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _open(self, n: int) -> None:
        connection = socket.create_connection(("127.0.0.1", self.port), timeout=10)
        connection.sendall(self.request)
        connection.setblocking(False)
        with self.lock:
            self.selector.register(connection, selectors.EVENT_READ, n)

    def open_now(self) -> int:
        with self.lock:
            return len(self.selector.get_map())

    def _run(self) -> None:
        while not self.stop.is_set():
            with self.lock:
                ready = self.selector.select(0)
                keys = list(self.selector.get_map().values())
            for key, _ in ready:  # answered or closed: replace it
                with self.lock:
                    self.selector.unregister(key.fileobj)
                key.fileobj.close()  # type: ignore[union-attr]
                self.replaced += 1
                self._open(key.data)
            for key in keys:
                if key.data % 2 and key.fileobj not in {k.fileobj for k, _ in ready}:
                    try:
                        key.fileobj.send(b"x")  # type: ignore[union-attr]
                    except OSError:
                        pass
            self.stop.wait(0.2)

    def __enter__(self) -> SlowClients:
        for n in range(self.count):
            self._open(n)
        self.thread.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop.set()
        self.thread.join(timeout=10)
        with self.lock:
            for key in list(self.selector.get_map().values()):
                self.selector.unregister(key.fileobj)
                key.fileobj.close()  # type: ignore[union-attr]


def _timed(method: str, url: str, *args: Any) -> tuple[float, Any]:
    """A request with a client that waits up to 10 seconds, and how long its answer took."""
    start = time.monotonic()
    answer = http(method, url, *args, timeout=10)
    return time.monotonic() - start, answer


@pytest.mark.django_db(transaction=True)
def test_200_slow_bodies_leave_readers_and_signers_served(
    site: WebServer, own_statement: Statement
) -> None:
    port = int(site.url.rsplit(":", 1)[1])
    page_url = f"{site.url}/s/{own_statement.slug}/en/"
    sign_path = f"/s/{own_statement.slug}/en/sign/"
    http("GET", f"{site.url}/healthz")  # the processes are up and have read the statement
    emails = [f"reader{n}@example.net" for n in range(3)]
    times: dict[str, list[float]] = {"healthz": [], "page": [], "sign": []}
    with SlowClients(port, sign_path, 200) as slow:
        for _ in range(5):
            assert slow.open_now() >= 190
            took, answer = _timed("GET", f"{site.url}/healthz")
            assert answer.status == 200
            times["healthz"].append(took)
        for email in emails:
            assert slow.open_now() >= 190
            took, page = _timed("GET", page_url)
            assert page.status == 200
            times["page"].append(took)
            data = sign_data(own_statement, email=email) | hidden_fields(page.text, "sign")
            cookies = "; ".join(f"{k}={v}" for k, v in cookies_of(page).items())
            took, signed = _timed(
                "POST", site.url + sign_path, data, {"Cookie": cookies} if cookies else {}
            )
            assert signed.status in (302, 303)
            assert signed.header("Location") == f"/s/{own_statement.slug}/en/check-email/"
            times["sign"].append(took)
    assert {name: statistics.median(seconds) < 1 for name, seconds in times.items()} == {
        "healthz": True,
        "page": True,
        "sign": True,
    }, times
    stored = Signature.objects.filter(statement=own_statement, email_canonical__in=emails)
    assert stored.count() == 3


def _raw(port: int, request: bytes, seconds: float = 30) -> tuple[bytes, float]:
    """Send `request`, then read until the server closes the connection: what it answered, and
    after how long."""
    start = time.monotonic()
    with socket.create_connection(("127.0.0.1", port), timeout=seconds) as connection:
        connection.sendall(request)
        answer = b""
        while chunk := connection.recv(65536):
            answer += chunk
    return answer, time.monotonic() - start


@pytest.mark.django_db(transaction=True)
def test_a_body_too_slow_is_refused_with_408_and_the_connection_closed(
    site: WebServer, own_statement: Statement
) -> None:
    port = int(site.url.rsplit(":", 1)[1])
    answer, took = _raw(
        port,
        (
            f"POST /s/{own_statement.slug}/en/sign/ HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\nname="
        ).encode(),
    )
    assert answer.startswith(b"HTTP/1.1 408 ")
    assert b"connection: close" in answer.lower()
    assert took >= 3
    assert not Signature.objects.filter(statement=own_statement).exists()


@pytest.mark.django_db(transaction=True)
def test_a_body_too_large_is_refused_with_413_unread_or_once_counted(
    site: WebServer, own_statement: Statement
) -> None:
    from django.conf import settings

    port = int(site.url.rsplit(":", 1)[1])
    head = (
        f"POST /s/{own_statement.slug}/en/sign/ HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        "Accept-Language: es\r\nContent-Type: application/x-www-form-urlencoded\r\n"
    )
    # Announced: refused before a byte of it is sent.
    length = settings.REQUEST_BODY_MAX_BYTES + 1
    answer, _ = _raw(port, f"{head}Content-Length: {length}\r\n\r\n".encode())
    assert answer.startswith(b"HTTP/1.1 413 ")
    assert "más de lo que este sitio acepta" in answer.decode()
    # Chunked: refused once past the limit, however much more the client would send.
    chunk = b"%x\r\n%s\r\n" % (65536, b"x" * 65536)
    body = chunk * (settings.REQUEST_BODY_MAX_BYTES // 65536 + 2) + b"0\r\n\r\n"
    answer, _ = _raw(port, f"{head}Transfer-Encoding: chunked\r\n\r\n".encode() + body)
    assert answer.startswith(b"HTTP/1.1 413 ")
    assert not Signature.objects.filter(statement=own_statement).exists()


@pytest.mark.django_db(transaction=True)
def test_a_streamed_export_and_a_file_come_through_whole(
    site: WebServer, media: Path, own_statement: Statement, organiser: User
) -> None:
    from django.contrib.sessions.backends.db import SessionStore

    Signature.objects.bulk_create(
        Signature(
            statement=own_statement,
            language="en",
            name=f"Person {n}",
            email=f"p{n}@example.org",
            email_canonical=f"p{n}@example.org",
            consent_version="v",
            consent_at=timezone.now(),
            state=Signature.State.CONFIRMED,
            confirmed_at=timezone.now(),
        )
        for n in range(2100)  # past the export's chunk of 2,000 rows
    )
    session = SessionStore()
    session["_auth_user_id"] = str(organiser.pk)
    session["_auth_user_backend"] = "django.contrib.auth.backends.ModelBackend"
    session["_auth_user_hash"] = organiser.get_session_auth_hash()
    session.create()
    export = http(
        "GET",
        f"{site.url}/dashboard/s/{own_statement.slug}/signatures/export.csv",
        headers={"Cookie": f"sessionid={session.session_key}"},
    )
    assert (export.status, export.header("Transfer-Encoding")) == (200, "chunked")
    assert export.body.count(b"\r\n") == 2101  # the header row and every signature

    logo = bytes(range(256)) * 4000  # a megabyte: more than granian sends in one piece
    (media / "logos").mkdir(exist_ok=True)
    (media / "logos" / "red.png").write_bytes(logo)
    served = http("GET", f"{site.url}/media/logos/red.png")
    assert (served.status, served.body) == (200, logo)
    assert served.header("Content-Length") == str(len(logo))
