"""The sign form's POST, answered early in the middleware chain.

In a surge nearly every request is a sign form's POST, and nearly all of them are plain: valid,
from the statement's own page, by a visitor without a session. Such a POST is stored and
answered here, as the page cache answers a public page, without the rest of the middleware
(sessions, CSRF, authentication, messages: none of which it uses) and without resolving the URL.
It goes through the sign view's own `read` and `accept`, so what is stored and answered is what
the view stores and answers. Anything else goes on to the view: a form with errors, another
site's, a closed statement, a visitor with a session (an organiser trying their own form).
"""

from __future__ import annotations

import re
from collections.abc import Callable

from django.conf import settings
from django.http import Http404, HttpRequest
from django.http.response import HttpResponseBase

from undersigned.public.views import signing
from undersigned.statements.models import Statement
from undersigned.statements.queries import statement_by_slug

# The sign view's address (undersigned.urls, name "sign"); a test checks the two agree.
SIGN_PATH = re.compile(
    r"/s/(?P<slug>[-a-zA-Z0-9_]+)/(?P<language>[A-Za-z]{2,3}(?:-[A-Za-z0-9]{1,8})*)/sign/"
)


class SignMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        if request.method == "POST" and settings.SESSION_COOKIE_NAME not in request.COOKIES:
            match = SIGN_PATH.fullmatch(request.path_info)
            statement = statement_by_slug(match["slug"]) if match else None
            if match and statement is not None and statement.status != Statement.Status.DRAFT:
                # A host not allowed is refused here as CommonMiddleware would (DisallowedHost).
                request.get_host()
                try:
                    submission = signing.read(request, statement, match["language"])
                except Http404:
                    return self.get_response(request)
                if submission.plain:
                    return signing.accept(request, submission)
        return self.get_response(request)
