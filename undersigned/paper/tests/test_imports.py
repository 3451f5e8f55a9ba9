"""The web server's processes never load WeasyPrint or pypdf (only the worker lays out PDFs),
nor Stripe's client and its HTTP library until a card payment needs them: they would add tens
of megabytes to every process."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def test_the_url_configuration_does_not_load_the_pdf_or_payment_libraries(tmp_path: Path) -> None:
    code = (
        "import django, sys; django.setup(); import undersigned.urls; "
        "heavy = ('weasyprint', 'pypdf', 'stripe', 'requests'); "
        "print(sorted(m for m in heavy if m in sys.modules))"
    )
    env = {
        **os.environ,
        "DATA_DIR": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "undersigned.settings",
    }
    found = subprocess.run(  # noqa: S603 - this interpreter, a fixed script
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    assert found.stdout.strip() == "[]"
