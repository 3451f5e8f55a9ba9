from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
from django.db import connection
from hypothesis import given, settings
from hypothesis import strategies as st

from undersigned.jobs.models import Job
from undersigned.lib import fastinsert

ZONES = [dt.UTC, zoneinfo.ZoneInfo("America/Lima"), zoneinfo.ZoneInfo("Asia/Kolkata")]


@settings(max_examples=300, deadline=None)
@given(
    st.datetimes(
        # Naive bounds, as hypothesis wants them; the times drawn are aware.
        min_value=dt.datetime(1900, 1, 2),  # noqa: DTZ001
        max_value=dt.datetime(9998, 12, 30),  # noqa: DTZ001
        timezones=st.sampled_from(ZONES),
    )
)
def test_a_time_is_adapted_as_djangos_adapter_does(value: dt.datetime) -> None:
    adapt = fastinsert._datetime_adapter(connection.vendor, connection.timezone)
    assert adapt(value) == connection.ops.adapt_datetimefield_value(value)


def test_rows_read_back_as_written(db: None) -> None:
    lima = zoneinfo.ZoneInfo("America/Lima")
    times = [
        dt.datetime(2026, 12, 6, 9, 30, tzinfo=dt.UTC),
        dt.datetime(2026, 12, 6, 9, 30, 1, 250, tzinfo=dt.UTC),
        dt.datetime(2026, 12, 6, 4, 30, 2, tzinfo=lima),
    ]
    rows = [
        {"kind": "x.test", "payload": {"n": n, "é": "ñ"}, "run_after": at, "created_at": at}
        for n, at in enumerate(times)
    ]
    inserted = fastinsert.insert(Job, rows, returning=("kind",))
    assert [kind for _pk, kind in inserted] == ["x.test"] * 3
    stored = {job.pk: job for job in Job.objects.all()}
    for (pk, _kind), row in zip(sorted(inserted), rows, strict=True):
        job = stored[pk]
        assert (job.payload, job.run_after, job.created_at, job.priority, job.failed_at) == (
            row["payload"],
            row["run_after"],
            row["created_at"],
            0,
            None,
        )


def test_a_value_without_a_constant_default_must_be_given(db: None) -> None:
    with pytest.raises(KeyError, match="Job.run_after"):
        fastinsert.insert(Job, [{"kind": "x.test", "payload": {}, "created_at": None}])
