"""An append-only record of what was done, by whom, to what; never personal data itself."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models


class AuditLog(models.Model):
    at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    action = models.CharField(max_length=64)
    statement = models.ForeignKey(
        "statements.Statement", null=True, blank=True, on_delete=models.SET_NULL
    )
    # The primary key of the object acted on (a signature, an export), never an email or name.
    object_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ("-at",)

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.action}"


def record(
    action: str,
    *,
    actor: Any = None,
    statement: Any = None,
    object_id: int | None = None,
    **data: Any,
) -> AuditLog:
    """Write one audit row. Pass primary keys and counts in `data`, never personal data."""
    user = actor if getattr(actor, "is_authenticated", False) else None
    return AuditLog.objects.create(
        action=action, actor=user, statement=statement, object_id=object_id, data=data
    )
