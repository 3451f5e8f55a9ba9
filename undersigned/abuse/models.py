"""What anti-abuse keeps, all of it short-lived: keys that make client addresses unlinkable
once deleted, and counters. No raw IP address and no email address is stored here.
"""

from __future__ import annotations

from django.db import models


class HashKey(models.Model):
    """A random key for one day's keyed hashes of client addresses and email addresses.
    Deleted after two days: from then on nobody, not even whoever holds the database and the
    site's SECRET_KEY, can tell which address a stored hash stood for.
    """

    day = models.DateField(unique=True)
    key = models.CharField(max_length=64)

    def __str__(self) -> str:
        return f"key of {self.day}"


class RateCounter(models.Model):
    """Sign requests counted per key (a keyed hash of client and statement) and fixed window."""

    key = models.CharField(max_length=64)
    window_start = models.BigIntegerField()  # seconds since the epoch
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=("key", "window_start"), name="one_counter_per_window")
        ]

    def __str__(self) -> str:
        return f"{self.count} in window {self.window_start}"


class EmailQuota(models.Model):
    """Emails sent to one address (a keyed hash of it) on one day, across all statements."""

    key = models.CharField(max_length=64)
    day = models.DateField()
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=("key", "day"), name="one_quota_per_day")]

    def __str__(self) -> str:
        return f"{self.count} on {self.day}"
