from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.views.decorators.http import require_safe
from django.views.static import serve


@require_safe
def logo(request: HttpRequest, path: str) -> HttpResponseBase:
    """An organisation's logo, from this site itself. In production the proxy may serve /media/."""
    response = serve(request, f"logos/{path}", document_root=str(settings.MEDIA_ROOT))
    response["Cache-Control"] = "public, max-age=3600"
    return response
