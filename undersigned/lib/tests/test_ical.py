"""iCalendar as calendar programs read it: the `icalendar` package parses what lib.ical
writes, and finds the same instants, zones, texts, status and sequence."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import icalendar
import pytest

from undersigned.lib.ical import Event, calendar, escape, fold

LIMA = ZoneInfo("America/Lima")
MADRID = ZoneInfo("Europe/Madrid")
STAMP = dt.datetime(2026, 12, 7, 12, 0, tzinfo=dt.UTC)


def _event(**fields: object) -> Event:
    values: dict[str, object] = {
        "uid": "event-1@sign.example.org",
        "start": dt.datetime(2026, 12, 12, 18, 0, tzinfo=LIMA),
        "end": dt.datetime(2026, 12, 12, 20, 0, tzinfo=LIMA),
        "zone": "America/Lima",
        "summary": "Emergency demonstration",
        "stamp": STAMP,
    }
    values.update(fields)
    return Event(**values)  # type: ignore[arg-type]


def _events(data: bytes) -> list[icalendar.Event]:
    parsed = icalendar.Calendar.from_ical(data)
    return list(parsed.walk("VEVENT"))


def test_an_event_parses_with_its_zone_and_the_same_instants() -> None:
    data = calendar([_event()])
    assert data.endswith(b"\r\n") and b"\n" not in data.replace(b"\r\n", b"")
    (event,) = _events(data)
    start = event.decoded("DTSTART")
    assert start == dt.datetime(2026, 12, 12, 23, 0, tzinfo=dt.UTC)
    assert str(start.tzinfo) == "America/Lima"
    assert event.decoded("DTEND") - start == dt.timedelta(hours=2)
    assert str(event["UID"]) == "event-1@sign.example.org"
    assert event.decoded("DTSTAMP") == STAMP
    assert b"BEGIN:VTIMEZONE\r\nTZID:America/Lima" in data


@pytest.mark.parametrize(
    ("local", "offset"),
    [
        # Either side of the changes of 2026 (29 March, 25 October) in Madrid.
        (dt.datetime(2026, 3, 28, 12, 0, tzinfo=MADRID), 1),
        (dt.datetime(2026, 3, 30, 12, 0, tzinfo=MADRID), 2),
        (dt.datetime(2026, 10, 24, 12, 0, tzinfo=MADRID), 2),
        (dt.datetime(2026, 10, 26, 12, 0, tzinfo=MADRID), 1),
        # Early January: the part for the start of the span covers it.
        (dt.datetime(2026, 1, 2, 9, 0, tzinfo=MADRID), 1),
    ],
)
def test_summer_time_is_told_by_the_calendars_own_timezone(local: dt.datetime, offset: int) -> None:
    start = local
    data = calendar([_event(start=start, end=start + dt.timedelta(hours=1), zone="Europe/Madrid")])
    # Read through the VTIMEZONE written, not the reader's own zone data: the offsets it has.
    parsed = icalendar.Calendar.from_ical(data)
    (timezone,) = parsed.walk("VTIMEZONE")
    offsets = {
        str(part.decoded("DTSTART"))[:10]: part.decoded("TZOFFSETTO")
        for part in timezone.walk()
        if part.name in ("STANDARD", "DAYLIGHT")
    }
    assert "2026-03-29" in offsets and "2026-10-25" in offsets
    assert offsets["2026-03-29"] == dt.timedelta(hours=2)
    assert offsets["2026-10-25"] == dt.timedelta(hours=1)
    (event,) = _events(data)
    assert event.decoded("DTSTART").utcoffset() == dt.timedelta(hours=offset)


def test_text_is_escaped_and_long_lines_folded_between_characters() -> None:
    description = "Plaza San Martín; bring water, a banner\nand friends. " + "ñ" * 100
    data = calendar([_event(description=description, location="Plaza, Lima", language="es")])
    assert all(len(line) <= 75 for line in data.split(b"\r\n"))
    data.decode()  # every folded line still whole UTF-8
    (event,) = _events(data)
    assert str(event["DESCRIPTION"]) == description
    assert str(event["LOCATION"]) == "Plaza, Lima"
    assert event["SUMMARY"].params["LANGUAGE"] == "es"
    assert escape("a;b,c\\d") == "a\\;b\\,c\\\\d"
    assert fold("x" * 75) == "x" * 75


def test_a_changed_event_has_a_higher_sequence_and_a_cancelled_one_stays() -> None:
    first = _events(calendar([_event()]))[0]
    moved_start = dt.datetime(2026, 12, 12, 19, 0, tzinfo=LIMA)
    moved = _events(
        calendar([_event(start=moved_start, end=moved_start + dt.timedelta(hours=2), sequence=1)])
    )[0]
    assert moved["UID"] == first["UID"]
    assert moved["SEQUENCE"] > first["SEQUENCE"]
    assert moved.decoded("DTSTART") - first.decoded("DTSTART") == dt.timedelta(hours=1)
    cancelled = _events(calendar([_event(status="CANCELLED", sequence=2)]))[0]
    assert str(cancelled["STATUS"]) == "CANCELLED"


def test_a_feed_has_one_timezone_per_zone_and_every_event() -> None:
    data = calendar(
        [
            _event(uid="a@x"),
            _event(uid="b@x", geo=(-12.0464, -77.0428), url="https://sign.example.org/e/b/"),
            _event(
                uid="c@x",
                start=dt.datetime(2027, 1, 5, 10, tzinfo=MADRID),
                end=dt.datetime(2027, 1, 5, 11, tzinfo=MADRID),
                zone="Europe/Madrid",
            ),
        ],
        name="Red Estudiantil",
    )
    parsed = icalendar.Calendar.from_ical(data)
    assert sorted(str(z["TZID"]) for z in parsed.walk("VTIMEZONE")) == [
        "America/Lima",
        "Europe/Madrid",
    ]
    assert [str(e["UID"]) for e in parsed.walk("VEVENT")] == ["a@x", "b@x", "c@x"]
    geo = parsed.walk("VEVENT")[1]["GEO"]
    assert (geo.latitude, geo.longitude) == (-12.0464, -77.0428)
    assert str(parsed["X-WR-CALNAME"]) == "Red Estudiantil"
