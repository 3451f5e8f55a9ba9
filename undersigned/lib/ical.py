"""iCalendar (RFC 5545) for events: a calendar of VEVENTs, each in its own IANA time zone with
the VTIMEZONE that defines it, so that a calendar program shows "18:00 in Lima" right whatever
its own zone and whatever the zone's rules were that year.

Written here rather than with a library: the format is small, and what matters (escaping,
folding at 75 octets, CRLF, a VTIMEZONE built from the system's zone data) is easier to check
than to configure. The tests read the output back with the `icalendar` package.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable, Iterator, Sequence
from zoneinfo import ZoneInfo

# RFC 5545 3.1: content lines are folded at 75 octets, continuation lines start with a space.
_LINE_OCTETS = 75
PRODID = "-//Undersigned//Events//EN"


@dataclasses.dataclass(frozen=True, slots=True)
class Event:
    """One VEVENT. `start` and `end` are aware datetimes; they are written in `zone`."""

    uid: str
    start: dt.datetime
    end: dt.datetime
    zone: str
    summary: str
    # When this version of the event was made (DTSTAMP), and how many times it changed in a way
    # attendees must hear of (SEQUENCE): a calendar replaces its copy only for a higher one.
    stamp: dt.datetime
    sequence: int = 0
    # TENTATIVE, CONFIRMED or CANCELLED (a cancelled event stays in the feed, marked so).
    status: str = "CONFIRMED"
    description: str = ""
    location: str = ""
    url: str = ""
    # (latitude, longitude), if the place has them.
    geo: tuple[float, float] | None = None
    language: str = ""


def escape(text: str) -> str:
    """TEXT value escaping (RFC 5545 3.3.11): backslash, semicolon, comma, line breaks."""
    return (
        text.replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\\n")
        .replace("\r", "\\n")
        .replace("\n", "\\n")
    )


def fold(line: str) -> str:
    """A content line folded at 75 octets, never inside a UTF-8 sequence."""
    data = line.encode()
    if len(data) <= _LINE_OCTETS:
        return line
    parts, start, limit = [], 0, _LINE_OCTETS
    while start < len(data):
        end = min(start + limit, len(data))
        # Back off to the start of a character: continuation bytes are 10xxxxxx.
        while end < len(data) and (data[end] & 0xC0) == 0x80:
            end -= 1
        parts.append(data[start:end].decode())
        start, limit = end, _LINE_OCTETS - 1  # the leading space counts
    return "\r\n ".join(parts)


def _local(moment: dt.datetime, zone: ZoneInfo) -> str:
    return moment.astimezone(zone).strftime("%Y%m%dT%H%M%S")


def _utc(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")


def _offset(delta: dt.timedelta | None) -> str:
    seconds = int((delta or dt.timedelta()).total_seconds())
    sign = "-" if seconds < 0 else "+"
    hours, rest = divmod(abs(seconds), 3600)
    minutes, seconds = divmod(rest, 60)
    return f"{sign}{hours:02d}{minutes:02d}" + (f"{seconds:02d}" if seconds else "")


def _wall(moment: dt.datetime, offset: dt.timedelta | None) -> str:
    """The UTC `moment` as a local time at `offset` (a VTIMEZONE part's DTSTART)."""
    return (moment + (offset or dt.timedelta())).strftime("%Y%m%dT%H%M%S")


def _transitions(zone: ZoneInfo, first: int, last: int) -> list[dt.datetime]:
    """The UTC moments the zone's offset changed in the years first..last, found by halving
    each day on which it changed (zoneinfo does not list them)."""
    found = []
    day = dt.datetime(first, 1, 1, tzinfo=dt.UTC)
    end = dt.datetime(last + 1, 1, 1, tzinfo=dt.UTC)
    while day < end:
        after = day + dt.timedelta(days=1)
        if day.astimezone(zone).utcoffset() != after.astimezone(zone).utcoffset():
            low, high = day, after
            while high - low > dt.timedelta(minutes=1):
                middle = low + (high - low) / 2
                if middle.astimezone(zone).utcoffset() == low.astimezone(zone).utcoffset():
                    low = middle
                else:
                    high = middle
            found.append(high.replace(second=0, microsecond=0))
        day = after
    return found


def _part(start: str, before: dt.datetime, after: dt.datetime, name: str) -> list[str]:
    """A VTIMEZONE's STANDARD or DAYLIGHT part: from local time `start`, the offset goes from
    that of `before` to that of `after`."""
    kind = "DAYLIGHT" if after.dst() else "STANDARD"
    return [
        f"BEGIN:{kind}",
        f"DTSTART:{start}",
        f"TZOFFSETFROM:{_offset(before.utcoffset())}",
        f"TZOFFSETTO:{_offset(after.utcoffset())}",
        f"TZNAME:{escape(after.tzname() or name)}",
        f"END:{kind}",
    ]


def vtimezone(name: str, years: Iterable[int]) -> list[str]:
    """The VTIMEZONE of the IANA zone `name` over `years` (and the year before, for an
    event just after New Year): the offset at the start of that span, then every change."""
    zone = ZoneInfo(name)
    span = sorted(set(years))
    first, last = span[0] - 1, span[-1]
    lines = ["BEGIN:VTIMEZONE", f"TZID:{name}"]
    # What held at the start of the span, so that no time in it comes before every part.
    moment = dt.datetime(first, 1, 1, tzinfo=dt.UTC).astimezone(zone)
    lines += _part(f"{first}0101T000000", moment, moment, name)
    for change in _transitions(zone, first, last):
        before = (change - dt.timedelta(minutes=1)).astimezone(zone)
        # It happens at a local time in the offset it had until then.
        lines += _part(_wall(change, before.utcoffset()), before, change.astimezone(zone), name)
    lines.append("END:VTIMEZONE")
    return lines


def _event_lines(event: Event) -> Iterator[str]:
    zone = ZoneInfo(event.zone)
    language = f";LANGUAGE={event.language}" if event.language else ""
    yield "BEGIN:VEVENT"
    yield f"UID:{event.uid}"
    yield f"DTSTAMP:{_utc(event.stamp)}"
    yield f"DTSTART;TZID={event.zone}:{_local(event.start, zone)}"
    yield f"DTEND;TZID={event.zone}:{_local(event.end, zone)}"
    yield f"SEQUENCE:{event.sequence}"
    yield f"STATUS:{event.status}"
    yield f"SUMMARY{language}:{escape(event.summary)}"
    if event.description:
        yield f"DESCRIPTION{language}:{escape(event.description)}"
    if event.location:
        yield f"LOCATION{language}:{escape(event.location)}"
    if event.geo is not None:
        yield f"GEO:{event.geo[0]:.6f};{event.geo[1]:.6f}"
    if event.url:
        yield f"URL:{event.url}"
    yield "END:VEVENT"


def calendar(events: Sequence[Event], *, name: str = "", method: str = "PUBLISH") -> bytes:
    """A VCALENDAR of `events` with the VTIMEZONE of each zone they use, as bytes (UTF-8,
    CRLF line ends, folded)."""
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", f"PRODID:{PRODID}", "CALSCALE:GREGORIAN"]
    lines.append(f"METHOD:{method}")
    if name:
        lines.append(f"X-WR-CALNAME:{escape(name)}")
    years: dict[str, set[int]] = {}
    for event in events:
        zone = ZoneInfo(event.zone)
        years.setdefault(event.zone, set()).update(
            (event.start.astimezone(zone).year, event.end.astimezone(zone).year)
        )
    for zone_name in sorted(years):
        lines += vtimezone(zone_name, years[zone_name])
    for event in events:
        lines += _event_lines(event)
    lines.append("END:VCALENDAR")
    return ("\r\n".join(fold(line) for line in lines) + "\r\n").encode()
