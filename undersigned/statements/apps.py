from __future__ import annotations

from django.apps import AppConfig


class StatementsConfig(AppConfig):
    name = "undersigned.statements"
    label = "statements"
