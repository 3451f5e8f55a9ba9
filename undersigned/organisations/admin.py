from __future__ import annotations

from django import forms
from django.contrib import admin
from django.db import models
from django.utils.translation import gettext_lazy as _

from undersigned.lib.forms import NameField
from undersigned.organisations.models import Membership, Organisation

# Only superusers enter the admin (undersigned.accounts.admin): organisers manage their
# organisations, members and statements in the dashboard.


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 1
    autocomplete_fields = ("user",)


class OrganisationForm(forms.ModelForm):
    # No Meta: the admin makes it for Organisation, with its formfield_overrides.

    # Public (statement pages, the sender of every email): a name as every name is.
    name = NameField(
        label=_("name"), max_length=200, widget=forms.TextInput(attrs={"class": "vTextField"})
    )


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    form = OrganisationForm
    list_display = ("name", "slug", "website")
    prepopulated_fields = {"slug": ("name",)}
    search_fields = ("name",)
    inlines = (MembershipInline,)
    # A website typed without a scheme is taken as https (Django 6.0's default, asked now).
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
