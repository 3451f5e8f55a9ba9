from __future__ import annotations

from django.apps import AppConfig


class JobsConfig(AppConfig):
    name = "undersigned.jobs"
    label = "jobs"
