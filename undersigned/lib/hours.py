"""Counting per hour or day in the site's time zone without losing or inventing an hour at a
DST change, and without a Python call per row."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.db.models import DateTimeField, Func
from django.utils import timezone


def hour_zone(now: dt.datetime) -> dt.tzinfo:
    """TIME_ZONE's UTC offset at `now`, as a fixed zone to truncate to hours in. Its hours
    start when local hours do, but none is skipped or repeated: truncated in TIME_ZONE itself,
    both 02:00 hours of the night the clocks go back are one, and the night they go forward
    has a 02:00 that never was. Show the hours in local time.
    """
    return dt.timezone(timezone.localtime(now).utcoffset() or dt.timedelta())


class Quarter(Func):
    """The quarter of an hour (UTC) a time is in, worked out by the database in its own code.

    Django's truncation to a day or an hour in a time zone calls a Python function for every
    row on SQLite, each holding the GIL: slow on a large statement, and every other thread in
    the process stalls meanwhile. Group by this instead, then put each quarter in its local
    hour or day with `local_slot`: every time zone's offset from UTC has been a whole number
    of quarters of an hour since at least 1990, so no quarter straddles two.
    """

    output_field = DateTimeField()

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, list[Any]]:
        # Stored as text, "YYYY-MM-DD HH:MM:SS[.ffffff]" in UTC.
        sql, params = compiler.compile(self.source_expressions[0])
        minute = f"CAST(substr({sql}, 15, 2) AS INTEGER) / 15 * 15"
        return f"substr({sql}, 1, 14) || printf('%%02d', {minute}) || ':00'", [*params, *params]

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, list[Any]]:
        sql, params = compiler.compile(self.source_expressions[0])
        return f"date_bin('15 minutes', {sql}, TIMESTAMPTZ '2000-01-01 00:00:00+00')", params


def local_slot(zone: dt.tzinfo, *, day: bool) -> Callable[[dt.datetime], Any]:
    """A function from a Quarter to the day, or the hour, it falls in in `zone` (for hours, a
    fixed zone from `hour_zone`); each quarter is converted once."""
    known: dict[dt.datetime, Any] = {}

    def slot(quarter: dt.datetime) -> Any:
        found = known.get(quarter)
        if found is None:
            at = quarter.astimezone(zone)
            found = known[quarter] = at.date() if day else at.replace(minute=0)
        return found

    return slot
