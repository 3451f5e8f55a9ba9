"""Conditional GET (RFC 9110 13) for documents polled by machines: feeds.

A feed reader asks every few minutes; with the ETag (or Last-Modified) of what it has, it gets
a 304 with no body while nothing changed. A view marked `validated` gets an ETag from its body;
the public page cache, in front of every view, stores the 200 with its validators and answers
a request that matches them with a 304 (`answer`), whether the page came from its store or
from the view.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.utils.cache import get_conditional_response
from django.utils.http import parse_http_date_safe


def _etag(body: bytes) -> str:
    return '"' + hashlib.blake2b(body, digest_size=16).hexdigest() + '"'


def asks(request: HttpRequest) -> bool:
    """Whether the request carries a validator: the only ones `answer` has anything to do for."""
    meta = request.META
    return "HTTP_IF_NONE_MATCH" in meta or "HTTP_IF_MODIFIED_SINCE" in meta


def answer(request: HttpRequest, response: HttpResponseBase) -> HttpResponseBase:
    """A 304 in place of `response` (a 200 with validators) when the request's validators
    match it; else `response`."""
    if response.status_code != 200 or request.method not in ("GET", "HEAD"):
        return response
    etag = response.get("ETag")
    modified = response.get("Last-Modified")
    if etag is None and modified is None:
        return response
    found = get_conditional_response(
        request,
        etag=etag,
        last_modified=parse_http_date_safe(modified) if modified else None,
        response=response,  # type: ignore[arg-type]  # reads its headers only
    )
    return found if found is not None else response


def validated(view: Callable[..., Any]) -> Callable[..., Any]:
    """Give a view's 200 answers an ETag of their body (lib.pagecache answers with it)."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        response: HttpResponseBase = view(request, *args, **kwargs)
        if response.status_code == 200 and not response.streaming and "ETag" not in response:
            response["ETag"] = _etag(response.content)  # type: ignore[attr-defined]
        return response

    return wrapped
