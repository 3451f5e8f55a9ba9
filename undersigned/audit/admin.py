from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from undersigned.audit.models import AuditLog
from undersigned.jobs.admin import SuperuserOnlyAdmin


@admin.register(AuditLog)
class AuditLogAdmin(SuperuserOnlyAdmin):
    """Read only, even for superusers: an audit log that can be edited proves nothing."""

    list_display = ("at", "action", "actor", "statement", "object_id")
    list_filter = ("action",)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
