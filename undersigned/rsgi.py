"""RSGI entry point, served by granian in production (`granian --interface rsgi
undersigned.rsgi:application`): the WSGI application behind the bridge that reads each
request's body before a thread runs it (undersigned.lib.rsgi)."""

from __future__ import annotations

import os

from django.conf import settings
from django.core.wsgi import get_wsgi_application

from undersigned.lib.gcfreeze import freeze_startup_objects
from undersigned.lib.rsgi import Bridge

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "undersigned.settings")

application = Bridge(
    get_wsgi_application(),
    threads=settings.WEB_THREADS,
    max_body_bytes=settings.REQUEST_BODY_MAX_BYTES,
    body_seconds=settings.REQUEST_BODY_SECONDS,
)
freeze_startup_objects()
