from __future__ import annotations

from django.contrib import admin

from undersigned.jobs.models import Job


@admin.register(Job)
class JobAdmin(admin.ModelAdmin):
    list_display = ("id", "kind", "attempts", "run_after", "failed_at", "last_error")
    list_filter = ("kind", "failed_at")
    exclude = ("payload",)
