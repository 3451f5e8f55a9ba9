from __future__ import annotations

from django.apps import AppConfig


class JobsConfig(AppConfig):
    name = "undersigned.jobs"
    label = "jobs"

    def ready(self) -> None:
        from undersigned.jobs import scrub  # noqa: F401 - registers its job
