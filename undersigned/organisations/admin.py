from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models import Model, QuerySet
from django.http import HttpRequest, HttpResponse

from undersigned.audit.models import record
from undersigned.lib.text import clean_line, publishable
from undersigned.organisations.models import Membership, Organisation


def member_organisations(request: HttpRequest) -> QuerySet[Organisation]:
    """The organisations whose statements this user may manage: all for superusers."""
    if request.user.is_superuser:
        return Organisation.objects.all()
    return Organisation.objects.filter(membership__user_id=_user_id(request))


def _user_id(request: HttpRequest) -> int:
    # The admin only lets logged-in staff through, so there is always a primary key.
    return int(request.user.pk or 0)


class RefusesOtherOrganisationsAdmin(admin.ModelAdmin):
    """Asking for a record of an organisation one is not in is a 403, written to the audit log,
    where the admin would quietly send one to its index page.
    """

    def changeform_view(
        self,
        request: HttpRequest,
        object_id: str | None = None,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        self._refuse_if_elsewhere(request, object_id)
        return super().changeform_view(request, object_id, form_url, extra_context)

    def delete_view(
        self, request: HttpRequest, object_id: str, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        self._refuse_if_elsewhere(request, object_id)
        return super().delete_view(request, object_id, extra_context)

    def history_view(
        self, request: HttpRequest, object_id: str, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        self._refuse_if_elsewhere(request, object_id)
        return super().history_view(request, object_id, extra_context)

    def _refuse_if_elsewhere(self, request: HttpRequest, object_id: str | None) -> None:
        # Checked before the admin opens its transaction, so the audit row is kept.
        if object_id is None or self.get_object(request, object_id) is not None:
            return
        if self._exists_elsewhere(object_id):
            record(
                "access.denied",
                actor=request.user,
                view=f"admin:{self.opts.app_label}.{self.opts.model_name}",
                object=str(object_id)[:40],
            )
            raise PermissionDenied

    def _exists_elsewhere(self, object_id: str) -> bool:
        model: type[Model] = self.model
        try:
            return model._default_manager.filter(pk=object_id).exists()
        except (ValueError, TypeError):
            return False


class OrganisationScopedAdmin(RefusesOtherOrganisationsAdmin):
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


class OrganisationForm(forms.ModelForm):
    # No Meta: the admin makes it for Organisation, with its formfield_overrides.

    def clean_name(self) -> str:
        """The name is public (statement pages, the sender of every email): cleaned and checked
        as signers' names are.
        """
        name = clean_line(self.cleaned_data["name"])
        if not name:
            raise forms.ValidationError(self.fields["name"].error_messages["required"])
        return publishable(name)


@admin.register(Organisation)
class OrganisationAdmin(RefusesOtherOrganisationsAdmin):
    form = OrganisationForm
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
