from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest

from undersigned.accounts import security
from undersigned.accounts.models import TwoFactor
from undersigned.audit.models import record
from undersigned.jobs.admin import SuperuserOnlyAdmin


def superusers_only(request: HttpRequest) -> bool:
    """The admin is the site administrators' alone: organisers do everything in the dashboard.
    Someone logged in who is not a superuser is refused (403, audited) rather than sent to log
    in again; anyone else is sent to log in."""
    user = request.user
    if user.is_active and user.is_superuser:
        return True
    if user.is_authenticated:
        record("access.denied", actor=user, view="admin")
        raise PermissionDenied
    return False


# In place of the admin's own check (active staff), on the site every ModelAdmin is registered
# with; settings keep django.contrib.admin's default site.
setattr(admin.site, "has_permission", superusers_only)  # noqa: B010 - a method on an instance


@admin.register(TwoFactor)
class TwoFactorAdmin(SuperuserOnlyAdmin):
    """Who has two-factor on. Deleting a row resets it, for someone who lost their phone and
    their recovery codes; they set it up again at their next login.
    """

    list_display = ("user", "enabled_at")
    search_fields = ("user__username",)
    fields = ("user", "enabled_at")
    readonly_fields = ("user", "enabled_at")

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def delete_model(self, request: HttpRequest, obj: TwoFactor) -> None:
        security.disable_two_factor(obj.user, actor=request.user)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[TwoFactor]) -> None:
        for two_factor in queryset.select_related("user"):
            security.disable_two_factor(two_factor.user, actor=request.user)
