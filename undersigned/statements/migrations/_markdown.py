"""What the migrations to Markdown share (statements 0013, updates 0006)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def convert(apps: Any, model: str, change: Callable[[str], str]) -> None:
    """Rewrite the `body` of every row of `model` with `change`."""
    Version = apps.get_model(*model.split("."))
    for version in Version.objects.only("pk", "body").iterator(chunk_size=500):
        body = change(version.body)
        if body != version.body:
            Version.objects.filter(pk=version.pk).update(body=body)
