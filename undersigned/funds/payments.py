"""Card payments: beginning one at the provider, and applying the provider's verified webhook
events to the ledger.

A card payment is an EXPECTED line from the moment the donor is sent to the provider; it
counts only when a signed event says the money came (`apply`), with the amount and currency
that event names. The donor's browser coming back to the thanks page records nothing: anyone
can open that address. Events are applied once each (ProviderEvent), and each only from the
state it expects, so a replayed event, or one that arrives after a later one (an "expired"
after the "paid"), changes nothing.

The provider sends events in no set order, and a refund can come before the payment it
undoes. An event about a line of ours that is not yet in the state it follows from is not
recorded (Retry), and the webhook answers it with an error, so that the provider sends it
again later; an event about nothing of ours (another application's, on the same account) is
recorded and answered as done. The site writes its line's and fund's keys on each payment at
the provider: they find the line where its session's id was never saved, too (the site
stopped between the provider's answer and saving it).
"""

from __future__ import annotations

import logging
import re

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone

from undersigned.audit.models import record
from undersigned.events.actions import Client
from undersigned.funds import actions
from undersigned.funds.models import Contribution, Fund, ProviderEvent
from undersigned.funds.providers import Notice, ProviderError, provider
from undersigned.lib import money
from undersigned.lib.emails import canonical_email
from undersigned.statements.models import EMAIL_MAX_LENGTH

logger = logging.getLogger(__name__)

# Stripe's placeholder in a success URL, replaced by the session's id.
SESSION_PLACEHOLDER = "{CHECKOUT_SESSION_ID}"

# A primary key as the site writes it on a payment (a longer one is none of ours).
_KEY = re.compile(r"[1-9][0-9]{0,17}")


class Retry(Exception):  # noqa: N818 - an answer the provider acts on, not a failure
    """An event about a line of ours that came before the one it follows (a refund before
    its payment): nothing was recorded, and the provider must send it again later."""


class PaymentUnavailable(Exception):  # noqa: N818 - a state the donor is told about
    """No payment could be begun: `reason` is "provider" (none set up, or it failed) or the
    reason the form was held (Contribution.HoldReason: a robot's form, too many from one
    network), in which case the provider was not asked."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason

    @property
    def held(self) -> bool:
        return self.reason != "provider"


def _thanks_url(fund: Fund, language: str) -> str:
    return settings.SITE_URL + reverse("fund_thanks", args=(fund.pk, language))


def begin_checkout(
    fund: Fund,
    language: str,
    amount: int,
    *,
    name: str,
    show_name: bool,
    client: Client,
) -> str:
    """A card payment of `amount` (minor units) to the fund: an EXPECTED line, and a session
    at the provider. Returns the provider's page to send the donor to.

    The form of a robot, or of a network past the rate limits, is not sent to the provider
    (it would be a way to test stolen cards in bulk): PaymentUnavailable, with nothing
    stored. A browser without JavaScript sends no proof of work, and is refused too: the
    provider's page needs JavaScript anyway. The provider is called with no transaction
    open; if it fails, the line lapses and PaymentUnavailable says so."""
    adapter = provider()
    if adapter is None:
        raise PaymentUnavailable("provider")
    now = timezone.now()
    with transaction.atomic():
        hold = client.held_for(now)
        if not hold:
            entry = Contribution.objects.create(
                fund=fund,
                state=Contribution.State.EXPECTED,
                method=Contribution.Method.ONLINE,
                provider=adapter.name,
                amount=amount,
                donor_name=name,
                show_name=show_name and bool(name),
                language=language,
                created_at=now,
                changed_at=now,
            )
    # After the transaction: the rate counters the held form went past are kept.
    if hold:
        raise PaymentUnavailable(hold)
    try:
        checkout = adapter.checkout(
            entry,
            fund,
            success_url=f"{_thanks_url(fund, language)}?session={SESSION_PLACEHOLDER}",
            cancel_url=settings.SITE_URL + reverse("fund", args=(fund.pk, language)),
            language=language,
        )
    except ProviderError as error:
        logger.warning("Card payment not begun at %s: %s", adapter.label, error)
        actions.lapse(entry, f"Not begun at {adapter.label}.")
        raise PaymentUnavailable("provider") from error
    entry.provider_session = checkout.session_id
    entry.changed_at = timezone.now()
    entry.save(update_fields=("provider_session", "changed_at"))
    return checkout.url


def apply(notice: Notice) -> bool:
    """Apply a verified webhook event to the ledger, once. False if it was applied before
    (a replay) or changed nothing. Raises Retry, with nothing recorded, if it came too
    early."""
    with transaction.atomic():
        try:
            with transaction.atomic():
                ProviderEvent.objects.create(
                    provider=notice.provider, event_id=notice.event_id, kind=notice.kind
                )
        except IntegrityError:
            return False
        # Retry, raised from here, takes the ProviderEvent back with the rest.
        if notice.kind == "paid":
            return _paid(notice)
        if notice.kind == "expired":
            return _expired(notice)
        if notice.kind == "refunded":
            return _refunded(notice)
    return False


def _label(notice: Notice) -> str:
    adapter = provider()
    return (
        adapter.label
        if adapter is not None and adapter.name == notice.provider
        else notice.provider
    )


def _lines(notice: Notice) -> QuerySet[Contribution]:
    return (
        Contribution.objects.select_related("fund")
        .select_for_update(of=("self",))
        .filter(provider=notice.provider)
    )


def _referenced(notice: Notice) -> Contribution | None:
    """The line the site wrote on the payment, if it is one of ours: begun at that provider,
    for the fund named with it."""
    if not (_KEY.fullmatch(notice.reference) and _KEY.fullmatch(notice.fund_reference)):
        return None
    return (
        _lines(notice).filter(pk=int(notice.reference), fund_id=int(notice.fund_reference)).first()
    )


def _unknown(notice: Notice) -> None:
    # Another application's payment on the same account, or a line made elsewhere.
    logger.info("%s event %s names no card payment here", notice.provider, notice.event_id)


def _too_early(notice: Notice, entry: Contribution) -> Retry:
    logger.warning(
        "%s event %s: contribution %s was %s, to be sent again",
        notice.provider,
        notice.event_id,
        entry.pk,
        entry.state,
    )
    return Retry(notice.event_id)


def _session_entry(notice: Notice) -> Contribution | None:
    entry = (
        _lines(notice).filter(provider_session=notice.session_id).first()
        if notice.session_id
        else None
    )
    if entry is None and notice.session_id:
        entry = _referenced(notice)
        if entry is not None and entry.provider_session is not None:
            # That line has a session of its own: this one is not ours.
            entry = None
        elif entry is not None:
            entry.provider_session = notice.session_id
            entry.save(update_fields=("provider_session",))
    if entry is None:
        _unknown(notice)
    return entry


def _paid(notice: Notice) -> bool:
    entry = _session_entry(notice)
    if entry is None:
        return False
    if entry.state not in (Contribution.State.EXPECTED, Contribution.State.LAPSED):
        if entry.state != Contribution.State.RECEIVED:
            logger.warning(
                "%s event %s: contribution %s was %s, not recorded",
                notice.provider,
                notice.event_id,
                entry.pk,
                entry.state,
            )
        return False
    if notice.currency != entry.fund.currency or notice.amount <= 0:
        logger.warning(
            "%s event %s: paid %s %s to a fund in %s, not recorded",
            notice.provider,
            notice.event_id,
            notice.amount,
            notice.currency,
            entry.fund.currency,
        )
        return False
    email = notice.email if len(canonical_email(notice.email)) <= EMAIL_MAX_LENGTH else ""
    entry.donor_email = email
    entry.email_canonical = canonical_email(email) if email else ""
    if not entry.donor_name:
        entry.donor_name = notice.name[:100]
    entry.provider_payment = notice.payment_id
    entry.save(update_fields=("donor_email", "email_canonical", "donor_name", "provider_payment"))
    return actions.receive(
        entry,
        method=Contribution.Method.ONLINE,
        received_on=timezone.localdate(),
        amount=notice.amount,
    )


def _expired(notice: Notice) -> bool:
    entry = _session_entry(notice)
    if entry is None or entry.state != Contribution.State.EXPECTED:
        return False
    return actions.lapse(entry, f"Not completed at {_label(notice)}.")


def _refunded(notice: Notice) -> bool:
    entry = (
        _lines(notice)
        .filter(provider_payment=notice.payment_id, state=Contribution.State.RECEIVED)
        .first()
        if notice.payment_id
        else None
    )
    if entry is None:
        entry = _referenced(notice)
        if entry is None or entry.provider_payment not in ("", notice.payment_id):
            _unknown(notice)
            return False
        if entry.state in (Contribution.State.EXPECTED, Contribution.State.LAPSED):
            # Refunded before the event that says it was paid.
            raise _too_early(notice, entry)
        if entry.state != Contribution.State.RECEIVED:
            return False
    if notice.currency != entry.fund.currency:
        logger.warning(
            "%s event %s: %s %s of contribution %s to a fund in %s refunded, not voided",
            notice.provider,
            notice.event_id,
            notice.amount,
            notice.currency,
            entry.pk,
            entry.fund.currency,
        )
        return False
    if notice.amount < entry.amount:
        return _partly_refunded(entry, notice)
    return actions.void(entry, f"Refunded at {_label(notice)}.")


def _partly_refunded(entry: Contribution, notice: Notice) -> bool:
    """Part of a gift given back: it still counts what it did, and the organisers are told
    on the line (and in the audit log), to correct it themselves if they want."""
    amount = money.format_money(notice.amount, entry.fund.currency, "en")
    entry.note = f"{entry.note}\nPartly refunded at {_label(notice)}: {amount}".strip()
    entry.changed_at = timezone.now()
    entry.save(update_fields=("note", "changed_at"))
    record(
        "contribution.partly_refunded",
        object_id=entry.pk,
        fund=entry.fund_id,
        organisation=entry.fund.organisation_id,
        amount=notice.amount,
    )
    return True
