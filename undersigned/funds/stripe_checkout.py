"""The Stripe Checkout adapter: a Checkout Session for each card payment, on Stripe's own page,
and the webhook events that say what became of it, verified by their Stripe-Signature header.

The official `stripe` library does both; STRIPE_API_BASE points it at a local fake in tests.
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


class _Charge(pydantic.BaseModel):
    id: str
    payment_intent: str | None = None
    amount_refunded: int = pydantic.Field(ge=0)
    currency: str


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
        params: SessionCreateParams = {
            "mode": "payment",
            "submit_type": "donate",
            "line_items": [
                {
                    "quantity": 1,
                    "price_data": {
                        "currency": fund.currency.lower(),
                        "unit_amount": contribution.amount,
                        "product_data": {
                            "name": version.title if version else fund.organisation.name
                        },
                    },
                }
            ],
            "client_reference_id": str(contribution.pk),
            "metadata": {"contribution": str(contribution.pk), "fund": str(fund.pk)},
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
        # RecursionError: arrays or objects nested deeper than the parser goes.
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
            return Notice(
                provider=self.name,
                event_id=event.id,
                kind=kind,
                session_id=session.id,
                payment_id=session.payment_intent or "",
                amount=session.amount_total or 0,
                currency=(session.currency or "").upper(),
                email=(customer.email or "").strip(),
                name=(customer.name or "").strip(),
            )
        if event.type == _REFUNDED:
            charge = _Charge.model_validate(event.data.object, strict=True)
            return Notice(
                provider=self.name,
                event_id=event.id,
                kind="refunded" if charge.payment_intent else "ignored",
                payment_id=charge.payment_intent or "",
                amount=charge.amount_refunded,
                currency=charge.currency.upper(),
            )
        return Notice(provider=self.name, event_id=event.id, kind=kind)
