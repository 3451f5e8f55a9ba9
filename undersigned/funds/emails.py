"""The funds' emails, as kinds of the outbox: the link that confirms a pledge, a bank
transfer's details and reference, and the receipt once the money is in. Each is rendered in
the donor's language from the ledger line as it is when sent: a line erased or voided
meanwhile is sent nothing."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.urls import reverse
from django.utils import translation

from undersigned.funds.models import Contribution, Fund
from undersigned.lib import money
from undersigned.lib.languages import ui_language
from undersigned.lib.tokens import hash_token
from undersigned.mailings import outbox

PLEDGE_CONFIRM = "fund_pledge_confirm"
TRANSFER = "fund_transfer"
RECEIPT = "fund_receipt"


def _fund(pk: int) -> Fund | None:
    return (
        Fund.objects.select_related("organisation")
        .prefetch_related("versions")
        .filter(pk=pk)
        .first()
    )


def _email(
    kind: str,
    entry: Contribution,
    fund: Fund,
    extra: Mapping[str, Any] | None = None,
    *,
    personal: Mapping[str, str] | None = None,
) -> outbox.Email:
    version = fund.version_for(entry.language)
    language = version.language if version else fund.default_language
    ui = ui_language(language, fund.default_language)
    with translation.override(ui):
        amount = money.format_money(entry.amount, fund.currency, language) if entry.amount else ""
        method = entry.get_method_display()
        original = (
            money.format_money(entry.original_amount, entry.original_currency, language)
            if entry.original_currency and entry.original_amount is not None
            else ""
        )
    fixed = {
        "fund": fund,
        "entry": entry,
        "organisation": fund.organisation,
        "title": version.title if version else "",
        "amount": amount,
        "method": method,
        "original": original,
        "fund_url": settings.SITE_URL + reverse("fund", args=(fund.pk, language)),
        "unconfirmed_days": settings.UNCONFIRMED_DAYS,
        "transfer_url": (
            settings.SITE_URL
            + reverse("fund_transfer_details", args=(fund.pk, language, entry.transfer_code))
            if entry.transfer_code
            else ""
        ),
        **(extra or {}),
    }

    def context(values: Mapping[str, str]) -> dict[str, Any]:
        found = dict(fixed)
        if "token" in values:
            found["confirm_url"] = settings.SITE_URL + reverse(
                "fund_pledge_confirm", args=(fund.pk, values["token"])
            )
        return found

    def headers(_context: Mapping[str, Any]) -> dict[str, str]:
        return {"Auto-Submitted": "auto-generated"}

    return outbox.Email(
        kind=kind,
        to=entry.donor_email,
        sender=fund.organisation.name,
        language=ui,
        context=context,
        personal=dict(personal or {}),
        headers=headers,
    )


def _load(
    kind: str, payloads: list[dict[str, Any]], states: tuple[str, ...]
) -> list[outbox.Email | None]:
    emails: list[outbox.Email | None] = []
    for payload in payloads:
        entry = Contribution.objects.filter(pk=payload["contribution"], state__in=states).first()
        fund = _fund(entry.fund_id) if entry else None
        if entry is None or fund is None or not entry.donor_email:
            emails.append(None)
            continue
        token = payload.get("token")
        if token and entry.token_hash != hash_token(token):
            # A later link was sent (the pledge was released): this one confirms nothing.
            emails.append(None)
            continue
        emails.append(_email(kind, entry, fund, personal={"token": token} if token else None))
    return emails


def _load_confirm(payloads: list[dict[str, Any]]) -> list[outbox.Email | None]:
    return _load(PLEDGE_CONFIRM, payloads, (Contribution.State.PENDING,))


def _load_transfer(payloads: list[dict[str, Any]]) -> list[outbox.Email | None]:
    return _load(TRANSFER, payloads, (Contribution.State.EXPECTED,))


def _load_receipt(payloads: list[dict[str, Any]]) -> list[outbox.Email | None]:
    return _load(RECEIPT, payloads, (Contribution.State.RECEIVED,))


outbox.register(PLEDGE_CONFIRM, _load_confirm)
outbox.register(TRANSFER, _load_transfer)
outbox.register(RECEIPT, _load_receipt, priority=1)
