"""Counting per hour in the site's time zone without losing or inventing an hour at a DST
change."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone


def hour_zone(now: dt.datetime) -> dt.tzinfo:
    """TIME_ZONE's UTC offset at `now`, as a fixed zone to truncate to hours in. Its hours
    start when local hours do, but none is skipped or repeated: truncated in TIME_ZONE itself,
    both 02:00 hours of the night the clocks go back are one, and the night they go forward
    has a 02:00 that never was. Show the hours in local time.
    """
    return dt.timezone(timezone.localtime(now).utcoffset() or dt.timedelta())
