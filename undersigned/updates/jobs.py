"""Housekeeping the worker runs for followers."""

from __future__ import annotations

from undersigned.jobs.queue import every
from undersigned.updates.actions import purge_unconfirmed


@every(600)
def purge_unconfirmed_followers() -> None:
    while purge_unconfirmed():
        pass
