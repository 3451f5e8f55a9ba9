from __future__ import annotations

from django.apps import AppConfig


class AbuseConfig(AppConfig):
    name = "undersigned.abuse"
    label = "abuse"

    def ready(self) -> None:
        from undersigned.abuse import jobs  # noqa: F401 - registers the housekeeping
