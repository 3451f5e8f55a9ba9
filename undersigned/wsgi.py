"""WSGI entry point, served by granian in production."""

from __future__ import annotations

import os

from django.core.wsgi import get_wsgi_application

from undersigned.lib.gcfreeze import freeze_startup_objects

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "undersigned.settings")

django_application = get_wsgi_application()
# Imported once Django is set up: it reaches models. In front of Django for the plain sign POST.
from undersigned.statements.fastpath import SignFastPath  # noqa: E402

application = SignFastPath(django_application)
freeze_startup_objects()
