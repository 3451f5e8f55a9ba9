"""The funds' housekeeping: pledges nobody confirmed go, transfers and card payments that
never came lapse."""

from __future__ import annotations

from undersigned.funds import retention
from undersigned.jobs.queue import every


@every(3600)
def purge() -> None:
    retention.purge()
