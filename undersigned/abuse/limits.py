"""Counting sign requests per client and statement, in the transaction that stores the
signatures, exactly under any concurrency (see undersigned.abuse.counters)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence

from django.conf import settings

from undersigned.abuse.counters import numbers_in_rows
from undersigned.abuse.models import RateCounter


@dataclasses.dataclass(frozen=True)
class Limit:
    count: int
    seconds: int


def parse_limits(text: str) -> tuple[Limit, ...]:
    """ "10/60,50/3600" -> at most 10 per minute and 50 per hour."""
    limits = []
    for part in text.replace(" ", "").split(","):
        if part:
            count, _slash, seconds = part.partition("/")
            limits.append(Limit(int(count), int(seconds)))
    return tuple(limits)


def beyond_limits(
    keys: Sequence[str], now: dt.datetime, *, other: Sequence[str] | None = None
) -> list[bool]:
    """Count one request for each key (in order) in every window of SIGN_RATE_LIMITS, and say
    for each whether it went past any limit. With `other` (a key per request, in the same
    order), count each request against CLIENT_EMAIL_LIMITS under that key too (an empty key
    counts nothing): past either is past. Call inside the transaction that stores them.

    One statement for every window, not one each: a round trip fewer per batch on PostgreSQL.
    """
    counted: list[tuple[Sequence[str], tuple[Limit, ...]]] = [
        (keys, parse_limits(settings.SIGN_RATE_LIMITS))
    ]
    if other is not None:
        counted.append((other, parse_limits(settings.CLIENT_EMAIL_LIMITS)))
    events: list[tuple[str, int]] = []
    # (request's position, limit) of each event, in order.
    owners: list[tuple[int, Limit]] = []
    for some, limits in counted:
        for limit in limits:
            window = int(now.timestamp()) // limit.seconds * limit.seconds
            for position, key in enumerate(some):
                if key:
                    # Windows of different lengths may start at the same second: kept apart.
                    events.append((f"{limit.seconds}:{key}", window))
                    owners.append((position, limit))
    beyond = [False] * len(keys)
    numbers = numbers_in_rows(RateCounter, "window_start", events)
    for (position, limit), number in zip(owners, numbers, strict=True):
        beyond[position] = beyond[position] or number > limit.count
    return beyond
