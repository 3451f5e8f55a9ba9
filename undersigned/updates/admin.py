"""The admin (superusers only) keeps the notices of the whole site: those without a statement,
shown on the home page and every statement's page. A statement's own notice is put up from the
dashboard."""

from __future__ import annotations

from django.contrib import admin
from django.db import models

from undersigned.updates.models import Notice


@admin.register(Notice)
class NoticeAdmin(admin.ModelAdmin):
    list_display = ("text", "statement", "shown_until", "created_at")
    list_filter = ("statement",)
    fields = ("statement", "text", "link", "link_text", "shown_until")
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
