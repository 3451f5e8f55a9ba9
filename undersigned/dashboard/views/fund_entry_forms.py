"""The dashboard's forms for a fund's ledger: money received, a pledge or transfer received,
voiding and lapsing, matching a bank statement's line, and the ledger's filters. A gift in
another currency is converted at the rate the organiser types, with its date."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, cast

from django import forms
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from undersigned.dashboard.views.fund_forms import (
    MAX_MINOR,
    OFFLINE_METHODS,
    AmountInput,
    DateInput,
    amount_field,
    clean_amount,
    clean_received_on,
    currency_choices,
    event_label,
    interface_language,
    organisation_events,
    parse_rate,
)
from undersigned.events.models import Event
from undersigned.funds.actions import Conversion, normalise_code
from undersigned.funds.models import Contribution, Fund
from undersigned.lib import money
from undersigned.lib.forms import CleanLineField, NameField


class ConversionForm(forms.Form):
    """Money given in another currency: the amount in it, and the rate the organiser entered
    with its date. All four, or none. Subclasses say which field holds the fund's amount."""

    original_currency = forms.ChoiceField(label=_("Currency given"), required=False)
    original_amount = amount_field(_("Amount given"), required=False)
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
        return parse_rate(text) if text else None

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
    amount = amount_field(_("Amount"), required=False)
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
        return clean_received_on(self.cleaned_data.get("received_on"))

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
    amount = amount_field(_("Amount received"), required=False)
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
            ) % {"amount": money.format_money(entry.amount, currency, interface_language())}
        else:
            self.fields["amount"].help_text = _(
                "Leave it empty for a gift in another currency: it is worked out from the rate."
            )
        self.fields["amount"].label = _("Amount received in %(currency)s") % {"currency": currency}

    def clean_received_on(self) -> dt.date | None:
        return clean_received_on(self.cleaned_data.get("received_on"))

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
    amount = amount_field(_("Amount"))
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
        return clean_received_on(self.cleaned_data.get("received_on"))


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
