"""A cap on the emails one address receives a day, across all statements: typing a victim's
address into sign forms again and again must not flood their mailbox.

Emails are counted when they are queued, in the transaction that stores the signature and its
job, with one statement per batch of signers (see undersigned.statements.store). A sign form's
email past the cap waits for the day to be over, and then only the newest form of each
signature that sends email sends its link (undersigned.statements.emails): a person who signs
after someone used up her day still gets her link, and the mailbox gets at most one such email
per signature. What one client can make the site send at all is capped apart
(CLIENT_EMAIL_LIMITS), and bounds the rest. The count
is exact under any concurrency; a worker killed while sending may repeat one email, never more.

The address is counted without its +tag whatever its provider: `name+1@` and `name+2@` reach
one mailbox wherever tags are delivered, even where the site keeps them apart as signatures.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Sequence

from django.conf import settings
from django.db import connection

from undersigned.abuse.counters import numbers, numbers_in_rows
from undersigned.abuse.keys import keyed_hash, today
from undersigned.abuse.models import EmailQuota


def key_for(canonical_email: str, day: dt.date | None = None) -> str:
    """The address's key in the day's counts (a keyed hash: no address is stored)."""
    local, at, domain = canonical_email.rpartition("@")
    return keyed_hash("email", f"{local.split('+', 1)[0]}{at}{domain}", day)


def form_key(form_token: str, canonical_email: str) -> str:
    """The key of one use of a sign form's token with one address."""
    return keyed_hash("form", f"{form_token}\x00{canonical_email}")


class Verdict(enum.Enum):
    SEND = "send"
    # Past the day's cap: waits for the day to be over (see the module's docstring).
    DEFER = "defer"
    # The same form sent again with the same address: not sent.
    REPEAT = "repeat"


def judge(email_keys: Sequence[str], form_keys: Sequence[str]) -> list[Verdict]:
    """Count one email for each address key, and one use for each form key (pairs in order);
    say for each what becomes of its email. Call inside the transaction that queues them."""
    day = connection.ops.adapt_datefield_value(today())
    counted = numbers_in_rows(
        EmailQuota, "day", [(key, day) for key in email_keys] + [(key, day) for key in form_keys]
    )
    cap = settings.EMAILS_PER_ADDRESS_PER_DAY
    verdicts = []
    for number, uses in zip(counted[: len(email_keys)], counted[len(email_keys) :], strict=True):
        if uses > 1:
            verdicts.append(Verdict.REPEAT)
        else:
            verdicts.append(Verdict.SEND if number <= cap else Verdict.DEFER)
    return verdicts


def next_day() -> dt.datetime:
    """When the day's counts start again (midnight UTC)."""
    return dt.datetime.combine(today() + dt.timedelta(days=1), dt.time(), tzinfo=dt.UTC)


def take(keys: Sequence[str], day: dt.date | None = None) -> list[bool]:
    """Count one email for each key, in order; say for each whether it is within the day's
    cap. Call inside the transaction that queues the emails."""
    day = day or today()
    counted = numbers(EmailQuota, "day", connection.ops.adapt_datefield_value(day), keys)
    return [number <= settings.EMAILS_PER_ADDRESS_PER_DAY for number in counted]
