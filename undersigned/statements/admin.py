from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from undersigned.statements import actions
from undersigned.statements.models import Signature, Statement, StatementVersion


def _own(request: HttpRequest, queryset: QuerySet, path: str) -> QuerySet:
    """Staff who are not superusers see only their organisations' statements and signatures."""
    if request.user.is_superuser:
        return queryset
    return queryset.filter(**{f"{path}__membership__user": request.user})


class VersionInline(admin.StackedInline):
    model = StatementVersion
    extra = 1


@admin.register(Statement)
class StatementAdmin(admin.ModelAdmin):
    list_display = ("slug", "organisation", "status", "goal", "deadline")
    list_filter = ("status",)
    search_fields = ("slug", "versions__title")
    inlines = (VersionInline,)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Statement]:
        return _own(request, super().get_queryset(request), "organisation")


@admin.register(Signature)
class SignatureAdmin(admin.ModelAdmin):
    list_display = ("id", "statement", "kind", "organisation_name", "state", "created_at")
    list_filter = ("state", "kind", "statement")
    search_fields = ("organisation_name",)
    readonly_fields = ("email_canonical", "consent_version", "consent_at")
    actions = ("approve", "reject")

    def get_queryset(self, request: HttpRequest) -> QuerySet[Signature]:
        qs = super().get_queryset(request).select_related("statement")
        return _own(request, qs, "statement__organisation")

    @admin.action(description=_("Approve the selected organisations' signatures"))
    def approve(self, request: HttpRequest, queryset: QuerySet[Signature]) -> None:
        done = actions.review_organisations(queryset, approve=True, actor=request.user)
        self.message_user(
            request,
            ngettext("%(n)d signature approved.", "%(n)d signatures approved.", done) % {"n": done},
            messages.SUCCESS,
        )

    @admin.action(description=_("Reject the selected organisations' signatures"))
    def reject(self, request: HttpRequest, queryset: QuerySet[Signature]) -> None:
        done = actions.review_organisations(queryset, approve=False, actor=request.user)
        self.message_user(
            request,
            ngettext("%(n)d signature rejected.", "%(n)d signatures rejected.", done) % {"n": done},
            messages.SUCCESS,
        )
