"""Housekeeping: what anti-abuse keeps is gone after 48 hours at most."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from undersigned.abuse.limits import parse_limits
from undersigned.abuse.models import EmailQuota, HashKey, RateCounter
from undersigned.jobs.queue import every

# How long a signature keeps the hash of the network it came from, for organisers' checks.
NETWORK_KEPT = dt.timedelta(hours=48)


def forget_old(now: dt.datetime | None = None) -> None:
    """Delete day keys older than yesterday's, finished counters and quotas, and clear the
    network hashes of signatures older than 48 hours."""
    from django.conf import settings

    from undersigned.statements.models import Signature

    now = now or timezone.now()
    day = now.astimezone(dt.UTC).date()
    # Today's and yesterday's keys: a hash made just before midnight lives at most 48 hours.
    HashKey.objects.filter(day__lt=day - dt.timedelta(days=1)).delete()
    EmailQuota.objects.filter(day__lt=day).delete()
    longest = max((limit.seconds for limit in parse_limits(settings.SIGN_RATE_LIMITS)), default=0)
    RateCounter.objects.filter(window_start__lt=int(now.timestamp()) - longest).delete()
    Signature.objects.filter(created_at__lt=now - NETWORK_KEPT).exclude(network="").update(
        network=""
    )


@every(600)
def forget_old_abuse_data() -> None:
    forget_old()
