"""The funds' emails, as kinds of the outbox: the link that confirms a pledge, a bank
transfer's details and reference, and the receipt once the money is in. Each is rendered in
the donor's language from the ledger line as it is when sent."""

from __future__ import annotations

PLEDGE_CONFIRM = "fund_pledge_confirm"
TRANSFER = "fund_transfer"
RECEIPT = "fund_receipt"
