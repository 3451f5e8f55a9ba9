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
from django.db.models import Q, QuerySet
from django.utils import timezone, translation
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _

from undersigned.dashboard.statement_forms import _LANGUAGE_HELP, _clean_tag
from undersigned.events.models import Event
from undersigned.funds.actions import Conversion, normalise_code
from undersigned.funds.forms import parse_amount
from undersigned.funds.models import Contribution, Fund, FundVersion
from undersigned.lib import money
from undersigned.lib.forms import CleanLineField, LanguageTagInput, NameField
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


def _language() -> str:
    return translation.get_language() or "en"


def currency_choices() -> list[tuple[str, str]]:
    """Every currency a fund may be in, by code, with its name in the interface language."""
    language = _language()
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
            "example": money.format_money(example, currency, _language(), cents=True),
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


def _amount_field(label: Any, *, required: bool = True, help_text: Any = "") -> forms.CharField:
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


def _rate(text: str) -> Decimal:
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


def _clean_received_on(day: dt.date | None) -> dt.date | None:
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
    target = _amount_field(_("Target"))
    min_amount = _amount_field(
        _("Smallest gift"), help_text=_("The smallest amount the public forms take.")
    )
    max_amount = _amount_field(
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


class ConversionForm(forms.Form):
    """Money given in another currency: the amount in it, and the rate the organiser entered
    with its date. All four, or none. Subclasses say which field holds the fund's amount."""

    original_currency = forms.ChoiceField(label=_("Currency given"), required=False)
    original_amount = _amount_field(_("Amount given"), required=False)
    rate = forms.CharField(label=_("Rate"), max_length=30, required=False, widget=AmountInput())
    rate_date = forms.DateField(label=_("Date of the rate"), required=False, widget=DateInput())

    CONVERSION_FIELDS = ("original_currency", "original_amount", "rate", "rate_date")

    def __init__(self, *args: Any, fund: Fund, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fund = fund
        currency = cast(forms.ChoiceField, self.fields["original_currency"])
        currency.choices = [
            ("", _("—")),
            *((code, name) for code, name in currency_choices() if code != fund.currency),
        ]
        self.fields["rate"].help_text = _(
            "What one unit of the currency given is worth in %(currency)s, such as 0.8571."
        ) % {"currency": fund.currency}
        self.fields["rate_date"].help_text = _("The day the rate is from.")

    def clean_rate(self) -> Decimal | None:
        text = str(self.cleaned_data.get("rate") or "").strip()
        return _rate(text) if text else None

    def clean_rate_date(self) -> dt.date | None:
        day: dt.date | None = self.cleaned_data.get("rate_date")
        if day is not None and day > timezone.localdate():
            raise forms.ValidationError(_("This date is in the future."), code="future")
        return day

    def given_in_another_currency(self) -> bool:
        """Whether any field of the group was filled in (some may have been refused)."""
        return any(
            str(self.data.get(self.add_prefix(name), "")).strip() for name in self.CONVERSION_FIELDS
        )

    def conversion(self, data: dict[str, Any]) -> Conversion | None:
        """The conversion the group describes; None without one, or with errors added."""
        if not self.given_in_another_currency():
            return None
        for name in self.CONVERSION_FIELDS:
            if name not in self.errors and data.get(name) in (None, ""):
                self.add_error(
                    name,
                    forms.ValidationError(
                        _(
                            "Fill this in too: a gift in another currency needs its currency, "
                            "amount, rate and the rate's date (or leave all four empty)."
                        ),
                        code="incomplete",
                    ),
                )
        if any(name in self.errors for name in self.CONVERSION_FIELDS):
            return None
        currency = str(data["original_currency"])
        try:
            amount = clean_amount(str(data["original_amount"]), currency)
        except forms.ValidationError as error:
            self.add_error("original_amount", error)
            return None
        conversion = Conversion(currency, amount, data["rate"], data["rate_date"])
        converted = conversion.into(self.fund.currency)
        if converted <= 0:
            self.add_error("original_amount", _("At this rate it comes to nothing."))
            return None
        if converted > MAX_MINOR:
            self.add_error("rate", _("At this rate the amount is too large."))
            return None
        return conversion


class EntryForm(ConversionForm):
    """Money the organisers received themselves: cash at an event, a cheque, a transfer."""

    method = forms.ChoiceField(label=_("How it came"), choices=OFFLINE_METHODS)
    amount = _amount_field(_("Amount"), required=False)
    received_on = forms.DateField(label=_("Received on"), widget=DateInput())
    reference = CleanLineField(
        label=_("Reference"),
        max_length=140,
        required=False,
        help_text=_("A cheque's number, the bank statement's line, a receipt book's page."),
    )
    event = forms.ModelChoiceField(
        label=_("Collected at the event"), queryset=Event.objects.none(), required=False
    )
    donor_name = NameField(label=_("Donor's name"), max_length=100, required=False)
    donor_email = forms.EmailField(label=_("Donor's email"), max_length=254, required=False)
    show_name = forms.BooleanField(label=_("Name them on the fund's page"), required=False)
    send_receipt = forms.BooleanField(
        label=_("Email them a receipt"),
        required=False,
        help_text=_("Sent once, in the fund's default language."),
    )
    note = forms.CharField(
        label=_("Note"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("For the organisers only."),
    )

    field_order = (
        "method",
        "amount",
        "received_on",
        "reference",
        "event",
        "donor_name",
        "donor_email",
        "show_name",
        "send_receipt",
        "note",
    )

    def __init__(self, *args: Any, fund: Fund, **kwargs: Any) -> None:
        super().__init__(*args, fund=fund, **kwargs)
        self.fields["amount"].label = _("Amount in %(currency)s") % {"currency": fund.currency}
        self.fields["amount"].help_text = _(
            "Leave it empty for a gift in another currency: it is worked out from the rate."
        )
        self.initial.setdefault("received_on", timezone.localdate())
        self.initial.setdefault("method", Contribution.Method.CASH)
        event = cast(forms.ModelChoiceField, self.fields["event"])  # type: ignore[type-arg]
        event.queryset = organisation_events(fund.organisation)
        event.label_from_instance = event_label  # type: ignore[method-assign,assignment]
        event.empty_label = _("No event")
        if fund.event_id:
            self.initial.setdefault("event", fund.event_id)
        if not fund.show_donors:
            del self.fields["show_name"]

    def clean_received_on(self) -> dt.date | None:
        return _clean_received_on(self.cleaned_data.get("received_on"))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        conversion = self.conversion(data)
        data["conversion"] = conversion
        text = str(data.get("amount") or "").strip()
        if self.given_in_another_currency():
            if text:
                self.add_error(
                    "amount",
                    _(
                        "Leave the amount empty: for a gift in another currency it is worked "
                        "out from the amount given and the rate."
                    ),
                )
            data["amount"] = conversion.into(self.fund.currency) if conversion else None
        elif not text:
            self.add_error("amount", _("Write the amount received."))
        else:
            try:
                data["amount"] = clean_amount(text, self.fund.currency)
            except forms.ValidationError as error:
                self.add_error("amount", error)
        if data.get("send_receipt") and not data.get("donor_email"):
            self.add_error("donor_email", _("Write the address to send the receipt to."))
        if data.get("show_name") and not data.get("donor_name"):
            self.add_error("donor_name", _("Write the name to show, or untick the box."))
        return data


class ReceiveForm(ConversionForm):
    """A pledge or an expected transfer whose money came: how, when, and how much."""

    method = forms.ChoiceField(label=_("How it came"), choices=OFFLINE_METHODS)
    received_on = forms.DateField(label=_("Received on"), widget=DateInput())
    amount = _amount_field(_("Amount received"), required=False)
    reference = CleanLineField(
        label=_("Reference"),
        max_length=140,
        required=False,
        help_text=_("A cheque's number, the bank statement's line."),
    )

    field_order = ("method", "received_on", "amount", "reference")

    def __init__(self, *args: Any, entry: Contribution, **kwargs: Any) -> None:
        super().__init__(*args, fund=entry.fund, **kwargs)
        self.entry = entry
        currency = entry.fund.currency
        self.initial.setdefault("received_on", timezone.localdate())
        by_hand = (Contribution.Method.CASH, Contribution.Method.CHEQUE)
        self.initial.setdefault(
            "method", entry.method if entry.method in by_hand else Contribution.Method.BANK
        )
        if entry.amount:
            self.fields["amount"].help_text = _(
                "Empty: %(amount)s, as promised or expected. Empty too for a gift in another "
                "currency: it is worked out from the rate."
            ) % {"amount": money.format_money(entry.amount, currency, _language())}
        else:
            self.fields["amount"].help_text = _(
                "Leave it empty for a gift in another currency: it is worked out from the rate."
            )
        self.fields["amount"].label = _("Amount received in %(currency)s") % {"currency": currency}

    def clean_received_on(self) -> dt.date | None:
        return _clean_received_on(self.cleaned_data.get("received_on"))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        data["conversion"] = self.conversion(data)
        text = str(data.get("amount") or "").strip()
        if self.given_in_another_currency():
            if text:
                self.add_error(
                    "amount",
                    _(
                        "Leave the amount empty: for a gift in another currency it is worked "
                        "out from the amount given and the rate."
                    ),
                )
            data["amount"] = None
        elif text:
            try:
                data["amount"] = clean_amount(text, self.fund.currency)
            except forms.ValidationError as error:
                self.add_error("amount", error)
        elif not self.entry.amount:
            self.add_error("amount", _("Write the amount received: none was said beforehand."))
        else:
            data["amount"] = None
        return data


class ReasonForm(forms.Form):
    reason = CleanLineField(
        label=_("Reason"),
        max_length=300,
        help_text=_("Such as: counted twice; the cheque bounced; refunded. Kept with the entry."),
    )


class LapseForm(forms.Form):
    reason = CleanLineField(
        label=_("Reason (optional)"),
        max_length=300,
        required=False,
        help_text=_("Added to the entry's note."),
    )


class MatchForm(forms.Form):
    """A line of the bank statement: the reference as the bank shows it, the amount, the day."""

    reference = forms.CharField(
        label=_("Reference on the statement"),
        max_length=140,
        help_text=_("As the bank shows it: case, spaces and dashes do not matter."),
    )
    amount = _amount_field(_("Amount"))
    received_on = forms.DateField(label=_("Date on the statement"), widget=DateInput())

    def __init__(self, *args: Any, fund: Fund, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fund = fund
        self.fields["amount"].label = _("Amount in %(currency)s") % {"currency": fund.currency}
        self.initial.setdefault("received_on", timezone.localdate())

    def clean_reference(self) -> str:
        text = str(self.cleaned_data["reference"])
        if not normalise_code(text):
            raise forms.ValidationError(_("Write the reference as the bank statement shows it."))
        return text.strip()

    def clean_amount(self) -> int:
        return clean_amount(str(self.cleaned_data["amount"]), self.fund.currency)

    def clean_received_on(self) -> dt.date | None:
        return _clean_received_on(self.cleaned_data.get("received_on"))


class LedgerFilterForm(forms.Form):
    """The ledger's filters, from the query string (so also the export's)."""

    state = forms.ChoiceField(
        label=_("State"), required=False, choices=(("", _("all")), *Contribution.State.choices)
    )
    method = forms.ChoiceField(
        label=_("How it came"),
        required=False,
        choices=(("", _("all")), *Contribution.Method.choices),
    )
    since = forms.DateField(label=_("From"), required=False, widget=DateInput())
    until = forms.DateField(label=_("To"), required=False, widget=DateInput())
    q = forms.CharField(label=_("Search reference, name or email"), max_length=200, required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        since, until = data.get("since"), data.get("until")
        if since and until and until < since:
            self.add_error("until", _("The end comes before the start."))
        return data

    def filters(self) -> dict[str, str]:
        """The valid filters given, for the audit log (never the search text)."""
        if not self.is_valid():
            return {}
        return {
            name: str(self.cleaned_data[name])
            for name in ("state", "method", "since", "until")
            if self.cleaned_data.get(name)
        }

    def apply(self, rows: QuerySet[Contribution]) -> QuerySet[Contribution]:
        """`rows` narrowed to the filters. A line's date is the day its money came, or the
        day it was entered while none has."""
        if not self.is_valid():
            return rows.none()
        data = self.cleaned_data
        if data["state"]:
            rows = rows.filter(state=data["state"])
        if data["method"]:
            rows = rows.filter(method=data["method"])
        if data["since"]:
            rows = rows.filter(
                Q(received_on__gte=data["since"])
                | Q(received_on__isnull=True, created_at__date__gte=data["since"])
            )
        if data["until"]:
            rows = rows.filter(
                Q(received_on__lte=data["until"])
                | Q(received_on__isnull=True, created_at__date__lte=data["until"])
            )
        text = str(data["q"]).strip()
        if text:
            found = (
                Q(reference__icontains=text)
                | Q(donor_name__icontains=text)
                | Q(donor_email__icontains=text)
            )
            code = normalise_code(text)
            if code:
                found |= Q(transfer_code=code)
            rows = rows.filter(found)
        return rows
