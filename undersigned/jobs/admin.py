from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from undersigned.jobs.models import Job


class SuperuserOnlyAdmin(admin.ModelAdmin):
    """For tables that span every organisation: only superusers see them at all."""

    def has_module_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.is_superuser)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return bool(request.user.is_superuser)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return bool(request.user.is_superuser)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return bool(request.user.is_superuser)


@admin.register(Job)
class JobAdmin(SuperuserOnlyAdmin):
    list_display = ("id", "kind", "attempts", "run_after", "failed_at", "last_error")
    list_filter = ("kind", "failed_at")
    # The payload may hold a link token until the email is sent.
    exclude = ("payload",)
