"""What protects organiser accounts: failed logins (for throttling) and two-factor secrets."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class LoginFailure(models.Model):
    """One failed login, counted per account and per client across every server process.

    `key` is a keyed hash of "account:<name>" or "client:<address>", never the name or the
    address itself. Rows older than the longest window are deleted as new ones are written.
    """

    key = models.CharField(max_length=64)
    at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=("key", "at"))]

    def __str__(self) -> str:
        return f"failed login {self.at:%Y-%m-%d %H:%M}"


class TwoFactor(models.Model):
    """A user's authenticator app. `secret` is the base32 TOTP key; `last_step` the time step
    of the last code used, so that no code works twice.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="two_factor"
    )
    secret = models.CharField(max_length=64)
    last_step = models.BigIntegerField(default=0)
    enabled_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"two-factor of user {self.user_id}"


class RecoveryCode(models.Model):
    """A one-use code for when the phone is lost; only its SHA-256 hash is kept."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="recovery_codes"
    )
    code_hash = models.CharField(max_length=64)
    used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"recovery code of user {self.user_id}"
