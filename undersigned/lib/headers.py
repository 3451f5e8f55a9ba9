"""Security headers on every response, including the pages the public page cache serves.

Placed above undersigned.lib.pagecache in MIDDLEWARE, so a stored page passes through here on
its way out like any other. Django's SecurityMiddleware, above it, sends HSTS, nosniff and the
Referrer-Policy header.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Iterable
from urllib.parse import urlsplit

from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

logger = logging.getLogger(__name__)

# Nothing from another host, no inline script or style, no plugins, no <base>, no framing.
_POLICY: dict[str, tuple[str, ...]] = {
    "default-src": ("'self'",),
    "script-src": ("'self'",),
    "style-src": ("'self'",),
    "img-src": ("'self'",),
    "font-src": ("'self'",),
    "connect-src": ("'self'",),
    "object-src": ("'none'",),
    "base-uri": ("'none'",),
    "frame-ancestors": ("'none'",),
    "form-action": ("'self'",),
}
REPORT_PATH = "/csp-report/"
_ATTRIBUTE = "_csp_extra"


def policy(extra: dict[str, tuple[str, ...]] | None = None) -> str:
    """The Content-Security-Policy header's value, with `extra` sources added per directive."""
    directives = {name: list(sources) for name, sources in _POLICY.items()}
    for name, sources in (extra or {}).items():
        directives.setdefault(name, []).extend(sources)
    parts = [f"{name} {' '.join(sources)}" for name, sources in directives.items()]
    parts.append(f"report-uri {REPORT_PATH}")
    return "; ".join(parts)


_DEFAULT = policy()


def allow(response: HttpResponseBase, **sources: Iterable[str]) -> HttpResponseBase:
    """Widen the policy of one response: allow(response, form_action=["https:"])."""
    setattr(
        response,
        _ATTRIBUTE,
        {name.replace("_", "-"): tuple(values) for name, values in sources.items()},
    )
    return response


def widened(response: HttpResponseBase) -> dict[str, tuple[str, ...]] | None:
    """What allow() added to a response's policy, for a copy of it (the page cache's) to
    carry the same policy."""
    extra: dict[str, tuple[str, ...]] | None = getattr(response, _ATTRIBUTE, None)
    return extra


def widen(response: HttpResponseBase, extra: dict[str, tuple[str, ...]] | None) -> None:
    """Give a response the policy another one was widened to (see widened)."""
    if extra:
        setattr(response, _ATTRIBUTE, extra)


class SecurityHeadersMiddleware:
    """Content-Security-Policy everywhere; `Cache-Control: no-store` unless a view said otherwise.

    A response that carries no Cache-Control of its own may hold personal data (a confirmation
    page, an organiser page, the admin), so nothing keeps a copy of it. Public pages say so
    themselves (undersigned.lib.pagecache.public_cache, logos).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        return self.process_response(request, self.get_response(request))

    def process_response(
        self, request: HttpRequest, response: HttpResponseBase
    ) -> HttpResponseBase:
        extra = getattr(response, _ATTRIBUTE, None)
        response["Content-Security-Policy"] = policy(extra) if extra else _DEFAULT
        if "Cache-Control" not in response:
            response["Cache-Control"] = "no-store"
        return response


# A browser reports each blocked load; a page under attack could send thousands. Each server
# process logs at most this many reports a minute and drops the rest.
_REPORTS_PER_MINUTE = 30
_MAX_REPORT_BYTES = 8192
_reports_lock = threading.Lock()
_reports_window = [0.0, 0]  # start of the current minute, reports logged in it


def _take_report_slot() -> bool:
    now = time.monotonic()
    with _reports_lock:
        if now - _reports_window[0] >= 60:
            _reports_window[0], _reports_window[1] = now, 0
        if _reports_window[1] >= _REPORTS_PER_MINUTE:
            return False
        _reports_window[1] += 1
        return True


def _origin_of(url: object) -> str:
    """Only the scheme and host of a reported URL: its path could hold a link token."""
    if not isinstance(url, str):
        return "?"
    if "://" not in url:
        return url[:20]  # "inline", "eval", "data"...
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.hostname or ''}"


@csrf_exempt  # Browsers send reports without any token; nothing is stored.
@require_POST
def csp_report(request: HttpRequest) -> HttpResponse:
    """Log a Content-Security-Policy violation: which rule, and the origin of what was blocked.

    The page's own address, the referrer and the sample of blocked code are not logged, as they
    could carry tokens or what someone typed. Never fails: a bad report is dropped.
    """
    length = request.META.get("CONTENT_LENGTH") or "0"
    if not length.isdigit() or int(length) > _MAX_REPORT_BYTES:
        return HttpResponse(status=204)
    try:
        report = json.loads(request.body).get("csp-report", {})
    except (ValueError, AttributeError):
        return HttpResponse(status=204)
    if isinstance(report, dict) and _take_report_slot():
        directive = report.get("effective-directive") or report.get("violated-directive")
        logger.warning(
            "CSP violation: %s blocked %s",
            str(directive)[:40],
            _origin_of(report.get("blocked-uri")),
        )
    return HttpResponse(status=204)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """Django's CSRF refusal, as a page of this site in the visitor's language (Django's own
    has an inline style, which the policy blocks).
    """
    return render(request, "403_csrf.html", status=403)
