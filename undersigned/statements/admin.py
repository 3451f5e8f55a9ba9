from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from undersigned.lib.forms import NameField
from undersigned.lib.languages import normalise_tag
from undersigned.statements import actions
from undersigned.statements.models import Signature, Statement, StatementVersion


def _language_tag(value: str) -> str:
    tag = normalise_tag(value or "")
    if tag is None:
        raise forms.ValidationError(
            _("Enter a language tag such as en, es, qu, ay or es-419."), code="invalid"
        )
    return tag


class VersionForm(forms.ModelForm):
    class Meta:
        model = StatementVersion
        fields = ("statement", "language", "title", "summary", "body", "demands")

    def clean_language(self) -> str:
        return _language_tag(self.cleaned_data["language"])


class StatementForm(forms.ModelForm):
    class Meta:
        model = Statement
        fields = (
            "organisation",
            "slug",
            "status",
            "addressed_to",
            "goal",
            "deadline",
            "default_language",
            "ask_country",
            "require_country",
            "ask_postcode",
            "allow_organisations",
            "signatories_hidden",
            "keep_count_after_erasure",
        )
        # Shown on the statement's page: a name as every name is.
        field_classes = {"addressed_to": NameField}

    def clean_default_language(self) -> str:
        return _language_tag(self.cleaned_data["default_language"])


class VersionInline(admin.StackedInline):
    model = StatementVersion
    form = VersionForm
    extra = 1


@admin.register(Statement)
class StatementAdmin(admin.ModelAdmin):
    form = StatementForm
    list_display = ("slug", "organisation", "status", "goal", "deadline")
    list_filter = ("status",)
    search_fields = ("slug", "versions__title")
    inlines = (VersionInline,)


@admin.register(Signature)
class SignatureAdmin(admin.ModelAdmin):
    """Signatures are what people submitted: shown, approved or rejected here, never edited.
    Organisers erase signers in the dashboard (an erasure request, or one signature)."""

    list_display = ("id", "statement", "kind", "organisation_name", "state", "created_at")
    list_filter = ("state", "kind", ("statement", admin.RelatedOnlyFieldListFilter))
    list_select_related = ("statement",)
    search_fields = ("organisation_name",)
    actions = ("approve", "reject")

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [field.name for field in Signature._meta.concrete_fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

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
