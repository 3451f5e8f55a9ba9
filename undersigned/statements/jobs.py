"""Housekeeping the worker runs for statements."""

from __future__ import annotations

from undersigned.jobs.queue import every
from undersigned.statements.actions import purge_unconfirmed
from undersigned.statements.privacy import erase_closed


@every(600)
def purge_unconfirmed_signatures() -> None:
    while purge_unconfirmed():
        pass


@every(3600)
def erase_closed_statements() -> None:
    erase_closed()
