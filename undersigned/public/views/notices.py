"""Hiding a notice: a plain form on every page that shows one (see undersigned.updates.notices)."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.http import HttpRequest, HttpResponseRedirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from undersigned.updates import notices


# The form is on pages stored for everyone, which carry no CSRF token; hiding a notice changes
# nothing but a cookie of the reader's own browser.
@csrf_exempt
@require_POST
def hide_notice(request: HttpRequest, pk: int) -> HttpResponseRedirect:
    back = request.POST.get("next", "")
    if not back.startswith("/") or not url_has_allowed_host_and_scheme(
        back, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        back = "/"
    ids = [n for n in notices.hidden(request) if n != pk] + [pk]
    response = HttpResponseRedirect(back, status=303)
    response.set_cookie(
        notices.COOKIE,
        ",".join(str(n) for n in ids[-notices.REMEMBERED :]),
        max_age=int(dt.timedelta(days=365).total_seconds()),
        httponly=True,
        samesite="Lax",
        secure=settings.SESSION_COOKIE_SECURE,
    )
    return response
