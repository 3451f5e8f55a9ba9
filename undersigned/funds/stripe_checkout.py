"""The Stripe Checkout adapter: a Checkout Session for each card payment, on Stripe's own page,
and the webhook events that say what became of it, verified by their Stripe-Signature header.

The official `stripe` library does both; STRIPE_API_BASE points it at a local fake in tests.

Stripe counts some currencies in other units than ISO 4217's minor units, which the ledger
keeps (undersigned.lib.money): amounts are converted both ways here, exactly, and an amount
Stripe cannot take exactly is not sent (`accepts`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import pydantic
import stripe
from django.conf import settings

from undersigned.funds.models import Contribution, Fund
from undersigned.funds.providers import Checkout, InvalidNotice, Notice, NoticeKind, ProviderError
from undersigned.lib import money

if TYPE_CHECKING:
    from stripe.params.checkout import SessionCreateParams

# An event signed longer ago than this is refused: a replay of a captured request.
TOLERANCE_SECONDS = 300
# Seconds to connect to Stripe and to read its answer: a donor waits for it.
TIMEOUT = (5.0, 20.0)

# The languages Stripe Checkout is shown in (its `locale` parameter); another is "auto", the
# donor's browser's.
LOCALES = frozenset(
    "bg cs da de el en en-GB es es-419 et fi fil fr fr-CA hi-IN hr hu id it ja ko lt lv ms mt "
    "nb nl pl pt pt-BR ro ru sk sl sv th tr vi zh zh-HK zh-TW".split()
)
_ALIASES = {"no": "nb", "nn": "nb", "tl": "fil", "hi": "hi-IN"}

# The currencies whose amounts Stripe counts in other units than hundredths
# (docs.stripe.com/currencies: "Zero-decimal currencies", "Three-decimal currencies", "Special
# cases"). HUF and TWD are two-decimal for charges, as every currency not named here.
_ZERO_DECIMAL = frozenset("BIF CLP DJF GNF JPY KMF KRW MGA PYG RWF VND VUV XAF XOF XPF".split())
# Three decimals, the last of which must be 0.
_THREE_DECIMAL = frozenset("BHD JOD KWD OMR TND".split())
# Zero-decimal, but sent as two-decimal amounts whose decimals are 00.
_WHOLE_IN_TWO = frozenset("ISK UGX".split())

_PAID = ("checkout.session.completed", "checkout.session.async_payment_succeeded")
_EXPIRED = ("checkout.session.expired", "checkout.session.async_payment_failed")
_REFUNDED = "charge.refunded"


def locale(language: str) -> str:
    """Stripe's name for the page's language: "es-419" as it is, "es-PE" as "es", "qu" as
    "auto"."""
    by_lower = {tag.lower(): tag for tag in LOCALES}
    tag = language.lower()
    primary = tag.split("-")[0]
    return by_lower.get(tag) or by_lower.get(primary) or _ALIASES.get(primary, "auto")


def _units(currency: str) -> tuple[int, int]:
    """Stripe's digits after the decimal point in `currency`, and the step its amounts keep
    to in those units."""
    code = currency.upper()
    if code in _ZERO_DECIMAL:
        return 0, 1
    if code in _THREE_DECIMAL:
        return 3, 10
    if code in _WHOLE_IN_TWO:
        return 2, 100
    return 2, 1


def _shift(currency: str) -> int:
    """How many more digits after the decimal point Stripe has than ISO 4217 (or fewer)."""
    return _units(currency)[0] - money.exponent(currency.upper())


def stripe_amount(minor: int, currency: str) -> int:
    """`minor` units of `currency` (ISO 4217's, as the ledger keeps them) in Stripe's units:
    ¥1,200 is 1200 in both, 5,000 ISK is 5000 in one and 500000 in the other. ValueError if
    Stripe cannot take that amount exactly (MGA 15.50, KWD 12.345)."""
    shift = _shift(currency)
    if shift >= 0:
        amount = minor * int(10**shift)
    else:
        amount, rest = divmod(minor, int(10**-shift))
        if rest:
            raise ValueError(f"{currency} {minor}: more decimals than Stripe takes")
    if amount % _units(currency)[1]:
        raise ValueError(f"{currency} {minor}: a last digit Stripe does not take")
    return amount


def ledger_amount(amount: int, currency: str) -> int:
    """An amount in Stripe's units of `currency` in ISO 4217's minor units. ValueError if it
    has decimals the currency has not (an ISK amount not ending in 00, which Stripe never
    sends)."""
    shift = _shift(currency)
    if shift <= 0:
        return amount * int(10**-shift)
    minor, rest = divmod(amount, int(10**shift))
    if rest:
        raise ValueError(f"{currency} {amount}: decimals ISO 4217 does not have")
    return minor


def accepts(minor: int, currency: str) -> bool:
    """Whether Stripe can take exactly `minor` units of `currency` (stripe_amount)."""
    try:
        stripe_amount(minor, currency)
    except ValueError:
        return False
    return True


def _references(
    metadata: dict[str, Any] | None, contribution: str | None = None
) -> tuple[str, str]:
    """What the site wrote on a session or a payment: its line's and its fund's keys
    (Notice.reference, Notice.fund_reference), or empty strings."""
    found = metadata or {}
    line = contribution or found.get("contribution")
    fund = found.get("fund")
    return (line if isinstance(line, str) else "", fund if isinstance(fund, str) else "")


class _Data(pydantic.BaseModel):
    object: dict[str, Any]


class _Event(pydantic.BaseModel):
    id: str = pydantic.Field(min_length=1, max_length=255)
    type: str = pydantic.Field(max_length=100)
    data: _Data


class _Customer(pydantic.BaseModel):
    email: str | None = None
    name: str | None = None


class _Session(pydantic.BaseModel):
    id: str = pydantic.Field(min_length=1, max_length=255)
    payment_status: str
    amount_total: int | None = pydantic.Field(default=None, ge=0)
    currency: str | None = None
    payment_intent: str | None = None
    customer_details: _Customer | None = None
    client_reference_id: str | None = None
    metadata: dict[str, Any] | None = None


class _Charge(pydantic.BaseModel):
    id: str
    payment_intent: str | None = None
    amount_refunded: int = pydantic.Field(ge=0)
    currency: str
    # Copied from the PaymentIntent's metadata (payment_intent_data).
    metadata: dict[str, Any] | None = None


class StripeCheckout:
    name = "stripe"
    label = "Stripe"
    host = "checkout.stripe.com"

    def _client(self) -> stripe.StripeClient:
        return stripe.StripeClient(
            settings.STRIPE_SECRET_KEY,
            base_addresses={"api": settings.STRIPE_API_BASE},
            max_network_retries=1,
            http_client=stripe.RequestsClient(timeout=TIMEOUT),
        )

    def checkout(
        self,
        contribution: Contribution,
        fund: Fund,
        *,
        success_url: str,
        cancel_url: str,
        language: str,
    ) -> Checkout:
        version = fund.version_for(language)
        try:
            unit_amount = stripe_amount(contribution.amount, fund.currency)
        except ValueError as error:
            raise ProviderError(str(error)) from error
        references = {"contribution": str(contribution.pk), "fund": str(fund.pk)}
        params: SessionCreateParams = {
            "mode": "payment",
            "submit_type": "donate",
            "line_items": [
                {
                    "quantity": 1,
                    "price_data": {
                        "currency": fund.currency.lower(),
                        "unit_amount": unit_amount,
                        "product_data": {
                            "name": version.title if version else fund.organisation.name
                        },
                    },
                }
            ],
            "client_reference_id": str(contribution.pk),
            "metadata": references,
            # On the payment too: its charge, which a refund names, carries them.
            "payment_intent_data": {"metadata": references},
            "success_url": success_url,
            "cancel_url": cancel_url,
            "locale": locale(language),
        }
        try:
            session = self._client().v1.checkout.sessions.create(params)
        except stripe.StripeError as error:
            raise ProviderError(str(error)) from error
        if not session.id or not session.url:
            raise ProviderError("a Checkout Session without an id or a page")
        return Checkout(session_id=session.id, url=session.url)

    def accepts(self, amount: int, currency: str) -> bool:
        return accepts(amount, currency)

    def notice(self, body: bytes, headers: Mapping[str, str]) -> Notice:
        try:
            stripe.WebhookSignature.verify_header(
                body,
                headers.get("Stripe-Signature"),
                settings.STRIPE_WEBHOOK_SECRET,
                TOLERANCE_SECONDS,
            )
            data = json.loads(body)
            event = _Event.model_validate(data, strict=True)
            return self._read(event)
        except stripe.SignatureVerificationError as error:
            raise InvalidNotice("no valid signature") from error
        # RecursionError: arrays or objects nested deeper than the parser goes. ValueError
        # too: an amount that is no exact amount of its currency (ledger_amount).
        except (ValueError, RecursionError, pydantic.ValidationError) as error:
            raise InvalidNotice("not an event this adapter reads") from error

    def _read(self, event: _Event) -> Notice:
        kind: NoticeKind = "ignored"
        if event.type in _PAID or event.type in _EXPIRED:
            session = _Session.model_validate(event.data.object, strict=True)
            if event.type in _EXPIRED:
                kind = "expired"
            elif session.payment_status == "paid":
                # Completed with a delayed method (a bank debit): paid when it succeeds.
                kind = "paid"
            customer = session.customer_details or _Customer()
            currency = (session.currency or "").upper()
            reference, fund_reference = _references(session.metadata, session.client_reference_id)
            return Notice(
                provider=self.name,
                event_id=event.id,
                kind=kind,
                session_id=session.id,
                payment_id=session.payment_intent or "",
                amount=ledger_amount(session.amount_total or 0, currency),
                currency=currency,
                email=(customer.email or "").strip(),
                name=(customer.name or "").strip(),
                reference=reference,
                fund_reference=fund_reference,
            )
        if event.type == _REFUNDED:
            charge = _Charge.model_validate(event.data.object, strict=True)
            reference, fund_reference = _references(charge.metadata)
            return Notice(
                provider=self.name,
                event_id=event.id,
                kind="refunded" if charge.payment_intent else "ignored",
                payment_id=charge.payment_intent or "",
                amount=ledger_amount(charge.amount_refunded, charge.currency),
                currency=charge.currency.upper(),
                reference=reference,
                fund_reference=fund_reference,
            )
        return Notice(provider=self.name, event_id=event.id, kind=kind)
