"""Login throttling, two-factor checks and recovery codes for organiser accounts."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from undersigned.abuse.keys import keyed_hash
from undersigned.accounts.models import LoginFailure, RecoveryCode, TwoFactor
from undersigned.audit.models import record
from undersigned.lib import totp
from undersigned.lib.clientip import client_key

RECOVERY_CODES = 10
User = AbstractBaseUser | AnonymousUser


def _keyed(kind: str, value: str, day: dt.date | None = None) -> str:
    """A keyed hash with the day's key (undersigned.abuse.keys), so the table holds neither
    account names nor addresses, and nobody can tell them once the key is deleted."""
    return keyed_hash(f"login-throttle:{kind}", value, day)


def _window_days() -> list[dt.date]:
    """The UTC days the failure window touches: today, and yesterday while it spans midnight.

    Failures are stored under the key of the day they happened; without yesterday's key the
    count would start again from nothing at midnight UTC.
    """
    now = timezone.now().astimezone(dt.UTC)
    since = now - dt.timedelta(seconds=settings.LOGIN_FAILURE_WINDOW)
    return sorted({since.date(), now.date()})


def client_address(request: HttpRequest) -> str:
    """Who the client is for the per-client count: its address through trusted proxies only,
    an IPv6 client by its network (undersigned.lib.clientip.client_key)."""
    return client_key(request)


def login_name(typed: str) -> str:
    """The account name a login looks up for what was typed: as Django's login form reads it
    (surrounding spaces stripped, then NFKC, so that full-width or other compatibility forms
    of the letters are the name they spell). The login form cleans the name with this too."""
    return AbstractBaseUser.normalize_username(typed.strip())


def _account(typed: str) -> str:
    """The name failures are counted under: the name the login looks up, in any case, so that
    no other spelling of an account escapes its count."""
    return login_name(typed).casefold()


def _keys(request: HttpRequest, username: str) -> tuple[str, str]:
    return (
        _keyed("account", _account(username)),
        _keyed("client", client_address(request)),
    )


def is_throttled(request: HttpRequest, username: str) -> bool:
    """Too many recent failures for this account name, or from this client.

    Counted the same whether or not the account exists, so the answer tells nothing about it.
    """
    name, address = _account(username), client_address(request)
    days = _window_days()
    accounts = [_keyed("account", name, day) for day in days]
    clients = [_keyed("client", address, day) for day in days]
    since = timezone.now() - dt.timedelta(seconds=settings.LOGIN_FAILURE_WINDOW)
    recent = LoginFailure.objects.filter(at__gte=since)
    return (
        recent.filter(key__in=accounts).count() >= settings.LOGIN_FAILURES_PER_ACCOUNT
        or recent.filter(key__in=clients).count() >= settings.LOGIN_FAILURES_PER_CLIENT
    )


def note_failure(request: HttpRequest, username: str, reason: str) -> None:
    account, client = _keys(request, username)
    now = timezone.now()
    LoginFailure.objects.bulk_create(
        [LoginFailure(key=account, at=now), LoginFailure(key=client, at=now)]
    )
    LoginFailure.objects.filter(
        at__lt=now - dt.timedelta(seconds=settings.LOGIN_FAILURE_WINDOW)
    ).delete()
    record("auth.login_failed", reason=reason)


def forget_failures(username: str) -> None:
    """After a successful login the account starts afresh (the client's count stays)."""
    name = _account(username)
    LoginFailure.objects.filter(
        key__in=[_keyed("account", name, day) for day in _window_days()]
    ).delete()


def _id(user: User) -> int:
    return int(user.pk or 0)  # 0 for the anonymous user, who has no row


def has_two_factor(user: User) -> bool:
    return TwoFactor.objects.filter(user_id=_id(user)).exists()


def _hash_code(code: str) -> str:
    return hashlib.sha256("".join(code.lower().split()).replace("-", "").encode()).hexdigest()


def check_code(user: User, code: str) -> bool:
    """A current authenticator code not used before, or an unused recovery code (used up)."""
    two_factor = TwoFactor.objects.filter(user_id=_id(user)).first()
    if two_factor is None:
        return False
    step = totp.matching_step(two_factor.secret, code)
    if step is not None:
        # Only one request can move last_step past this step: a code works once.
        return bool(
            TwoFactor.objects.filter(pk=two_factor.pk, last_step__lt=step).update(last_step=step)
        )
    used = RecoveryCode.objects.filter(
        user_id=_id(user), code_hash=_hash_code(code), used_at__isnull=True
    ).update(used_at=timezone.now())
    if used:
        record("auth.recovery_code_used", actor=user)
    return bool(used)


def new_recovery_codes(user: User) -> list[str]:
    """Replace the user's recovery codes; the returned ones are shown once and never again."""
    codes = [f"{secrets.token_hex(4)}-{secrets.token_hex(4)}" for _ in range(RECOVERY_CODES)]
    with transaction.atomic():
        RecoveryCode.objects.filter(user_id=_id(user)).delete()
        RecoveryCode.objects.bulk_create(
            [RecoveryCode(user_id=_id(user), code_hash=_hash_code(code)) for code in codes]
        )
    return codes


def enable_two_factor(user: User, secret: str, code: str) -> list[str] | None:
    """Turn two-factor on if `code` shows the app holds `secret`; returns the recovery codes."""
    step = totp.matching_step(secret, code)
    if step is None:
        return None
    with transaction.atomic():
        TwoFactor.objects.update_or_create(
            user_id=_id(user),
            defaults={"secret": secret, "last_step": step, "enabled_at": timezone.now()},
        )
        codes = new_recovery_codes(user)
        record("auth.two_factor_enabled", actor=user)
    return codes


def disable_two_factor(user: User, actor: User | None = None) -> None:
    """Turn two-factor off, by the user themself or, for a lost phone, by a superuser."""
    with transaction.atomic():
        TwoFactor.objects.filter(user_id=_id(user)).delete()
        RecoveryCode.objects.filter(user_id=_id(user)).delete()
        record("auth.two_factor_disabled", actor=actor or user, user=_id(user))
