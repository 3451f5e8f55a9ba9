"""A WSGI application that answers with the environ it was given, as JSON: served by granian in
WSGI mode (`application`) and through the bridge (`bridged`), it shows what each hands an
application for the same request (test_rsgi)."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable
from typing import Any

from undersigned.lib.rsgi import Bridge

# granian's WSGI mode copies its own environment variables into every environ: not the request's.
_PROCESS = set(os.environ)


def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    length = int(environ.get("CONTENT_LENGTH") or 0)
    body = environ["wsgi.input"].read(length) if length else b""
    seen = {
        key: value
        for key, value in environ.items()
        if key not in _PROCESS and isinstance(value, str | int | bool | tuple)
    }
    seen["body"] = body.decode("latin-1")
    data = json.dumps(seen).encode()
    start_response("200 OK", [("Content-Type", "application/json")])
    return [data]


bridged = Bridge(application, threads=2, max_body_bytes=1 << 20, body_seconds=5)
