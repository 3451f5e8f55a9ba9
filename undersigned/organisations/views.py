from __future__ import annotations

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.views.decorators.http import require_safe
from django.views.static import serve

from undersigned.lib import colours


@require_safe
def logo(request: HttpRequest, path: str) -> HttpResponseBase:
    """An organisation's logo, from this site itself. In production the proxy may serve /media/."""
    response = serve(request, f"logos/{path}", document_root=str(settings.MEDIA_ROOT))
    response["Cache-Control"] = "public, max-age=3600"
    return response


@require_safe
def accent_css(request: HttpRequest, colour: str) -> HttpResponse:
    """A one-rule stylesheet that sets the page's accent (an organisation's colour).

    The CSP allows no inline style, so a statement's pages link this instead of a style
    attribute. The colour is in the address: no database, and a changed colour is a new address,
    so the answer is kept for a year. Colours too light for white text are not served.
    """
    accent = f"#{colour}"
    if colours.contrast_ratio(accent, colours.WHITE) < colours.MINIMUM_CONTRAST:
        raise Http404
    response = HttpResponse(f":root{{--accent:{accent}}}\n", content_type="text/css")
    response["Cache-Control"] = "public, max-age=31536000, immutable"
    return response
