"""What a fund's ledger keeps of people, and for how long: an erasure request blanks an
address's lines (the amounts stay), and the worker's housekeeping deletes pledges nobody
confirmed and lapses transfers and card payments whose money never came."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from undersigned.audit.models import record
from undersigned.funds.models import Contribution
from undersigned.mailings import outbox


def erase(found: QuerySet[Contribution]) -> int:
    """An erasure request: the name and address go from these ledger lines, with their
    reference and note (a bank statement's line names its payer); the amounts, dates and
    methods stay (the organisation's accounts need them), and pledges never confirmed go
    altogether.
    Returns how many lines changed. Not audited here: whether an address gave is not the
    organisers' to learn from the log (the request's own row counts signatures only)."""
    ids = list(found.values_list("pk", flat=True))
    with transaction.atomic():
        outbox.forget("contribution", ids)
        Contribution.objects.filter(pk__in=ids, state=Contribution.State.PENDING).delete()
        return Contribution.objects.filter(pk__in=ids).update(
            donor_name="",
            donor_email="",
            email_canonical="",
            show_name=False,
            reference="",
            note="",
            changed_at=timezone.now(),
        )


def purge(now: dt.datetime | None = None) -> None:
    """Housekeeping: pledges nobody confirmed are deleted with their address; transfers whose
    money never came lapse after FUND_TRANSFER_DAYS; card payments abandoned at the provider
    lapse after a day."""
    now = now or timezone.now()
    with transaction.atomic():
        Contribution.objects.filter(
            state=Contribution.State.PENDING,
            created_at__lt=now - dt.timedelta(days=settings.UNCONFIRMED_DAYS),
        ).delete()
        stale = Contribution.objects.filter(state=Contribution.State.EXPECTED).filter(
            method=Contribution.Method.BANK,
            created_at__lt=now - dt.timedelta(days=settings.FUND_TRANSFER_DAYS),
        ) | Contribution.objects.filter(
            state=Contribution.State.EXPECTED,
            method=Contribution.Method.ONLINE,
            created_at__lt=now - dt.timedelta(days=1),
        )
        # A held line was never sent anything: its address goes as it lapses.
        stale.exclude(hold_reason="").update(
            donor_name="", donor_email="", email_canonical="", show_name=False
        )
        lapsed = stale.update(state=Contribution.State.LAPSED, lapsed_at=now, changed_at=now)
        if lapsed:
            record("contribution.lapsed", lines=lapsed, automatic=True)
