"""The comments' housekeeping: unconfirmed comments go with their address, rejected ones and
spam after a while, and moderators who asked are sent their digest of what waits."""

from __future__ import annotations

from undersigned.comments import moderation, retention
from undersigned.jobs.queue import every


@every(3600)
def purge() -> None:
    retention.purge()


@every(300)
def digests() -> None:
    moderation.send_digests()
