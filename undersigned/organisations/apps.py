from __future__ import annotations

from django.apps import AppConfig


class OrganisationsConfig(AppConfig):
    name = "undersigned.organisations"
    label = "organisations"

    def ready(self) -> None:
        from undersigned.organisations import (  # noqa: F401 - registers emails, receivers
            emails,
            signals,
        )
