"""A cap on the emails one address receives a day, across all statements: typing a victim's
address into sign forms again and again must not flood their mailbox.

Emails are counted when they are queued, in the transaction that stores the signature and its
job, with one statement per batch of signers (see undersigned.statements.actions): past the cap
no email is queued. The count is exact under any concurrency; a worker killed while sending
may repeat one email, never more.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.conf import settings
from django.db import connection

from undersigned.abuse.counters import numbers
from undersigned.abuse.keys import keyed_hash, today
from undersigned.abuse.models import EmailQuota


def key_for(canonical_email: str, day: dt.date | None = None) -> str:
    """The address's key in the day's counts (a keyed hash: no address is stored)."""
    return keyed_hash("email", canonical_email, day)


def take(keys: Sequence[str], day: dt.date | None = None) -> list[bool]:
    """Count one email for each key, in order; say for each whether it is within the day's
    cap. Call inside the transaction that queues the emails."""
    day = day or today()
    counted = numbers(EmailQuota, "day", connection.ops.adapt_datefield_value(day), keys)
    return [number <= settings.EMAILS_PER_ADDRESS_PER_DAY for number in counted]
