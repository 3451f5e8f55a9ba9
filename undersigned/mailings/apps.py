from __future__ import annotations

from django.apps import AppConfig


class MailingsConfig(AppConfig):
    name = "undersigned.mailings"
    label = "mailings"

    def ready(self) -> None:
        from undersigned.mailings import outbox  # noqa: F401 - registers the job hooks
