"""The sign form's own token, in place of Django's CSRF cookie.

Signing needs no account, so a forged cross-site POST can do nothing a visitor could not do by
hand; what matters is that the statement page stays the same for every visitor, so it can be
cached and served during a surge. Django's CSRF token ties the page to a cookie of each
visitor; this token is the same for everyone for a while: the statement's id and the time the
page was made, signed with SECRET_KEY. The sign view also refuses a POST whose Origin header
names another site.
"""

from __future__ import annotations

import enum
import time

from django.conf import settings
from django.core import signing
from django.http import HttpRequest

_SALT = "undersigned.sign-form"
# A page left open longer than this asks the signer to press Sign again (nothing typed is lost).
MAX_AGE_SECONDS = 3 * 24 * 3600


class TokenState(enum.Enum):
    VALID = "valid"
    EXPIRED = "expired"
    INVALID = "invalid"


def issue(statement_id: int | str, at: float | None = None) -> str:
    """A token for the statement's form, made now or (for tests and tools) at `at`. Another
    form's subject is a string of its own ("event-12"), never a bare number."""
    signer = signing.TimestampSigner(salt=_SALT)
    if at is None:
        return signer.sign(str(statement_id))
    stamped = f"{statement_id}{signer.sep}{signing.b62_encode(int(at))}"
    return signing.Signer.sign(signer, stamped)


def check(value: str, statement_id: int | str) -> TokenState:
    signer = signing.TimestampSigner(salt=_SALT)
    try:
        signed = signer.unsign(value, max_age=MAX_AGE_SECONDS)
    except signing.SignatureExpired:
        return TokenState.EXPIRED
    except signing.BadSignature:
        return TokenState.INVALID
    return TokenState.VALID if signed == str(statement_id) else TokenState.INVALID


def age_seconds(value: str) -> float:
    """How long ago a token (already checked) was made; the page may have been cached a little
    while, so this is at least the time the visitor had the form."""
    try:
        timestamp = signing.b62_decode(value.rsplit(signing.Signer().sep, 2)[-2])
    except (IndexError, ValueError):
        return 0.0
    return time.time() - timestamp


def same_origin(request: HttpRequest) -> bool:
    """False when a browser says the form was sent from another site."""
    # From META: request.headers builds a mapping of every header first, a cost the sign
    # POST need not pay.
    origin = request.META.get("HTTP_ORIGIN")
    if origin is None:
        return True
    own = f"{request.scheme}://{request.get_host()}"
    if origin == own:
        return True
    # As Django's CSRF check reads CSRF_TRUSTED_ORIGINS: exact, or https://*.example.org.
    for trusted in settings.CSRF_TRUSTED_ORIGINS:
        if "*" in trusted:
            scheme, _sep, host = trusted.partition("://*")
            if origin.startswith(f"{scheme}://") and origin.endswith(host):
                return True
        elif origin == trusted:
            return True
    return False
