"""Forms for funds in the dashboard. Amounts are typed in major units as the organiser writes
them ("5,000", "12.50", "12,50") and cleaned to integers in the currency's minor unit
(undersigned.funds.forms.parse_amount); a gift in another currency is converted at the rate the
organiser types, with its date. Errors are in the organiser's interface language."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation
from typing import Any, cast

from babel.numbers import get_territory_currencies
from django import forms
from django.db.models import QuerySet
from django.utils import timezone, translation
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _

from undersigned.dashboard.statement_forms import _LANGUAGE_HELP, _clean_tag
from undersigned.events.models import Event
from undersigned.funds.forms import parse_amount
from undersigned.funds.models import Contribution, Fund, FundVersion
from undersigned.lib import money
from undersigned.lib.forms import CleanLineField, LanguageTagInput
from undersigned.organisations.models import Organisation
from undersigned.statements.models import Statement

# The largest amount a form takes, in minor units: far above any fund, far below what the
# database's integers hold (a rate multiplies it).
MAX_MINOR = 10**15
# A rate has at most this many digits before and after the point (Contribution.rate).
RATE_WHOLE_DIGITS = 10
RATE_DECIMALS = 8
# Dates of money received: not in the future, not more than this many years back.
YEARS_BACK = 10

# How money the organisers enter themselves came in: not through the card provider.
OFFLINE_METHODS = [
    (value, label)
    for value, label in Contribution.Method.choices
    if value != Contribution.Method.ONLINE
]

_IBAN = re.compile(r"^[A-Z]{2}[0-9]{2}[A-Z0-9]{10,30}$")
_BIC = re.compile(r"^[A-Z]{6}[A-Z0-9]{2}(?:[A-Z0-9]{3})?$")


def interface_language() -> str:
    return translation.get_language() or "en"


def currency_choices() -> list[tuple[str, str]]:
    """Every currency a fund may be in, by code, with its name in the interface language."""
    language = interface_language()
    return [
        (code, f"{code} · {money.currency_name(code, language)}")
        for code in sorted(money.currencies())
    ]


def currency_of_country(country: str) -> str:
    """The currency of an ISO 3166 country (GBP for GB, PEN for PE), else EUR."""
    if country:
        for code in get_territory_currencies(country.upper()):
            if money.is_currency(code):
                return str(code)
    return "EUR"


def amount_error(currency: str) -> forms.ValidationError:
    example = int(20 * 10 ** money.exponent(currency))
    return forms.ValidationError(
        _("Write an amount in %(currency)s, such as %(example)s."),
        params={
            "currency": currency,
            "example": money.format_money(example, currency, interface_language(), cents=True),
        },
        code="invalid",
    )


def clean_amount(text: str, currency: str) -> int:
    """A typed amount in `currency`'s minor unit, or a ValidationError that says how to write
    one."""
    try:
        amount = parse_amount(text, currency)
    except ValueError:
        raise amount_error(currency) from None
    if amount > MAX_MINOR:
        raise forms.ValidationError(_("This amount is too large."), code="too_large")
    return amount


def shown_amount(minor: int, currency: str) -> str:
    """An amount as the form shows it back: plain digits and a point, which it reads again."""
    return str(money.to_major(minor, currency))


class AmountInput(forms.TextInput):
    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__({"inputmode": "decimal", "autocomplete": "off", **(attrs or {})})


def amount_field(label: Any, *, required: bool = True, help_text: Any = "") -> forms.CharField:
    return forms.CharField(
        label=label, max_length=30, required=required, help_text=help_text, widget=AmountInput()
    )


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self) -> None:
        super().__init__(format="%Y-%m-%d")


def _label_of(versions: list[Any], default_language: str, fallback: str) -> str:
    first = next((v for v in versions if v.language == default_language), None)
    return str(Truncator(first.title if first else fallback).chars(80))


def _statement_label(statement: Statement) -> str:
    return _label_of(list(statement.versions.all()), statement.default_language, statement.slug)


def event_label(event: Event) -> str:
    """An event as a choice or a ledger line names it: its title and its day."""
    title = _label_of(list(event.versions.all()), event.default_language, f"#{event.pk}")
    return f"{title} ({event.local_start:%Y-%m-%d})"


def organisation_events(organisation: Organisation) -> QuerySet[Event]:
    return (
        Event.objects.filter(organisation=organisation)
        .prefetch_related("versions")
        .order_by("-start", "-pk")
    )


def parse_rate(text: str) -> Decimal:
    """A rate as typed: "0.8571", or "0,8571" as a comma-decimal language writes it."""
    value = text.strip().replace(" ", "")
    if "," in value and "." not in value:
        value = value.replace(",", ".")
    wrong = forms.ValidationError(_("Write the rate as a number, such as 0.8571."), code="invalid")
    try:
        rate = Decimal(value)
    except InvalidOperation:
        raise wrong from None
    if not rate.is_finite() or rate <= 0:
        raise wrong
    if rate >= 10**RATE_WHOLE_DIGITS or rate != rate.quantize(Decimal(1).scaleb(-RATE_DECIMALS)):
        raise forms.ValidationError(
            _("Write the rate with at most %(decimals)s decimals."),
            params={"decimals": RATE_DECIMALS},
            code="precision",
        )
    return rate


def clean_received_on(day: dt.date | None) -> dt.date | None:
    if day is None:
        return None
    today = timezone.localdate()
    if day > today:
        raise forms.ValidationError(_("This date is in the future."), code="future")
    if day.year < today.year - YEARS_BACK:
        raise forms.ValidationError(
            _("This date is more than %(years)s years ago."),
            params={"years": YEARS_BACK},
            code="too_old",
        )
    return day


class FundForm(forms.ModelForm):  # type: ignore[type-arg]
    """A fund's settings: what it is for, its currency, target and dates, the gifts it takes
    and the bank account transfers go to. Its texts are in its language versions."""

    currency = forms.ChoiceField(
        label=_("Currency"),
        help_text=_("Every amount of the fund is in it. It cannot change once money is entered."),
    )
    target = amount_field(_("Target"))
    min_amount = amount_field(
        _("Smallest gift"), help_text=_("The smallest amount the public forms take.")
    )
    max_amount = amount_field(
        _("Largest gift"), help_text=_("The largest amount the public forms take.")
    )
    bank_holder = CleanLineField(label=_("Account holder"), max_length=70, required=False)

    class Meta:
        model = Fund
        fields: tuple[str, ...] = (
            "statement",
            "event",
            "currency",
            "target",
            "starts_on",
            "ends_on",
            "show_donors",
            "min_amount",
            "max_amount",
            "pledges_open",
            "online_open",
            "bank_holder",
            "bank_iban",
            "bank_bic",
            "bank_details",
        )
        widgets = {
            "starts_on": DateInput(),
            "ends_on": DateInput(),
            "bank_details": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args: Any, organisation: Organisation, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        fund = self.instance
        self.organisation = organisation
        currency = cast(forms.ChoiceField, self.fields["currency"])
        currency.choices = currency_choices()
        statement = cast(forms.ModelChoiceField, self.fields["statement"])  # type: ignore[type-arg]
        statement.queryset = Statement.objects.filter(organisation=organisation).prefetch_related(
            "versions"
        )
        statement.label_from_instance = _statement_label  # type: ignore[method-assign,assignment]
        statement.empty_label = _("No statement")
        event = cast(forms.ModelChoiceField, self.fields["event"])  # type: ignore[type-arg]
        event.queryset = organisation_events(organisation)
        event.label_from_instance = event_label  # type: ignore[method-assign,assignment]
        event.empty_label = _("No event")
        event.help_text = _(
            "The event's page shows the fund's thermometer; cash collected there can be "
            "entered against it."
        )
        self.fields["bank_iban"].help_text = _("Spaces are fine: they are taken out.")
        self.fields["bank_bic"].help_text = _("8 or 11 letters and digits.")
        if fund.pk:
            for name in ("target", "min_amount", "max_amount"):
                self.initial[name] = shown_amount(getattr(fund, name), fund.currency)
            if fund.contributions.exists():
                currency.disabled = True
        else:
            # The model's defaults are in minor units of no currency yet: say them in major.
            self.initial["currency"] = currency_of_country(organisation.country)
            self.initial["min_amount"] = "1"
            self.initial["max_amount"] = "10000"

    def clean_bank_iban(self) -> str:
        iban = re.sub(r"[\s-]", "", str(self.cleaned_data.get("bank_iban") or "")).upper()
        if not iban:
            return ""
        # ISO 13616: the country and check digits moved to the end, letters as numbers,
        # leave 1 when divided by 97.
        shaped = bool(_IBAN.match(iban)) and iban.isascii()
        digits = "".join(str(int(ch, 36)) for ch in iban[4:] + iban[:4]) if shaped else ""
        if not digits or int(digits) % 97 != 1:
            raise forms.ValidationError(
                _("This is not an IBAN: check it against the bank's letter."), code="invalid"
            )
        return iban

    def clean_bank_bic(self) -> str:
        bic = re.sub(r"\s", "", str(self.cleaned_data.get("bank_bic") or "")).upper()
        if bic and not _BIC.match(bic):
            raise forms.ValidationError(_("A BIC has 8 or 11 letters and digits."), code="invalid")
        return bic

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        currency = data.get("currency") or (self.instance.currency if self.instance.pk else "")
        for name in ("target", "min_amount", "max_amount"):
            text = str(data.get(name) or "").strip()
            if name in self.errors or not text:
                continue
            if not currency:
                self.add_error(name, _("Choose the currency first: the amount is read in it."))
                continue
            try:
                data[name] = clean_amount(text, currency)
            except forms.ValidationError as error:
                self.add_error(name, error)
        low, high = data.get("min_amount"), data.get("max_amount")
        if isinstance(low, int) and isinstance(high, int) and low > high:
            self.add_error("max_amount", _("The largest gift must be at least the smallest."))
        starts, ends = data.get("starts_on"), data.get("ends_on")
        if starts and ends and ends < starts:
            self.add_error("ends_on", _("The fund must end on or after the day it starts."))
        return data


class EditFundForm(FundForm):
    default_language = forms.ChoiceField(label=_("Default language"))

    class Meta(FundForm.Meta):
        fields = ("default_language", *FundForm.Meta.fields)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        default = cast(forms.ChoiceField, self.fields["default_language"])
        default.choices = [(v.language, v.language) for v in self.instance.versions.all()]
        default.help_text = _("Shown to readers whose language the fund has no version in.")


class VersionForm(forms.ModelForm):  # type: ignore[type-arg]
    """A fund's title and text in one language."""

    class Meta:
        model = FundVersion
        fields: tuple[str, ...] = ("title", "text")
        field_classes = {"title": CleanLineField}
        widgets = {"text": forms.Textarea(attrs={"rows": 12, "data-markdown": ""})}


class NewVersionForm(VersionForm):
    language = forms.CharField(
        label=_("Language"), max_length=35, help_text=_LANGUAGE_HELP, widget=LanguageTagInput()
    )

    class Meta(VersionForm.Meta):
        fields = ("language", "title", "text")

    def __init__(self, *args: Any, fund: Fund | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fund = fund

    def clean_language(self) -> str:
        tag = _clean_tag(self.cleaned_data["language"])
        if self.fund is not None and self.fund.versions.filter(language__iexact=tag).exists():
            raise forms.ValidationError(
                _("This fund already has a version in %(tag)s."), params={"tag": tag}
            )
        return tag
