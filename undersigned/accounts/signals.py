"""Audit rows for logins and logouts, and the session's clocks for the timeouts."""

from __future__ import annotations

import time
from typing import Any

from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.dispatch import receiver
from django.http import HttpRequest

from undersigned.audit.models import record

AUTH_AT = "_auth_at"
SEEN_AT = "_seen_at"
VERIFIED = "_two_factor_verified"
# Where someone sent to set up two-factor authentication was going (see middleware).
AFTER_ENROLMENT = "_two_factor_then"


@receiver(user_logged_in)
def _logged_in(sender: Any, request: HttpRequest, user: Any, **kwargs: Any) -> None:
    now = int(time.time())
    request.session[AUTH_AT] = now
    request.session[SEEN_AT] = now
    record("auth.login", actor=user)


@receiver(user_logged_out)
def _logged_out(sender: Any, request: HttpRequest, user: Any, **kwargs: Any) -> None:
    if user is not None:
        record("auth.logout", actor=user)
