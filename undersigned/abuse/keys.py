"""Keyed hashes with a key that changes every day and is deleted after two.

A plain hash of an IP address can be reversed by hashing all four billion of them; a hash keyed
with SECRET_KEY can be reversed by whoever has that key, for as long as it exists. These keys
are random, live in the database and are deleted after 48 hours (see undersigned.abuse.jobs):
after that a stored hash tells nobody anything.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
import threading

from django.utils import timezone

from undersigned.abuse.models import HashKey

_keys: dict[dt.date, bytes] = {}
_lock = threading.Lock()


def today() -> dt.date:
    return timezone.now().astimezone(dt.UTC).date()


def _key(day: dt.date) -> bytes:
    key = _keys.get(day)
    if key is not None:
        return key
    with _lock:
        row, _created = HashKey.objects.get_or_create(
            day=day, defaults={"key": secrets.token_hex(32)}
        )
        key = bytes.fromhex(row.key)
        # Today's and yesterday's keys are used (a window that spans midnight reads both);
        # older ones leave memory as they leave the database.
        _keys[day] = key
        for old in [known for known in _keys if known < max(_keys) - dt.timedelta(days=1)]:
            del _keys[old]
    return key


def keyed_hash(purpose: str, value: str, day: dt.date | None = None) -> str:
    """A 32-hex-digit keyed hash of `value`, different for each purpose and each day."""
    message = f"{purpose}\x00{value}".encode()
    return hmac.new(_key(day or today()), message, hashlib.sha256).hexdigest()[:32]


def forget_keys() -> None:
    """Drop the keys this process holds (the database's are deleted by the housekeeping)."""
    with _lock:
        _keys.clear()
