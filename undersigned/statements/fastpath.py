"""The plain sign POST, answered before Django handles the request.

In a surge nearly every request is a sign form's POST, and nearly all of them are valid. For
such a request Django's request handling (the middleware chain, URL resolution, the form's
bound fields and error lists) took a third of the web processes' CPU. In the
sign benchmark (bench/, issue 3) the web processes spent 1.19-1.36 ms of CPU per signature
through Django and 0.86-0.91 ms through this path on SQLite, signing 915 against 1,219 a
second (medians of 3 runs, alternated); on PostgreSQL 1.15-1.25 against 0.88-0.92 ms, 819
against 927 a second.

`SignFastPath` wraps Django's WSGI application. A POST to a statement's sign address, from a
visitor without a session, whose form `signing.plain_form` finds plainly valid, is stored
with the view's own checks and writes, and answered with the redirect the view gives, passed
through the response side of each middleware that sets headers, so the answer is the one
Django would have sent. Everything else goes to Django unchanged, and every sign POST that is
not plainly valid too: the view answers it (with the form's errors, say). Nothing is stored
twice: the request goes to Django only before anything is stored; an error while storing, or
in a middleware's response side once stored, is answered as Django's chain answers it.

`SIGN_FAST_PATH=0` turns it off. It also stays off, logged once, when MIDDLEWARE holds a
middleware it does not know, when the sign view is not CSRF-exempt or with ATOMIC_REQUESTS:
Django's answer could then differ from its own.
"""

from __future__ import annotations

import functools
import io
import logging
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from django.conf import settings
from django.core import signals
from django.core.handlers.exception import response_for_exception
from django.core.handlers.wsgi import WSGIRequest, get_script_name
from django.http import HttpRequest, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.urls import set_script_prefix
from django.utils.datastructures import MultiValueDict
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)

# The sign view's address (undersigned.urls, name "sign"); a test checks the two agree.
SIGN_PATH = re.compile(
    r"/s/(?P<slug>[-a-zA-Z0-9_]+)/(?P<language>[A-Za-z]{2,3}(?:-[A-Za-z0-9]{1,8})*)/sign/"
)

# What each middleware of MIDDLEWARE does for a sign POST from a visitor without a session
# cookie. RUN: its process_request and process_response, run here in the chain's order (the
# headers of the answer; a refusal or redirect sends the request to Django instead). RESPONSE:
# its process_response only. NOTHING: nothing, for such a request. A middleware not listed
# keeps the fast path off.
RUN, RESPONSE, NOTHING = "run", "response", "nothing"
KNOWN_MIDDLEWARE = {
    "django.middleware.security.SecurityMiddleware": RUN,
    "undersigned.lib.headers.SecurityHeadersMiddleware": RUN,
    # Acts on GET and HEAD only.
    "undersigned.lib.pagecache.PublicPageCacheMiddleware": NOTHING,
    # No session cookie, and nothing here reads or writes a session.
    "django.contrib.sessions.middleware.SessionMiddleware": NOTHING,
    # Its request side picks the language from the request; the sign view uses the version's.
    "django.middleware.locale.LocaleMiddleware": RESPONSE,
    "django.middleware.common.CommonMiddleware": RUN,
    # The view is exempt (see undersigned.lib.formtoken); a malformed cookie is still replaced.
    "django.middleware.csrf.CsrfViewMiddleware": RUN,
    # Nobody is logged in without a session.
    "django.contrib.auth.middleware.AuthenticationMiddleware": NOTHING,
    # No message is added or read.
    "django.contrib.messages.middleware.MessageMiddleware": NOTHING,
    # Acts on sessions only.
    "undersigned.accounts.middleware.AccountSecurityMiddleware": NOTHING,
    "django.middleware.clickjacking.XFrameOptionsMiddleware": RUN,
}


def _never_called(request: Any) -> HttpResponseBase:
    raise AssertionError("the fast path calls process_request and process_response only")


@dataclass(frozen=True)
class _Chain:
    requests: tuple[Callable[[HttpRequest], HttpResponseBase | None], ...]
    responses: tuple[Callable[[HttpRequest, HttpResponseBase], HttpResponseBase], ...]


@functools.cache
def _chain(names: tuple[str, ...]) -> _Chain | None:
    """What the RUN and RESPONSE middleware of MIDDLEWARE do, in the order Django's chain does
    it; None if one of them is unknown, or Django would handle the view otherwise."""
    from undersigned.public.views.signing import sign

    unknown = [name for name in names if name not in KNOWN_MIDDLEWARE]
    if unknown:
        logger.warning("The sign fast path is off: MIDDLEWARE has %s", ", ".join(unknown))
        return None
    # What else Django's handling would do to the view: refuse it without a CSRF token, or run
    # it inside a transaction, in which its durable writes fail.
    if not getattr(sign, "csrf_exempt", False) or any(
        database.get("ATOMIC_REQUESTS") for database in settings.DATABASES.values()
    ):
        logger.warning(
            "The sign fast path is off: the sign view is not CSRF-exempt, or ATOMIC_REQUESTS"
        )
        return None
    made = [(KNOWN_MIDDLEWARE[name], import_string(name)(_never_called)) for name in names]
    return _Chain(
        requests=tuple(
            middleware.process_request
            for role, middleware in made
            if role == RUN and hasattr(middleware, "process_request")
        ),
        responses=tuple(
            middleware.process_response for role, middleware in reversed(made) if role != NOTHING
        ),
    )


def _forget_middleware(*, setting: str, **kwargs: Any) -> None:
    # Middleware read their settings when made (SecurityMiddleware: HSTS, SSL redirect...).
    _chain.cache_clear()


signals.setting_changed.connect(_forget_middleware)


class SignFastPath:
    """A WSGI application: Django's, with the plain sign POST answered in front of it."""

    def __init__(self, django: Callable[..., Iterable[bytes]]) -> None:
        self.django = django

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        answered = self.respond(environ)
        if answered is None:
            return self.django(environ, start_response)
        _request, response = answered
        response._handler_class = type(self)  # type: ignore[attr-defined]  # request_finished
        status = f"{response.status_code} {response.reason_phrase}"
        start_response(
            status,
            [
                *response.items(),
                *(("Set-Cookie", cookie.output(header="")) for cookie in response.cookies.values()),
            ],
        )
        # The server closes it, which sends request_finished, as for Django's own responses.
        return response

    def respond(self, environ: dict[str, Any]) -> tuple[WSGIRequest, HttpResponseBase] | None:
        """The request and its answer if this is a plain sign POST: the view's redirect once
        stored, or Django's answer to an error while storing it. None, having stored nothing,
        for Django to answer; environ's body is then still there to read."""
        if not settings.SIGN_FAST_PATH or environ.get("REQUEST_METHOD") != "POST":
            return None
        match = SIGN_PATH.fullmatch(environ.get("PATH_INFO", ""))
        if match is None or environ.get("SCRIPT_NAME") or settings.FORCE_SCRIPT_NAME:
            return None
        try:
            chain = _chain(tuple(settings.MIDDLEWARE))
            post = _form_body(environ)
        except Exception:  # noqa: BLE001 - the body cut short, say: Django answers it
            return None
        if chain is None or post is None:
            return None
        from undersigned.public.views.signing import plain_form

        request = WSGIRequest(environ)
        if settings.SESSION_COOKIE_NAME in request.COOKIES:
            return None
        set_script_prefix(get_script_name(environ))
        signals.request_started.send(sender=type(self), environ=environ)
        try:
            for process_request in chain.requests:
                if process_request(request) is not None:
                    return None  # a redirect to HTTPS, say: Django gives it
        except Exception:  # noqa: BLE001 - a host not allowed, say: Django refuses it
            return None
        try:
            form = plain_form(request, post, match["slug"], match["language"])
        except Exception:  # noqa: BLE001 - nothing was stored: the view answers, or reports it
            logger.warning("The sign fast path failed; the sign view answers", exc_info=True)
            return None
        if form is None:
            return None
        response: HttpResponseBase
        try:
            response = HttpResponseRedirect(form.store())
        except Exception as error:  # noqa: BLE001
            # Maybe stored (a connection lost during its commit, say): the view would not be
            # sure either. Answered as Django answers an error in the view, and reported so.
            response = response_for_exception(request, error)
        for process_response in chain.responses:
            try:
                response = process_response(request, response)
            except Exception as error:  # noqa: BLE001
                # The signature is stored by now. Django's chain turns a middleware's error
                # into its error page, which the middleware further out then see: so here.
                response = response_for_exception(request, error)
        return request, response


def _form_body(environ: dict[str, Any]) -> MultiValueDict[str, str] | None:
    """The urlencoded UTF-8 form in the body, as Django's request.POST would read it; None,
    leaving the body for Django, for any other body. The body is put back either way."""
    content_type = environ.get("CONTENT_TYPE", "")
    length = environ.get("CONTENT_LENGTH", "")
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    if (
        content_type != "application/x-www-form-urlencoded"
        or settings.DEFAULT_CHARSET.lower() != "utf-8"
        or not (length.isascii() and length.isdigit())
        or (limit is not None and int(length) > limit)
    ):
        return None
    body = environ["wsgi.input"].read(int(length))
    environ["wsgi.input"] = io.BytesIO(body)
    try:
        pairs = _parse(body.decode())
    except ValueError:  # not UTF-8, or more fields than DATA_UPLOAD_MAX_NUMBER_FIELDS
        return None
    lists: dict[str, list[str]] = {}
    for name, value in pairs:
        lists.setdefault(name, []).append(value)
    return MultiValueDict(lists)


def _parse(text: str) -> list[tuple[str, str]]:
    # As django.http.QueryDict parses.
    return parse_qsl(
        text,
        keep_blank_values=True,
        encoding="utf-8",
        max_num_fields=settings.DATA_UPLOAD_MAX_NUMBER_FIELDS,
    )
