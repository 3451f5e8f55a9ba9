"""Housekeeping the worker runs for statements."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from undersigned.jobs.queue import every
from undersigned.statements.actions import purge_unconfirmed
from undersigned.statements.models import Signature
from undersigned.statements.privacy import erase_closed

# How long a signature keeps the hash of the network it came from, for organisers' checks
# (as long as anti-abuse keeps the day key that made it: undersigned.abuse.jobs).
NETWORK_KEPT = dt.timedelta(hours=48)


def forget_networks(now: dt.datetime | None = None) -> None:
    """Clear the network hashes of signatures older than NETWORK_KEPT."""
    cutoff = (now or timezone.now()) - NETWORK_KEPT
    Signature.objects.filter(created_at__lt=cutoff).exclude(network="").update(network="")


@every(600)
def purge_unconfirmed_signatures() -> None:
    while purge_unconfirmed():
        pass


@every(600)
def forget_old_networks() -> None:
    forget_networks()


@every(3600)
def erase_closed_statements() -> None:
    erase_closed()
