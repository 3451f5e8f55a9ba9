"""Card payments through a payment provider, behind one small interface: the donor is sent to
the provider's own page (no script of the provider's on ours), and a payment counts only once
the provider's signed webhook event says so, never from the browser's return.

One adapter so far, Stripe Checkout (undersigned.funds.stripe_checkout), on when both
STRIPE_SECRET_KEY and STRIPE_WEBHOOK_SECRET are set: without the second, payments would begin
that nothing could record. The keys come from the environment only.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import TYPE_CHECKING, Literal, Protocol

from django.conf import settings

if TYPE_CHECKING:
    from undersigned.funds.models import Contribution, Fund

NoticeKind = Literal["paid", "expired", "refunded", "ignored"]


class ProviderError(Exception):
    """The provider could not be reached, or refused to start a payment."""


class InvalidNotice(Exception):  # noqa: N818 - the webhook view answers 400 to it
    """A webhook request without a valid, recent signature, or whose body is not an event."""


@dataclasses.dataclass(frozen=True, slots=True)
class Checkout:
    """A payment begun at the provider: its id, and the page to send the donor to."""

    session_id: str
    url: str


@dataclasses.dataclass(frozen=True, slots=True)
class Notice:
    """A verified webhook event, as the ledger needs it.

    `paid`: the session's money came; `expired`: the session ended without it; `refunded`:
    the payment was refunded (`amount` is how much of it in all); `ignored`: anything else.

    `reference` and `fund_reference` are what the site itself wrote on the payment at the
    provider: the primary keys of its line and of its fund, as text. Another application's
    payment on the same account has none."""

    provider: str
    event_id: str
    kind: NoticeKind
    session_id: str = ""
    payment_id: str = ""
    # Minor units of `currency`, an upper-case ISO 4217 code.
    amount: int = 0
    currency: str = ""
    email: str = ""
    name: str = ""
    reference: str = ""
    fund_reference: str = ""


class Provider(Protocol):
    # In the ledger (Contribution.provider, ProviderEvent.provider) and the webhook's address.
    name: str
    # As the donor reads it: "Stripe".
    label: str
    # Where the donor is sent, shown beside the form: "checkout.stripe.com".
    host: str

    def checkout(
        self,
        contribution: Contribution,
        fund: Fund,
        *,
        success_url: str,
        cancel_url: str,
        language: str,
    ) -> Checkout:
        """Begin a payment of the contribution's amount to the fund, the provider's page in
        `language` where it has it. Raises ProviderError."""
        ...

    def accepts(self, amount: int, currency: str) -> bool:
        """Whether the provider can take exactly `amount` (minor units of `currency`, an
        upper-case ISO 4217 code): it may count in other units than ISO 4217's."""
        ...

    def notice(self, body: bytes, headers: Mapping[str, str]) -> Notice:
        """Verify a webhook request (its body as received, and its headers) and read its
        event: a kind the ledger has no use for is `ignored`. Raises InvalidNotice."""
        ...


def provider() -> Provider | None:
    """The provider the site is set up with, or None: no card payments."""
    if not (settings.STRIPE_SECRET_KEY and settings.STRIPE_WEBHOOK_SECRET):
        return None
    from undersigned.funds.stripe_checkout import StripeCheckout

    return StripeCheckout()
