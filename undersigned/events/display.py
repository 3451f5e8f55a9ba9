"""An event's time as people read it, in the active language: the day, the hours and where
that clock is, e.g. "Saturday, 12 December 2026, 15:00–17:00 (Madrid time, UTC+1)"."""

from __future__ import annotations

import datetime as dt

from django.utils.dateformat import format as format_date
from django.utils.formats import get_format
from django.utils.translation import gettext as _


def utc_offset(moment: dt.datetime) -> str:
    """UTC+1, UTC−5, UTC+5:30, UTC."""
    offset = moment.utcoffset() or dt.timedelta()
    minutes = int(offset.total_seconds()) // 60
    if not minutes:
        return "UTC"
    sign = "+" if minutes > 0 else "−"
    hours, rest = divmod(abs(minutes), 60)
    return f"UTC{sign}{hours}" + (f":{rest:02d}" if rest else "")


def zone_label(zone: str, moment: dt.datetime) -> str:
    """The zone as its main city names it, with its offset at that moment."""
    city = zone.rsplit("/", 1)[-1].replace("_", " ")
    if zone in ("UTC", "Etc/UTC"):
        return "UTC"
    return _("%(city)s time, %(offset)s") % {"city": city, "offset": utc_offset(moment)}


def day(moment: dt.datetime) -> str:
    """Saturday, 12 December 2026 (the weekday, then the language's date)."""
    return format_date(moment, "l") + ", " + format_date(moment, get_format("DATE_FORMAT"))


def clock(moment: dt.datetime) -> str:
    return format_date(moment, get_format("TIME_FORMAT"))


def span(start: dt.datetime, end: dt.datetime, zone: str) -> str:
    """Start and end, both local to `zone` already, in one line."""
    label = zone_label(zone, start)
    if start.date() == end.date():
        return f"{day(start)}, {clock(start)}–{clock(end)} ({label})"
    return f"{day(start)}, {clock(start)} – {day(end)}, {clock(end)} ({label})"
