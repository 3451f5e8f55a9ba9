from __future__ import annotations

from django.apps import AppConfig


class StatementsConfig(AppConfig):
    name = "undersigned.statements"
    label = "statements"

    def ready(self) -> None:
        from undersigned.statements import (  # noqa: F401 - registers emails, jobs, signals
            details,
            emails,
            jobs,
            partner_emails,
            signals,
        )
