"""A short-lived, per-process cache of public pages, in front of every other middleware.

During a surge most requests are anonymous readers of a handful of pages (the statement, its
count, the first page of signers). Rendering each costs milliseconds; serving stored bytes
costs microseconds. A view opts in with `@public_cache(seconds)`; its response is kept only if
it is a 200 with no cookie set, and served only to requests without a session cookie, so a
logged-in organiser (who may see drafts) always gets a fresh page. Each server process keeps
its own copy, so a change shows everywhere within `seconds`.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.utils.cache import patch_cache_control

_MAX_ENTRIES = 2000
# While one thread renders a fresh copy of an expired page, the others serve the expired one, if
# it expired less than this many seconds ago, instead of all rendering it at once.
_GRACE = 10.0
_ATTRIBUTE = "_public_cache_seconds"

# key -> (expires at, status, headers, body)
_store: dict[str, tuple[float, int, list[tuple[str, str]], bytes]] = {}
# Monotonic, so that a jump of the wall clock neither freezes nor flushes the store.
clock = time.monotonic
_lock = threading.Lock()
_refreshing: set[str] = set()


def public_cache(seconds: float) -> Callable[[Callable[..., HttpResponse]], Callable[..., Any]]:
    """Mark a view's responses as the same for every anonymous reader for `seconds`."""

    def decorate(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            response = view(request, *args, **kwargs)
            if response.status_code == 200:
                setattr(response, _ATTRIBUTE, seconds)
                patch_cache_control(response, public=True, max_age=int(seconds))
            return response

        return wrapped

    return decorate


def clear(prefix: str = "") -> None:
    """Forget this process's stored pages whose path starts with `prefix` (all by default)."""
    with _lock:
        for key in [key for key in _store if key.startswith(prefix)]:
            del _store[key]


def _replay(entry: tuple[float, int, list[tuple[str, str]], bytes]) -> HttpResponse:
    _expires, status, headers, body = entry
    response = HttpResponse(body, status=status)
    for name, value in headers:
        response[name] = value
    return response


class PublicPageCacheMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        if request.method not in ("GET", "HEAD") or settings.SESSION_COOKIE_NAME in request.COOKIES:
            return self.get_response(request)
        key = request.get_full_path()
        now = clock()
        entry = _store.get(key)
        if entry is not None and entry[0] > now:
            return _replay(entry)
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
        response = self.get_response(request)
        seconds = getattr(response, _ATTRIBUTE, None)
        if seconds and not response.cookies and isinstance(response, HttpResponse):
            with _lock:
                if len(_store) >= _MAX_ENTRIES:
                    expired = [k for k, value in _store.items() if value[0] + _GRACE <= now]
                    for stale in expired or list(_store)[:100]:
                        _store.pop(stale, None)
                _store[key] = (
                    now + seconds,
                    response.status_code,
                    list(response.items()),
                    response.content,
                )
        return response
