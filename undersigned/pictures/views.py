from __future__ import annotations

from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpRequest
from django.views.decorators.http import require_safe

from undersigned.lib import pictures
from undersigned.pictures.models import Picture

_TYPES = {"jpg": "image/jpeg", "png": "image/png", "webp": "image/webp"}
# How long browsers and proxies may keep a picture: an hour, so that one taken down (a face
# that must not be shown) leaves their caches soon after it leaves the site.
MAX_AGE = 3600


@require_safe
def picture(request: HttpRequest, name: str) -> FileResponse:
    """A stored picture, from this site itself, through the storage API (a local folder, or
    shared storage such as S3 when several servers share the files). Only a picture the site
    still holds: a file left behind (a deletion that failed, an upload whose transaction was
    rolled back) is not served."""
    match = pictures.NAME.match(name)
    if match is None:
        raise Http404
    if not Picture.objects.filter(name__startswith=f"{pictures.FOLDER}/{match['key']}-").exists():
        raise Http404
    try:
        handle = default_storage.open(f"{pictures.FOLDER}/{name}", "rb")
    except (FileNotFoundError, OSError):
        raise Http404 from None
    response = FileResponse(handle, content_type=_TYPES[match["ext"]])
    response["Cache-Control"] = f"public, max-age={MAX_AGE}"
    return response
