"""Housekeeping: what anti-abuse keeps is gone after 48 hours at most (a signature's network
hash, which statements keeps, too: see undersigned.statements.jobs)."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from undersigned.abuse.limits import parse_limits
from undersigned.abuse.models import EmailQuota, HashKey, RateCounter
from undersigned.jobs.queue import every


def forget_old(now: dt.datetime | None = None) -> None:
    """Delete day keys older than yesterday's, and finished counters and quotas."""
    from django.conf import settings

    now = now or timezone.now()
    day = now.astimezone(dt.UTC).date()
    # Today's and yesterday's keys: a hash made just before midnight lives at most 48 hours.
    HashKey.objects.filter(day__lt=day - dt.timedelta(days=1)).delete()
    EmailQuota.objects.filter(day__lt=day).delete()
    longest = max((limit.seconds for limit in parse_limits(settings.SIGN_RATE_LIMITS)), default=0)
    RateCounter.objects.filter(window_start__lt=int(now.timestamp()) - longest).delete()


@every(600)
def forget_old_abuse_data() -> None:
    forget_old()
