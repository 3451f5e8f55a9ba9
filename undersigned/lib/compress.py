"""Organisers' pages compressed: the dashboard's charts and lists run to tens of kilobytes of
HTML, a tenth of that compressed, on connections that may be a phone's.

Only the organisers' paths: the public pages are small, served from the page cache (often
straight from the event loop, undersigned.lib.rsgi), and on the signing path every
microsecond counts. Django's GZipMiddleware adds random padding to each response (since
Django 4.2), the mitigation against BREACH for pages that hold a CSRF token.
"""

from __future__ import annotations

from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.middleware.gzip import GZipMiddleware

PREFIXES = ("/dashboard/", "/accounts/", "/admin/")


class OrganiserPagesGZipMiddleware(GZipMiddleware):
    def process_response(
        self, request: HttpRequest, response: HttpResponseBase
    ) -> HttpResponseBase:
        if not request.path.startswith(PREFIXES):
            return response
        return super().process_response(request, response)
