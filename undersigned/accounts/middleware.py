"""Session timeouts and the two-factor requirement, for every logged-in request."""

from __future__ import annotations

import time
from collections.abc import Callable
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.urls import reverse

from undersigned.accounts.security import has_two_factor
from undersigned.accounts.signals import AFTER_ENROLMENT, AUTH_AT, SEEN_AT, VERIFIED
from undersigned.audit.models import record

# Write the idle clock at most this often: not one session save per request.
_SEEN_RESOLUTION = 60


class AccountSecurityMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        if settings.SESSION_COOKIE_NAME not in request.COOKIES:
            # No session, so nobody logged in: nothing to load.
            return self.get_response(request)
        user = request.user
        if not user.is_authenticated:
            return self.get_response(request)
        now = int(time.time())
        session = request.session
        auth_at = session.setdefault(AUTH_AT, now)
        seen_at = session.setdefault(SEEN_AT, now)
        if (
            now - auth_at > settings.SESSION_ABSOLUTE_SECONDS
            or now - seen_at > settings.SESSION_IDLE_SECONDS
        ):
            record("auth.session_expired", actor=user)
            logout(request)
            return self.get_response(request)
        if now - seen_at >= _SEEN_RESOLUTION:
            session[SEEN_AT] = now
        if not session.get(VERIFIED) and _needs_two_factor(request):
            return _to_enrolment(request)
        return self.get_response(request)


def _needs_two_factor(request: HttpRequest) -> bool:
    # An account with two-factor on is verified at login; one logged in without (an old
    # session) must add it now. With TWO_FACTOR_REQUIRED every account must.
    if not (settings.TWO_FACTOR_REQUIRED or has_two_factor(request.user)):
        return False
    open_paths = (
        reverse("account_security"),
        reverse("logout"),
        reverse("set_language"),
        reverse("csp_report"),
        settings.STATIC_URL,
    )
    return not request.path.startswith(open_paths)


def _to_enrolment(request: HttpRequest) -> HttpResponseRedirect:
    if has_two_factor(request.user):
        # Two-factor is on but this session never gave a code: log in again, properly.
        logout(request)
        return HttpResponseRedirect(
            reverse("login") + "?" + urlencode({"next": request.get_full_path()})
        )
    # Once it is set up they go on to where they were going (an invitation they opened, the
    # organisation they just joined): kept here rather than in the address, which may hold a
    # token. Only a page they opened: not the favicon or a script's fetch that follows it.
    navigating = request.headers.get("Sec-Fetch-Mode", "navigate") == "navigate"
    if request.method in ("GET", "HEAD") and navigating:
        request.session[AFTER_ENROLMENT] = request.get_full_path()
    return HttpResponseRedirect(reverse("account_security"))
