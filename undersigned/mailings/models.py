from __future__ import annotations

from django.db import models


class DemoMail(models.Model):
    """A message kept instead of sent, shown at /demo/mailbox/. Only written in demo mode."""

    sent_at = models.DateTimeField(auto_now_add=True)
    to = models.CharField(max_length=1000)
    subject = models.CharField(max_length=1000)
    body = models.TextField()

    class Meta:
        ordering = ("-sent_at", "-id")

    def __str__(self) -> str:
        return self.subject
