from __future__ import annotations

from django import forms
from django.contrib import admin
from django.db import models

from undersigned.lib.text import clean_line, publishable
from undersigned.organisations.models import Membership, Organisation

# Only superusers enter the admin (undersigned.accounts.admin): organisers manage their
# organisations, members and statements in the dashboard.


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
class OrganisationAdmin(admin.ModelAdmin):
    form = OrganisationForm
    list_display = ("name", "slug", "website")
    prepopulated_fields = {"slug": ("name",)}
    search_fields = ("name",)
    inlines = (MembershipInline,)
    # A website typed without a scheme is taken as https (Django 6.0's default, asked now).
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
