from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db import models
from django.db.models import QuerySet
from django.http import HttpRequest

from undersigned.organisations.models import Membership, Organisation


def member_organisations(request: HttpRequest) -> QuerySet[Organisation]:
    """The organisations whose statements this user may manage: all for superusers."""
    if request.user.is_superuser:
        return Organisation.objects.all()
    return Organisation.objects.filter(membership__user_id=_user_id(request))


def _user_id(request: HttpRequest) -> int:
    # The admin only lets logged-in staff through, so there is always a primary key.
    return int(request.user.pk or 0)


class OrganisationScopedAdmin(admin.ModelAdmin):
    """Staff who are not superusers see, and can point records at, only their organisations.

    `organisation_path` is the lookup from the model to its organisation.
    """

    organisation_path = "organisation"

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        return queryset.filter(
            **{f"{self.organisation_path}__in": member_organisations(request)}
        ).distinct()

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "organisation":
            kwargs["queryset"] = member_organisations(request)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 1
    autocomplete_fields = ("user",)


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "website")
    prepopulated_fields = {"slug": ("name",)}
    search_fields = ("name",)
    inlines = (MembershipInline,)
    # A website typed without a scheme is taken as https (Django 6.0's default, asked now).
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

    def get_queryset(self, request: HttpRequest) -> QuerySet[Organisation]:
        return member_organisations(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.is_superuser)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        """Only an organisation's owners change it, and so its members."""
        if not super().has_change_permission(request, obj):
            return False
        if request.user.is_superuser or obj is None:
            return True
        return Membership.objects.filter(
            organisation=obj, user_id=_user_id(request), role=Membership.Role.OWNER
        ).exists()
