from __future__ import annotations

from django.apps import AppConfig


class DashboardConfig(AppConfig):
    """The organisers' side: run a campaign without the Django admin (pretix's "control")."""

    name = "undersigned.dashboard"
    label = "dashboard"
