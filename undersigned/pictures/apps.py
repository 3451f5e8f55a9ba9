from __future__ import annotations

from django.apps import AppConfig


class PicturesConfig(AppConfig):
    name = "undersigned.pictures"
    label = "pictures"

    def ready(self) -> None:
        from undersigned.pictures import signals  # noqa: F401 - registers the receivers
