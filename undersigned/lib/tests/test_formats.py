"""Dates as people read them: the month in words in English (12/06/2026 is June to some and
December to others), a 24-hour clock with the time zone named, never "p.m.." at a sentence's
end; and <time datetime> values that HTML accepts."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.template import Context, Template
from django.test import Client
from django.utils import translation

from undersigned.statements.models import Statement
from undersigned.updates.models import Update, UpdateVersion

LATE = dt.datetime(2026, 12, 6, 23, 11, 5, 123456, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("language", "date", "datetime", "short"),
    [
        ("en", "6 December 2026", "6 December 2026, 23:11 UTC", "6 Dec 2026, 23:11 UTC"),
        (
            "es",
            "6 de diciembre de 2026",
            "6 de diciembre de 2026, 23:11 UTC",
            "06/12/2026 23:11 UTC",
        ),
    ],
)
def test_dates_are_written_plainly_in_each_language(
    language: str, date: str, datetime: str, short: str
) -> None:
    template = Template(
        '{{ d|date:"DATE_FORMAT" }}|{{ d|date:"DATETIME_FORMAT" }}.'
        '|{{ d|date:"SHORT_DATETIME_FORMAT" }}.'
    )
    with translation.override(language):
        shown = template.render(Context({"d": LATE}))
    assert shown == f"{date}|{datetime}.|{short}."
    assert ".." not in shown and "p.m" not in shown


def test_a_published_date_in_a_time_element_is_valid_html(
    client: Client, statement: Statement
) -> None:
    update = Update.objects.create(statement=statement, published_at=LATE)
    UpdateVersion.objects.create(update=update, language="en", title="Strike", body="Meet.")
    for url in (
        "/s/free-them/en/",
        "/s/free-them/en/updates/",
        f"/s/free-them/en/updates/{update.pk}/",
    ):
        page = client.get(url).content.decode()
        found = re.findall(r'<time datetime="([^"]*)">([^<]*)</time>', page)
        assert found, url
        for value, text in found:
            # A valid date or global date and time string: no more than 3 fractional digits.
            assert re.fullmatch(
                r"\d{4}-\d\d-\d\d(T\d\d:\d\d(:\d\d(\.\d{1,3})?)?(Z|[+-]\d\d:\d\d))?", value
            )
            assert text == "6 December 2026"
