from __future__ import annotations

from django.contrib import admin

from undersigned.organisations.models import Membership, Organisation


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
