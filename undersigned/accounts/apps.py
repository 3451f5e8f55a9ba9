from __future__ import annotations

from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "undersigned.accounts"
    label = "accounts"

    def ready(self) -> None:
        from undersigned.accounts import signals  # noqa: F401 - connects the receivers
