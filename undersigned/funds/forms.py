"""The public forms of a fund: a pledge, a bank transfer's reference, a card payment. The
organisers' forms are in undersigned.dashboard. Amounts are typed in major units as the reader
writes them ("12.50", "12,50", "1.240") and cleaned to integers in the fund's minor unit."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any, cast

from django import forms
from django.core.validators import EmailValidator
from django.utils.translation import gettext_lazy as _

from undersigned.funds.actions import PLEDGE_CONSENT_VERSION
from undersigned.funds.models import Fund
from undersigned.lib import money
from undersigned.lib.emails import canonical_email
from undersigned.lib.forms import NameField
from undersigned.statements.models import EMAIL_MAX_LENGTH

# Each pledger records the version of this wording they agreed to (bump both together).
PLEDGE_CONSENT_TEXT = _(
    "I agree that %(organisation)s keeps my name, email address and pledge to ask for and "
    "acknowledge the money, and for nothing else. My name is shown only if I ask for it above."
)
PLEDGE_CONSENT_WORDINGS = {PLEDGE_CONSENT_VERSION: PLEDGE_CONSENT_TEXT}

_SPACES = " \u00a0\u202f'"
_SHAPE = re.compile(r"^\d[\d.,]*$")


def parse_amount(text: str, currency: str) -> int:
    """An amount as a person types it, in minor units; ValueError if it is not one. The last
    separator is the decimal point ("12,5", "12.50", "1.240,50", "1,240.50") unless it is
    followed by three digits and is the only kind used: then the separators group thousands
    ("1.240", "1,240", "1 240", "1.240.000")."""
    value = text.strip()
    for symbol in ("£", "€", "$", "¥", "S/"):
        value = value.replace(symbol, "")
    value = value.strip().removesuffix(currency).removeprefix(currency).strip()
    value = "".join(ch for ch in value if ch not in _SPACES)
    if not _SHAPE.match(value):
        raise ValueError("not a number")
    marks = {ch for ch in value if ch in ".,"}
    head, _sep, tail = max(value.rpartition("."), value.rpartition(","), key=lambda p: len(p[0]))
    groups = re.split(r"[.,]", head)
    if any(len(group) != 3 for group in groups[1:]):
        raise ValueError("not a number")
    if not marks:
        number = value
    elif (
        len(marks) == 1
        and len(tail) == 3
        and groups[0].strip("0")
        and (len(groups) > 1 or money.exponent(currency) != 3)
    ):
        number = value.replace(".", "").replace(",", "")
    else:
        number = f"{head.replace('.', '').replace(',', '')}.{tail}"
    try:
        amount = Decimal(number)
    except InvalidOperation as error:
        raise ValueError("not a number") from error
    if amount <= 0:
        raise ValueError("not positive")
    return money.to_minor(amount, currency)


class AmountField(forms.CharField):
    """An amount of the fund's currency, between its smallest and largest gift."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 20)
        kwargs.setdefault("widget", forms.TextInput(attrs={"inputmode": "decimal"}))
        super().__init__(*args, **kwargs)
        self.fund: Fund | None = None

    def clean(self, value: Any) -> int | None:
        text = super().clean(value)
        if not text:
            return None
        fund = self.fund
        if fund is None:
            raise TypeError("AmountField needs its fund")
        try:
            amount = parse_amount(text, fund.currency)
        except ValueError:
            raise forms.ValidationError(
                _("Write an amount, such as %(example)s.")
                % {
                    "example": money.format_money(
                        _example(fund.currency), fund.currency, _language()
                    )
                },
                code="invalid",
            ) from None
        if amount < fund.min_amount or amount > fund.max_amount:
            raise forms.ValidationError(
                _("Give between %(low)s and %(high)s.")
                % {
                    "low": money.format_money(fund.min_amount, fund.currency, _language()),
                    "high": money.format_money(fund.max_amount, fund.currency, _language()),
                },
                code="range",
            )
        return amount


def _example(currency: str) -> int:
    """20 units of the currency, in its minor unit."""
    return int(20 * 10 ** money.exponent(currency))


def _language() -> str:
    from django.utils import translation

    return translation.get_language() or "en"


class _GiftForm(forms.Form):
    amount = AmountField(label=_("Amount"))
    name = NameField(
        label=_("Your name"),
        max_length=100,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    show_name = forms.BooleanField(
        label=_("Show my name on the list of donors"),
        required=False,
        help_text=_("Unticked, you stay anonymous: only the organisers see your name."),
    )

    prefix_id = "gift"

    def __init__(self, *args: Any, fund: Fund, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", f"{self.prefix_id}-%s")
        super().__init__(*args, **kwargs)
        self.fund = fund
        cast(AmountField, self.fields["amount"]).fund = fund
        if not fund.show_donors:
            del self.fields["show_name"]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("show_name") and not cleaned.get("name"):
            self.add_error("name", _("Write the name to show, or untick the box."))
        cleaned["show_name"] = bool(cleaned.get("show_name"))
        return cleaned

    def clean_email(self) -> str:
        email = str(self.cleaned_data.get("email") or "")
        # As the sign form: an internationalised domain grows when written as IDNA.
        if email and len(canonical_email(email)) > EMAIL_MAX_LENGTH:
            raise forms.ValidationError(EmailValidator.message, code="invalid")
        return email


class PledgeForm(_GiftForm):
    """A promise: name and address required, confirmed by email."""

    prefix_id = "pledge"
    email = forms.EmailField(
        label=_("Email address"),
        max_length=254,
        help_text=_("We email you a link to confirm. Never shown to anyone."),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    consent = forms.BooleanField(
        required=True,
        error_messages={"required": _("Please agree, or we cannot record your pledge.")},
    )

    def __init__(self, *args: Any, fund: Fund, **kwargs: Any) -> None:
        super().__init__(*args, fund=fund, **kwargs)
        self.fields["name"].required = True
        self.fields["consent"].label = PLEDGE_CONSENT_TEXT % {
            "organisation": fund.organisation.name
        }


class TransferForm(_GiftForm):
    """A bank transfer's reference: the amount is optional, the address too (for the details
    by email and a receipt)."""

    prefix_id = "transfer"
    email = forms.EmailField(
        label=_("Email address (optional)"),
        max_length=254,
        required=False,
        help_text=_("For the account details by email and a receipt once the money is in."),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )

    def __init__(self, *args: Any, fund: Fund, **kwargs: Any) -> None:
        super().__init__(*args, fund=fund, **kwargs)
        self.fields["amount"].required = False


class CardForm(_GiftForm):
    """A card payment at the provider: the provider asks for the address and the card."""

    prefix_id = "card"
