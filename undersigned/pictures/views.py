from __future__ import annotations

from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpRequest
from django.views.decorators.http import require_safe

from undersigned.lib import pictures

_TYPES = {"jpg": "image/jpeg", "png": "image/png", "webp": "image/webp"}


@require_safe
def picture(request: HttpRequest, name: str) -> FileResponse:
    """A stored picture, from this site itself, through the storage API (a local folder, or
    shared storage such as S3 when several servers share the files). Its name never changes
    meaning (a new upload gets a new random key), so browsers keep it for a year."""
    match = pictures.NAME.match(name)
    if match is None:
        raise Http404
    try:
        handle = default_storage.open(f"{pictures.FOLDER}/{name}", "rb")
    except (FileNotFoundError, OSError):
        raise Http404 from None
    response = FileResponse(handle, content_type=_TYPES[match["ext"]])
    response["Cache-Control"] = "public, max-age=31536000, immutable"
    return response
