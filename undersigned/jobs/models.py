"""Database-backed background jobs: written in the same transaction as the data they serve."""

from __future__ import annotations

from django.db import models
from django.utils import timezone


class Job(models.Model):
    # Name of a registered handler, e.g. "mail.confirmation".
    kind = models.CharField(max_length=64)
    # Primary keys and the like, never whole objects. May hold a link token until sent.
    payload = models.JSONField(default=dict)
    # Lower runs first; emails to signers are 0.
    priority = models.SmallIntegerField(default=0)
    run_after = models.DateTimeField(default=timezone.now)
    attempts = models.PositiveSmallIntegerField(default=0)
    # Set while a worker holds the job; a worker that dies frees it when this passes.
    locked_until = models.DateTimeField(null=True, blank=True)
    # Exception class and SMTP code of the last failure; no message text (it may hold addresses).
    last_error = models.CharField(max_length=200, blank=True)
    failed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=("failed_at", "priority", "run_after"))]

    def __str__(self) -> str:
        return f"job {self.pk} {self.kind}"
