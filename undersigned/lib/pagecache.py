"""A short-lived, per-process cache of public pages, in front of every other middleware.

During a surge most requests are anonymous readers of a handful of pages (the statement, its
count, the first page of signers). Rendering each costs milliseconds; serving stored bytes
costs microseconds. A view opts in with `@public_cache(seconds)`; its response is kept only if
it is a 200 with no cookie set, and served only to requests without a session cookie, so a
logged-in organiser (who may see drafts) always gets a fresh page. Each server process keeps
its own copy: `clear` drops this process's pages at once, and other processes show a change
once their copy is `seconds` old (see docs/production.md for how long that can be).

A page that was being rendered while its path was cleared is not stored: it may hold what
the change removed (a withdrawn signer's name), and would be served for `seconds` after it.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from contextlib import suppress
from functools import wraps
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, QueryDict
from django.http.response import HttpResponseBase
from django.utils.cache import patch_cache_control

from undersigned.lib import conditional, headers

_MAX_ENTRIES = 2000
# While one thread renders a fresh copy of an expired page, the others serve the expired one, if
# it expired less than this many seconds ago, instead of all rendering it at once.
_GRACE = 10.0
_ATTRIBUTE = "_public_cache_seconds"

# key -> (expires at, status, headers, body, the sources its Content-Security-Policy was
# widened by: see undersigned.lib.headers.allow)
_Entry = tuple[float, int, list[tuple[str, str]], bytes, dict[str, tuple[str, ...]] | None]
_store: OrderedDict[str, _Entry] = OrderedDict()
# Query parameters a cached page may vary on; a request with any other is not cached, or every
# made-up parameter would make (and store) a page of its own.
_PARAMETERS = frozenset({"before", "after", "kind", "language"})
# Query parameters that never change a page: a share link's source, read by site.js in the
# reader's browser. Its pages are the same page, stored once.
_IGNORED = frozenset({"src"})
# Monotonic, so that a jump of the wall clock neither freezes nor flushes the store.
clock = time.monotonic
_lock = threading.Lock()
_refreshing: set[str] = set()
# Each clear's number, counted under _lock, and the number of the last clear of each prefix:
# a render tells from them whether its path was cleared while it ran.
_clears = 0
_cleared: dict[str, int] = {}
# Cookies, besides the session's, that make a page the reader's own (see personal_cookie).
_PERSONAL: set[str] = set()


def personal_cookie(name: str) -> None:
    """Register a cookie whose reader gets pages rendered for them, never stored ones: a
    choice of theirs that changes the page, such as a notice they hid."""
    _PERSONAL.add(name)


def _personal(request: HttpRequest) -> bool:
    """Whether the request carries the session cookie or a personal one."""
    cookies = request.COOKIES
    return settings.SESSION_COOKIE_NAME in cookies or any(name in cookies for name in _PERSONAL)


# The paths (with their query) of the pages stored, for the server to tell cheaply which
# requests may be answered from here (see INLINE); one no longer stored only costs a try.
_paths: set[str] = set()

# Set in a request's environ by a server that runs it where it must not wait (the event loop of
# undersigned.lib.rsgi): it is answered from a fresh stored page only. Anything else marks it
# MISSED at once, before any middleware below this one or any view could reach the database,
# and the server runs it again, whole, on a thread.
INLINE = "undersigned.pagecache.inline"
MISSED = "undersigned.pagecache.missed"


def may_hold(path: str, query: str) -> bool:
    """Whether a page at `path` with `query` may be stored, in this process."""
    if not query:
        return path in _paths
    if any(f"{name}=" in query for name in _IGNORED):
        # A share link's page: stored without its source, as _cached_path keys it.
        kept = QueryDict(query, mutable=True)
        for name in _IGNORED:
            kept.pop(name, None)
        query = kept.urlencode()
        if not query:
            return path in _paths
    return f"{path}?{query}" in _paths


def public_cache(seconds: float) -> Callable[[Callable[..., HttpResponse]], Callable[..., Any]]:
    """Mark a view's responses as the same for every anonymous reader for `seconds`."""

    def decorate(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            response = view(request, *args, **kwargs)
            if _personal(request):
                # Perhaps an organiser looking at a draft: for nobody else's eyes.
                patch_cache_control(response, private=True, no_store=True)
            elif response.status_code == 200:
                setattr(response, _ATTRIBUTE, seconds)
                patch_cache_control(response, public=True, max_age=int(seconds))
            return response

        return wrapped

    return decorate


def clear(prefix: str = "") -> None:
    """Forget this process's stored pages whose path starts with `prefix` (all by default),
    and do not store any page of theirs whose rendering began before now."""
    global _clears
    with _lock:
        _clears += 1
        if len(_cleared) >= _MAX_ENTRIES:
            # Too many prefixes remembered: count this one as a clear of everything.
            _cleared.clear()
            prefix = ""
        _cleared[prefix] = _clears
        # A copy first, in one step: readers reorder the store without the lock, and iterating
        # it while one does would fail.
        keys = list(_store)
        for key in keys:
            if _path(key).startswith(prefix):
                _store.pop(key, None)
        _paths.intersection_update(_path(key) for key in list(_store))


def _cleared_since(key: str, clears: int) -> bool:
    """Whether the page at `key` was cleared after the clear numbered `clears`. Under _lock."""
    if _clears == clears:
        return False
    path = _path(key)
    return any(n > clears and path.startswith(prefix) for prefix, n in _cleared.items())


def _path(key: str) -> str:
    """The path of a stored page's key (scheme://host/path?query)."""
    return "/" + key.split("://", 1)[-1].split("/", 1)[-1]


def _cached_path(request: HttpRequest) -> str:
    if _IGNORED.isdisjoint(request.GET):
        return request.get_full_path()
    query = request.GET.copy()
    for name in _IGNORED:
        query.pop(name, None)
    path = request.get_full_path().partition("?")[0]
    return path + (f"?{query.urlencode()}" if query else "")


def _replay(entry: _Entry) -> HttpResponse:
    _expires, status, stored, body, widened = entry
    response = HttpResponse(body, status=status)
    for name, value in stored:
        response[name] = value
    headers.widen(response, widened)
    return response


def _missed(request: HttpRequest) -> HttpResponse:
    """The answer to an INLINE request that no stored page answers: never sent."""
    request.META[MISSED] = True
    return HttpResponse(status=204)  # no 5xx, which Django would log as an error


class PublicPageCacheMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self._respond(request)
        # A feed reader's poll with the validators of what it has: a 304 if they still match.
        return conditional.answer(request, response) if conditional.asks(request) else response

    def _respond(self, request: HttpRequest) -> HttpResponseBase:
        inline = INLINE in request.META
        if (
            request.method not in ("GET", "HEAD")
            or _personal(request)
            or not (_PARAMETERS | _IGNORED).issuperset(request.GET)
        ):
            return _missed(request) if inline else self.get_response(request)
        # get_host() refuses a host not in ALLOWED_HOSTS, as CommonMiddleware would.
        key = f"{request.scheme}://{request.get_host()}{_cached_path(request)}"
        now = clock()
        entry = _store.get(key)
        if entry is not None and entry[0] > now:
            with suppress(KeyError):  # evicted by another thread meanwhile
                _store.move_to_end(key)
            return _replay(entry)
        if inline:
            return _missed(request)
        if entry is not None and entry[0] + _GRACE > now:
            with _lock:
                busy = key in _refreshing
                _refreshing.add(key)
            if busy:
                return _replay(entry)
            try:
                return self._fetch(request, key, now)
            finally:
                _refreshing.discard(key)
        return self._fetch(request, key, now)

    def _fetch(self, request: HttpRequest, key: str, now: float) -> HttpResponseBase:
        clears = _clears
        response = self.get_response(request)
        seconds = getattr(response, _ATTRIBUTE, None)
        if not (seconds and not response.cookies and isinstance(response, HttpResponse)):
            # No longer a public page (unpublished, say): stop serving the old copy.
            _store.pop(key, None)
        else:
            with _lock:
                if _cleared_since(key, clears):
                    # Rendered from what was read before a change: this reader gets it,
                    # the next one a fresh page.
                    return response
                while len(_store) >= _MAX_ENTRIES:
                    _store.popitem(last=False)  # the least recently used
                if len(_paths) >= 2 * _MAX_ENTRIES:
                    _paths.intersection_update(_path(stored) for stored in list(_store))
                _paths.add(_path(key))
                _store[key] = (
                    now + seconds,
                    response.status_code,
                    list(response.items()),
                    response.content,
                    headers.widened(response),
                )
        return response
