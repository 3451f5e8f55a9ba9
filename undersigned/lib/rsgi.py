"""The site's WSGI application (Django), served through granian's RSGI interface.

In WSGI mode granian calls the application on one of its Python threads as soon as a request's
headers have arrived, and `wsgi.input.read()` then waits on that thread for the body: a few
dozen clients that send a body slowly, or announce one and send nothing, hold every thread and
nobody else is served. Here the body is read first, by the event loop, where a waiting client
holds no thread: within `body_seconds`, and up to `max_body_bytes` (a larger Content-Length is
refused before anything is read, a chunked body is counted as it arrives). Only a request whose
body is all in is handed to a thread of the pool, which runs the WSGI application on it and
sends the answer itself.

A request for a page the public page cache holds (undersigned.lib.pagecache) is answered on the
event loop itself, through the same middleware: handing it to a thread and back would cost more
than answering it. The page cache answers such a request from memory or marks it missed before
anything below it runs, and a missed one goes to a thread like any other.

A body refused (too slow: 408, too large: 413) still goes to the application, without its body
and with `REFUSED` in its environ, so that the site answers in the visitor's language through
its own middleware (`RefusedBodyMiddleware`); the connection is then closed.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import io
import os
import queue
import resource
import sys
import threading
from collections.abc import Callable, Iterable, Iterator
from typing import IO, Any

from django.conf import settings
from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.template.defaultfilters import filesizeformat
from django.utils import translation
from granian._granian import RSGIHeaders as Headers
from granian._granian import RSGIHTTPProtocol as HTTPProtocol
from granian._granian import RSGIProtocolClosed as ProtocolClosed
from granian._granian import RSGIProtocolError as ProtocolError
from granian.rsgi import Scope

from undersigned.lib import pagecache

# The environ key that tells the application a body was refused, and with which status.
REFUSED = "undersigned.refused"

_WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
# A request whose method has no body (HTTP/2 says so with its frames, not with a header).
_BODILESS = frozenset({"GET", "HEAD", "OPTIONS"})
# Header name -> environ key, for the headers clients send (a few dozen names); "" for a name
# with an underscore, which is dropped (see Bridge._environ).
_KEYS: dict[str, str] = {"content-type": "CONTENT_TYPE", "content-length": "CONTENT_LENGTH"}
# Requests the public page cache may answer.
_CACHED = frozenset({"GET", "HEAD"})
# What granian's scope says -> what WSGI says.
_PROTOCOLS = {"1": "HTTP/1", "1.1": "HTTP/1.1", "2": "HTTP/2", "3": "HTTP/3"}


def _key(name: str) -> str:
    key = _KEYS[name] = "" if "_" in name else "HTTP_" + name.upper().replace("-", "_")
    return key


def _host_port(address: str) -> tuple[str, str]:
    """`127.0.0.1:8000` or `[::1]:8000` -> ("127.0.0.1", "8000") or ("::1", "8000")."""
    host, _, port = address.rpartition(":")
    return host.strip("[]"), port


class _File:
    """`wsgi.file_wrapper`: a file response that granian sends itself, from the file's path,
    with no thread of ours reading it; a file without a path is read as a stream."""

    def __init__(self, filelike: IO[bytes], block_size: int = 8192) -> None:
        self.filelike, self.block_size = filelike, block_size

    def path(self) -> str | None:
        name = getattr(self.filelike, "name", None)
        return os.path.abspath(name) if isinstance(name, str) and os.path.isfile(name) else None

    def __iter__(self) -> Iterator[bytes]:
        return iter(lambda: self.filelike.read(self.block_size), b"")

    def close(self) -> None:
        # Django makes this the response's close(), which also ends the request.
        self.filelike.close()


def _sent(awaitable: Any) -> bool:
    """Whether a chunk handed to a stream was taken. granian's stream takes it at once and
    returns an awaitable that is already done, or that raises if the client has gone."""
    try:
        for _ in awaitable.__await__():
            pass
    except (ProtocolClosed, ProtocolError):
        return False
    return True


class Bridge:
    """An RSGI application (`__rsgi__`) that runs a WSGI application on a pool of threads."""

    def __init__(
        self, app: _WSGIApp, *, threads: int, max_body_bytes: int, body_seconds: float
    ) -> None:
        self.app = app
        self.threads = threads
        self.max_body_bytes = max_body_bytes
        self.body_seconds = body_seconds
        self.jobs: queue.SimpleQueue[
            tuple[Scope, Headers, HTTPProtocol, bytes, int, Any] | None
        ] = queue.SimpleQueue()
        # Requests the threads have answered, whose coroutines the loop is yet to finish: one
        # wake-up of the loop finishes all that are there by then.
        self.finished: collections.deque[tuple[Any, BaseException | None]] = collections.deque()
        self.wake_pending = False
        # The listening address, as granian gives it -> SERVER_NAME and SERVER_PORT.
        self.servers: dict[str, tuple[str, str]] = {}
        self.base: dict[str, Any] = {
            "GATEWAY_INTERFACE": "CGI/1.1",
            "SCRIPT_NAME": "",
            "SERVER_SOFTWARE": "Granian",
            "wsgi.errors": sys.stderr,
            "wsgi.file_wrapper": _File,
            "wsgi.input_terminated": True,
            "wsgi.multiprocess": False,
            "wsgi.multithread": True,
            "wsgi.run_once": False,
            "wsgi.version": (1, 0),
        }

    # Called by granian in each worker process before it serves, and when it stops.
    def __rsgi_init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        # A slow client costs a connection, not a thread: let the process hold as many as the
        # system allows (service managers often start it with a soft limit of 1,024 files).
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        if soft != hard:
            with contextlib.suppress(ValueError, OSError):
                resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
        for n in range(self.threads):
            threading.Thread(target=self._work, name=f"web-{n}", daemon=True).start()

    def __rsgi_del__(self, loop: asyncio.AbstractEventLoop) -> None:
        for _ in range(self.threads):
            self.jobs.put(None)

    async def __rsgi__(self, scope: Scope, protocol: HTTPProtocol) -> None:
        if scope.proto != "http":  # a WebSocket: the site has none (served with --no-ws)
            return
        headers = scope.headers
        body, refused = b"", 0
        length = headers.get("content-length")
        try:
            if length is not None and "transfer-encoding" not in headers:
                # hyper has checked that it is a number, and reads no more than it says.
                if int(length) > self.max_body_bytes:
                    refused = 413
                elif length != "0":
                    body, refused = await self._read(protocol())
            elif "transfer-encoding" in headers or (
                scope.http_version == "2" and scope.method not in _BODILESS
            ):
                chunked = scope.http_version != "2"
                body, refused = await self._read(self._counted(protocol, chunked))
        except (ProtocolClosed, ProtocolError):
            return  # the client has gone: nobody to answer
        if length is None and scope.method in _CACHED and "transfer-encoding" not in headers:
            if pagecache.may_hold(scope.path, scope.query_string):
                environ = self._environ(scope, headers, b"", 0)
                environ[pagecache.INLINE] = True
                if self._respond(protocol, environ, 0):
                    return
        done = self.loop.create_future()
        self.jobs.put((scope, headers, protocol, body, refused, done))
        await done

    async def _read(self, reading: Any) -> tuple[bytes, int]:
        """The body, or the status it is refused with."""
        try:
            async with asyncio.timeout(self.body_seconds):
                return await reading, 0
        except TimeoutError:
            return b"", 408
        except _TooLarge:
            return b"", 413

    async def _counted(self, protocol: HTTPProtocol, chunked: bool) -> bytes:
        """A body of unknown length, refused as soon as it passes the limit.

        granian's chunks end with one empty chunk; an HTTP/1.1 chunked body cut short (the
        client went away mid-chunk) or with trailers (which browsers never send) gives an empty
        chunk before that one, and is dropped rather than handed on incomplete."""
        chunks, size, empty = [], 0, 0
        async for chunk in protocol:
            if not chunk:
                empty += 1
                continue
            size += len(chunk)
            if size > self.max_body_bytes:
                raise _TooLarge
            chunks.append(chunk)
        if chunked and empty > 1:
            raise ProtocolClosed("the body did not arrive whole")
        return b"".join(chunks)

    def _work(self) -> None:
        call_soon = self.loop.call_soon_threadsafe
        while (job := self.jobs.get()) is not None:
            scope, headers, protocol, body, refused, done = job
            error = None
            try:
                self._respond(protocol, self._environ(scope, headers, body, refused), refused)
            except BaseException as exc:  # noqa: BLE001 - granian logs it and answers 500
                error = exc
            self.finished.append((done, error))
            if not self.wake_pending:
                self.wake_pending = True
                call_soon(self._finish)

    def _finish(self) -> None:
        self.wake_pending = False
        while self.finished:
            done, error = self.finished.popleft()
            if done.done():
                continue
            if error is None:
                done.set_result(None)
            else:
                done.set_exception(error)

    def _environ(self, scope: Scope, headers: Headers, body: bytes, refused: int) -> dict[str, Any]:
        """The WSGI environ, as granian's WSGI mode makes it (PATH_INFO as latin-1 text of the
        decoded path's bytes; repeated headers joined by commas, cookies by semicolons), with
        these differences: a header name with an underscore is dropped, as nginx does, or
        `X_Forwarded_For` would land on the key of the proxy's `X-Forwarded-For`; the process's
        own environment variables are not copied in; a path whose escapes are not UTF-8 comes
        with U+FFFD where they were (granian decodes it so), which no route of the site takes.
        """
        environ = self.base.copy()
        path = scope.path
        if not path.isascii():
            path = path.encode().decode("latin-1")
        server = scope.server
        if (where := self.servers.get(server)) is None:
            where = self.servers[server] = _host_port(server)
        environ["SERVER_NAME"], environ["SERVER_PORT"] = where
        environ["REMOTE_ADDR"] = _host_port(scope.client)[0]
        environ["REQUEST_METHOD"] = scope.method
        environ["PATH_INFO"] = path
        environ["QUERY_STRING"] = scope.query_string
        environ["SERVER_PROTOCOL"] = _PROTOCOLS.get(scope.http_version, "HTTP/1.1")
        environ["wsgi.url_scheme"] = scope.scheme
        keys = _KEYS
        for name, value in headers.items():
            if (key := keys.get(name)) is None:
                key = _key(name)
            if not key:
                continue
            if key in environ:
                value = environ[key] + (";" if name == "cookie" else ",") + value
            environ[key] = value
        if "HTTP_HOST" not in environ:
            environ["HTTP_HOST"] = scope.authority or ""
        if refused:
            environ[REFUSED] = refused
            environ["CONTENT_LENGTH"] = "0"
        elif body:
            # A chunked body is whole now: the application reads it by its length.
            environ["CONTENT_LENGTH"] = str(len(body))
        environ["wsgi.input"] = io.BytesIO(body)
        return environ

    def _respond(self, protocol: HTTPProtocol, environ: dict[str, Any], refused: int) -> bool:
        """Run the application and send what it answers: at once if it is bytes, from its path
        if it is a file, chunk by chunk as the application makes them if it is a stream.

        For a request the page cache was to answer on the event loop (pagecache.INLINE), send
        nothing and return False if it did not: a page not stored, or a 500 (something below
        the page cache reached the database, which Django refuses on an event loop's thread),
        to be run again on a thread."""
        started: list[Any] = []

        def start_response(
            status: str, headers: list[tuple[str, str]], exc_info: Any = None
        ) -> None:
            started[:] = [int(status[:3]), headers]

        result = self.app(environ, start_response)
        try:
            status, headers = started
            if pagecache.INLINE in environ and (pagecache.MISSED in environ or status == 500):
                return False
            if refused:  # the rest of the body may be on its way: no next request on this one
                headers = [*headers, ("Connection", "close")]
            if isinstance(result, _File) and (path := result.path()):
                protocol.response_file(status, headers, path)
            elif getattr(result, "streaming", False) or isinstance(result, _File):
                stream = protocol.response_stream(status, headers)
                for chunk in result:
                    if chunk and not _sent(stream.send_bytes(chunk)):
                        break  # the client has gone
            else:
                protocol.response_bytes(status, headers, b"".join(result))
            return True
        finally:
            close = getattr(result, "close", None)
            if close is not None:
                close()


class _TooLarge(Exception):
    """A chunked body went past the limit while it was read."""


class RefusedBodyMiddleware:
    """Answers a request whose body the bridge refused, in the visitor's language, before any
    other middleware could take it for an empty form. Placed right after the middleware that
    set security headers, so that the page has them too."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        refused = request.META.get(REFUSED)
        if refused is None:
            return self.get_response(request)
        with translation.override(translation.get_language_from_request(request)):
            return render(
                request,
                "body_refused.html",
                {
                    "too_large": refused == 413,
                    "limit": filesizeformat(settings.REQUEST_BODY_MAX_BYTES),
                },
                status=refused,
            )
