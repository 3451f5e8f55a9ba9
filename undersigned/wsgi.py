"""WSGI entry point, served by granian in production."""

from __future__ import annotations

import os

from django.core.wsgi import get_wsgi_application

from undersigned.lib.gcfreeze import freeze_startup_objects

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "undersigned.settings")

application = get_wsgi_application()
freeze_startup_objects()
