"""The events' background work: each reminder, when its time comes, and the housekeeping that
deletes attendees' data nobody needs any more."""

from __future__ import annotations

from typing import Any

from undersigned.events import actions
from undersigned.jobs.queue import every, handler


@handler(actions.REMIND)
def remind(payload: dict[str, Any]) -> None:
    actions.remind(payload["event"], payload["hours"], payload["sequence"])


@every(600)
def purge() -> None:
    actions.purge()
