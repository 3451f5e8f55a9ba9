"""Changes to a fund's ledger: each atomic, each audited (amounts and states, never a donor's
name or address), each forgetting the cached totals.

Money counts once it is RECEIVED; a confirmed pledge shows in the thermometer's second tone
until received or lapsed. Nothing is deleted but pledges nobody confirmed: a mistake is voided,
with a reason.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import secrets
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from undersigned.abuse import quota
from undersigned.audit.models import record
from undersigned.events.actions import Client
from undersigned.events.models import Event
from undersigned.funds import totals
from undersigned.funds.emails import PLEDGE_CONFIRM, RECEIPT, TRANSFER
from undersigned.funds.models import Contribution, Fund
from undersigned.lib import money
from undersigned.lib.emails import canonical_email
from undersigned.lib.tokens import hash_token, new_token
from undersigned.mailings import outbox

# The version of the wording a pledger agrees to (funds/templates/funds/_consent.html).
PLEDGE_CONSENT_VERSION = "pledge-1"

# A transfer reference: letters and digits nobody misreads, to be typed into a banking app.
_CODE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
_CODE_LENGTH = 8
_CODE_ATTEMPTS = 5

__all__ = ["Client", "Conversion"]


@dataclasses.dataclass(frozen=True, slots=True)
class Conversion:
    """An amount given in another currency, at the rate the organiser entered (units of the
    fund's currency for one unit of `currency`) on `rate_date`."""

    currency: str
    # In `currency`'s minor unit.
    amount: int
    rate: Decimal
    rate_date: dt.date

    def into(self, currency: str) -> int:
        return money.convert(self.amount, self.currency, self.rate, currency)


def _converted(entry: Contribution, fund: Fund, conversion: Conversion | None) -> None:
    if conversion is None:
        return
    entry.original_currency = conversion.currency
    entry.original_amount = conversion.amount
    entry.rate = conversion.rate
    entry.rate_date = conversion.rate_date
    entry.amount = conversion.into(fund.currency)


def _receipt(entry: Contribution) -> None:
    """A receipt to a donor who left an address, once the money is in."""
    if entry.donor_email and entry.receipt_sent_at is None:
        entry.receipt_sent_at = timezone.now()
        entry.save(update_fields=("receipt_sent_at",))
        outbox.enqueue(RECEIPT, {"contribution": entry.pk})


def add_entry(
    fund: Fund,
    *,
    method: str,
    amount: int,
    received_on: dt.date,
    by: Any = None,
    reference: str = "",
    donor_name: str = "",
    donor_email: str = "",
    show_name: bool = False,
    language: str = "",
    note: str = "",
    event: Event | None = None,
    conversion: Conversion | None = None,
    send_receipt: bool = False,
) -> Contribution:
    """Money the organisers received themselves: cash collected at an event, a cheque, a
    transfer that quoted no reference. With `conversion`, `amount` is ignored and worked out."""
    now = timezone.now()
    with transaction.atomic():
        entry = Contribution(
            fund=fund,
            state=Contribution.State.RECEIVED,
            method=method,
            amount=amount,
            received_on=received_on,
            reference=reference,
            donor_name=donor_name,
            donor_email=donor_email,
            email_canonical=canonical_email(donor_email) if donor_email else "",
            show_name=show_name and bool(donor_name),
            language=language or fund.default_language,
            note=note,
            event=event,
            created_by=by if getattr(by, "is_authenticated", False) else None,
            created_at=now,
            changed_at=now,
        )
        _converted(entry, fund, conversion)
        entry.save()
        record(
            "contribution.added",
            actor=by,
            object_id=entry.pk,
            fund=fund.pk,
            organisation=fund.organisation_id,
            method=method,
            amount=entry.amount,
            currency=fund.currency,
        )
        if send_receipt:
            _receipt(entry)
        totals.forget(fund)
    return entry


def _forget_donor(entry: Contribution) -> None:
    entry.donor_name = entry.donor_email = entry.email_canonical = ""
    entry.show_name = False
    entry.token_hash = None


def void(entry: Contribution, reason: str, *, by: Any = None) -> bool:
    """Take an entry out of the totals, with the reason; it stays in the ledger. False if it
    was void already."""
    with transaction.atomic():
        locked = Contribution.objects.select_for_update().get(pk=entry.pk)
        if locked.state == Contribution.State.VOID:
            return False
        was = locked.state
        locked.state = Contribution.State.VOID
        locked.void_reason = reason
        locked.voided_at = locked.changed_at = timezone.now()
        if was == Contribution.State.PENDING or locked.hold_reason:
            # Never confirmed, or held and never sent anything: whoever typed the address is
            # not known to be its owner, and nothing is kept of it.
            _forget_donor(locked)
        locked.save(
            update_fields=(
                "state",
                "void_reason",
                "voided_at",
                "changed_at",
                "donor_name",
                "donor_email",
                "email_canonical",
                "show_name",
                "token_hash",
            )
        )
        record(
            "contribution.voided",
            actor=by,
            object_id=locked.pk,
            fund=locked.fund_id,
            organisation=locked.fund.organisation_id,
            was=was,
            amount=locked.amount,
        )
        totals.forget(locked.fund)
    entry.refresh_from_db()
    return True


def receive(
    entry: Contribution,
    *,
    method: str,
    received_on: dt.date,
    amount: int | None = None,
    reference: str = "",
    conversion: Conversion | None = None,
    by: Any = None,
) -> bool:
    """A pledge or an expected transfer whose money came (or a lapsed one that came late):
    it counts from now, with the amount that actually came; the donor gets a receipt. False if
    it was not waiting for money."""
    waiting = (Contribution.State.PLEDGED, Contribution.State.EXPECTED, Contribution.State.LAPSED)
    with transaction.atomic():
        locked = Contribution.objects.select_related("fund").select_for_update().get(pk=entry.pk)
        if locked.state not in waiting:
            return False
        was = locked.state
        locked.state = Contribution.State.RECEIVED
        locked.method = method
        locked.received_on = received_on
        if amount is not None:
            locked.amount = amount
        if reference:
            locked.reference = reference
        _converted(locked, locked.fund, conversion)
        locked.lapsed_at = None
        locked.changed_at = timezone.now()
        locked.save(
            update_fields=(
                "state",
                "method",
                "received_on",
                "amount",
                "reference",
                "original_currency",
                "original_amount",
                "rate",
                "rate_date",
                "lapsed_at",
                "changed_at",
            )
        )
        record(
            "contribution.received",
            actor=by,
            object_id=locked.pk,
            fund=locked.fund_id,
            organisation=locked.fund.organisation_id,
            was=was,
            method=method,
            amount=locked.amount,
        )
        _receipt(locked)
        totals.forget(locked.fund)
    entry.refresh_from_db()
    return True


def lapse(entry: Contribution, reason: str = "", *, by: Any = None) -> bool:
    """A pledge or an expected payment that will not come. False if it was not waiting."""
    with transaction.atomic():
        locked = Contribution.objects.select_for_update().get(pk=entry.pk)
        if locked.state not in (Contribution.State.PLEDGED, Contribution.State.EXPECTED):
            return False
        was = locked.state
        locked.state = Contribution.State.LAPSED
        locked.lapsed_at = locked.changed_at = timezone.now()
        if reason:
            locked.note = f"{locked.note}\n{reason}".strip()
        locked.save(update_fields=("state", "lapsed_at", "changed_at", "note"))
        record(
            "contribution.lapsed",
            actor=by,
            object_id=locked.pk,
            fund=locked.fund_id,
            organisation=locked.fund.organisation_id,
            was=was,
        )
        totals.forget(locked.fund)
    entry.refresh_from_db()
    return True


def pledge(
    fund: Fund,
    language: str,
    name: str,
    email: str,
    amount: int,
    *,
    show_name: bool,
    client: Client,
    event: Event | None = None,
) -> None:
    """Promise an amount: a row waiting for its email link, and the email (unless held, or
    past the address's daily cap). Returns nothing: the page after the form is the same for
    every address, and a second pledge from one address is a second pledge."""
    token = new_token()
    now = timezone.now()
    with transaction.atomic():
        hold = client.held_for(now)
        entry = Contribution.objects.create(
            fund=fund,
            state=Contribution.State.PENDING,
            method=Contribution.Method.OTHER,
            amount=amount,
            donor_name=name,
            donor_email=email,
            email_canonical=canonical_email(email),
            show_name=show_name,
            language=language,
            consent_version=PLEDGE_CONSENT_VERSION,
            consent_at=now,
            token_hash=hash_token(token),
            hold_reason=hold,
            event=event,
            created_at=now,
            changed_at=now,
        )
        if not hold and quota.take([quota.key_for(canonical_email(email))])[0]:
            outbox.enqueue(PLEDGE_CONFIRM, {"contribution": entry.pk, "token": token})


def pledge_for_token(fund: Fund, token: str) -> Contribution | None:
    """The pledge to this fund a confirmation link names, while the link is valid."""
    cutoff = timezone.now() - dt.timedelta(days=settings.UNCONFIRMED_DAYS)
    return Contribution.objects.filter(
        fund=fund,
        token_hash=hash_token(token),
        created_at__gte=cutoff,
        state=Contribution.State.PENDING,
    ).first()


def confirm_pledge(entry: Contribution) -> bool:
    """The pledger followed the link: the pledge counts, in the second tone."""
    with transaction.atomic():
        locked = Contribution.objects.select_related("fund").select_for_update().get(pk=entry.pk)
        if locked.state != Contribution.State.PENDING:
            return False
        # The address's other unconfirmed pledges to the fund were this one sent again (for
        # a new link): confirming one confirms the promise once.
        if locked.email_canonical:
            Contribution.objects.filter(
                fund_id=locked.fund_id,
                email_canonical=locked.email_canonical,
                state=Contribution.State.PENDING,
            ).exclude(pk=locked.pk).delete()
        locked.state = Contribution.State.PLEDGED
        locked.token_hash = None
        locked.hold_reason = ""
        locked.pledged_at = locked.changed_at = timezone.now()
        locked.save(
            update_fields=("state", "token_hash", "hold_reason", "pledged_at", "changed_at")
        )
        record(
            "contribution.pledged",
            object_id=locked.pk,
            fund=locked.fund_id,
            organisation=locked.fund.organisation_id,
            amount=locked.amount,
        )
        totals.forget(locked.fund)
    entry.refresh_from_db()
    return True


def release(entry: Contribution, *, by: Any = None) -> bool:
    """An organiser lets a held form through: a pledge's confirmation email goes now, with a
    new link (the first was never sent); a transfer's details go to the address it gave.
    False if it was not held."""
    token = new_token()
    with transaction.atomic():
        locked = Contribution.objects.select_related("fund").select_for_update().get(pk=entry.pk)
        if not locked.hold_reason or locked.state not in (
            Contribution.State.PENDING,
            Contribution.State.EXPECTED,
        ):
            return False
        locked.hold_reason = ""
        if locked.state == Contribution.State.PENDING:
            locked.token_hash = hash_token(token)
            outbox.enqueue(PLEDGE_CONFIRM, {"contribution": locked.pk, "token": token})
        elif locked.donor_email:
            outbox.enqueue(TRANSFER, {"contribution": locked.pk})
        locked.save(update_fields=("hold_reason", "token_hash"))
        record(
            "contribution.released",
            actor=by,
            object_id=locked.pk,
            fund=locked.fund_id,
            organisation=locked.fund.organisation_id,
        )
    entry.refresh_from_db()
    return True


def normalise_code(text: str) -> str:
    """A reference as a donor or a bank statement may write it: case, spaces and dashes
    ignored."""
    return "".join(ch for ch in text.upper() if ch.isalnum())


def _new_code() -> str:
    return "U" + "".join(secrets.choice(_CODE_ALPHABET) for _ in range(_CODE_LENGTH - 1))


def expect_transfer(
    fund: Fund,
    language: str,
    amount: int,
    *,
    name: str = "",
    email: str = "",
    show_name: bool = False,
    client: Client,
) -> Contribution:
    """A donor will give by bank transfer: a unique reference to quote, so the organiser can
    match the statement's line. With an address, the details and the reference are emailed
    too (unless held, or past the address's daily cap). `amount` may be 0 (not said)."""
    now = timezone.now()
    for attempt in range(_CODE_ATTEMPTS):
        try:
            with transaction.atomic():
                hold = client.held_for(now)
                entry = Contribution.objects.create(
                    fund=fund,
                    state=Contribution.State.EXPECTED,
                    method=Contribution.Method.BANK,
                    amount=amount,
                    transfer_code=_new_code(),
                    donor_name=name,
                    donor_email=email,
                    email_canonical=canonical_email(email) if email else "",
                    show_name=show_name and bool(name),
                    language=language,
                    hold_reason=hold,
                    created_at=now,
                    changed_at=now,
                )
                if email and not hold and quota.take([quota.key_for(canonical_email(email))])[0]:
                    outbox.enqueue(TRANSFER, {"contribution": entry.pk})
                return entry
        except IntegrityError:
            # The one in 10^10 chance that the reference exists: draw another, a few times.
            if attempt + 1 == _CODE_ATTEMPTS:
                raise
    raise AssertionError("unreachable")


def expected_transfer(code: str) -> Contribution | None:
    """The transfer a reference names, on any fund of the site."""
    wanted = normalise_code(code)
    if not wanted:
        return None
    return Contribution.objects.select_related("fund").filter(transfer_code=wanted).first()
