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


def beyond_limits(keys: Sequence[str], now: dt.datetime) -> list[bool]:
    """Count one request for each key (in order) in every window of SIGN_RATE_LIMITS, and say
    for each whether it went past any limit. Call inside the transaction that stores them.

    One statement for every window, not one each: a round trip fewer per batch on PostgreSQL.
    """
    limits = parse_limits(settings.SIGN_RATE_LIMITS)
    events: list[tuple[str, int]] = []
    for limit in limits:
        window = int(now.timestamp()) // limit.seconds * limit.seconds
        # Windows of different lengths may start at the same second: keep them apart.
        events += [(f"{limit.seconds}:{key}", window) for key in keys]
    counted = numbers_in_rows(RateCounter, "window_start", events)
    beyond = [False] * len(keys)
    for n, limit in enumerate(limits):
        numbers = counted[n * len(keys) : (n + 1) * len(keys)]
        beyond = [
            over or number > limit.count for over, number in zip(beyond, numbers, strict=True)
        ]
    return beyond
