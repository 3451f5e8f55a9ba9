"""Organisers' pages compressed: the dashboard's charts and lists run to tens of kilobytes of
HTML, a tenth of that compressed, on connections that may be a phone's.

Only the organisers' paths: the public pages are small, served from the page cache (often
straight from the event loop, undersigned.lib.rsgi), and on the signing path every
microsecond counts.

BREACH (guessing a secret on a compressed page from its length, by putting chosen text
beside it) needs a page that shows what the attacker sent: a search (`?q=`), a filter, a
form shown again with what was typed. So only a GET with no query string is compressed;
Django's GZipMiddleware also pads each response at random (since Django 4.2), and its CSRF
token is masked anew on each page.
"""

from __future__ import annotations

from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.middleware.gzip import GZipMiddleware

PREFIXES = ("/dashboard/", "/accounts/", "/admin/")
# What compresses: text. A spreadsheet (a zip) or a picture is compressed already.
TEXT = ("text/", "application/json", "image/svg+xml")


class OrganiserPagesGZipMiddleware(GZipMiddleware):
    def process_response(
        self, request: HttpRequest, response: HttpResponseBase
    ) -> HttpResponseBase:
        if (
            request.method not in ("GET", "HEAD")
            or request.META.get("QUERY_STRING")
            or not request.path.startswith(PREFIXES)
            or not response.get("Content-Type", "").startswith(TEXT)
        ):
            return response
        return super().process_response(request, response)
