"""Watching a statement for abuse: signatures per hour by country, email domain and network,
and which signatures a bulk invalidation would take. Views are in dashboard/views/watch.py."""

from __future__ import annotations

import datetime as dt
from typing import Any, cast

from django import forms
from django.db.models import Count, F, QuerySet, Value
from django.db.models.functions import StrIndex, Substr
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from undersigned.lib.hours import Quarter, hour_zone, local_slot
from undersigned.statements.models import Signature, Statement

HOURS_SHOWN = 48
TOP_PER_HOUR = 5

BY_CHOICES = (
    ("country", gettext_lazy("country")),
    ("domain", gettext_lazy("email domain")),
    ("network", gettext_lazy("network")),
)


def by_choices(domains: bool) -> tuple[tuple[str, Any], ...]:
    """What the per-hour table can count by: email domains only for those who see addresses
    (editors and owners), as a domain with its count can single a signer out."""
    return tuple(choice for choice in BY_CHOICES if domains or choice[0] != "domain")


def _domain() -> Substr:
    return Substr("email_canonical", StrIndex("email_canonical", Value("@")) + 1)


def per_hour(statement: Statement, by: str, now: dt.datetime) -> list[dict[str, Any]]:
    """Signatures made in the last HOURS_SHOWN hours, per hour and value of `by`, the most
    frequent TOP_PER_HOUR values of each hour, newest hour first."""
    value = {"country": F("country"), "domain": _domain(), "network": F("network")}[by]
    to_hour = local_slot(hour_zone(now), day=False)
    counts: dict[dt.datetime, dict[str, int]] = {}
    for quarter, found, n in (
        Signature.objects.filter(
            statement=statement, created_at__gte=now - dt.timedelta(hours=HOURS_SHOWN)
        )
        .annotate(at=Quarter("created_at"), value=value)
        .values_list("at", "value")
        .annotate(n=Count("id"))
        .order_by()
    ):
        values = counts.setdefault(to_hour(quarter), {})
        values[found] = values.get(found, 0) + n
    return [
        {
            "hour": hour,
            "total": sum(values.values()),
            "top": sorted(values.items(), key=lambda item: (-item[1], item[0] or ""))[
                :TOP_PER_HOUR
            ],
        }
        for hour, values in sorted(counts.items(), reverse=True)
    ]


INVALIDATE_BY = (
    ("domain", gettext_lazy("email domain")),
    ("network", gettext_lazy("network")),
    ("window", gettext_lazy("time signed")),
)


class InvalidateForm(forms.Form):
    """Which signatures to invalidate: one email domain, one network, or a time window. Without
    `domains` (a viewer's preview), no email domain: its preview would count a domain's
    signers."""

    by = forms.ChoiceField(label=gettext_lazy("Invalidate by"), choices=INVALIDATE_BY)
    domain = forms.CharField(label=gettext_lazy("Email domain"), max_length=254, required=False)
    network = forms.CharField(label=gettext_lazy("Network"), max_length=32, required=False)
    start = forms.DateTimeField(
        label=gettext_lazy("Signed from"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )
    end = forms.DateTimeField(
        label=gettext_lazy("Signed before"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )

    def __init__(self, *args: Any, domains: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not domains:
            del self.fields["domain"]
            by = cast(forms.ChoiceField, self.fields["by"])
            by.choices = [choice for choice in INVALIDATE_BY if choice[0] != "domain"]

    def clean_domain(self) -> str:
        return str(self.cleaned_data["domain"]).strip().lower().lstrip("@")

    def clean_network(self) -> str:
        return str(self.cleaned_data["network"]).strip()

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        by = data.get("by")
        if by == "domain" and not data.get("domain"):
            self.add_error("domain", _("Enter the email domain, e.g. example.org."))
        if by == "network" and not data.get("network"):
            self.add_error("network", _("Enter the network as shown in the table above."))
        if by == "window":
            start, end = data.get("start"), data.get("end")
            if not start or not end:
                self.add_error("end", _("Enter both the start and the end of the time window."))
            elif end <= start:
                self.add_error("end", _("The end must come after the start."))
        return data

    def matching(self, statement: Statement) -> QuerySet[Signature]:
        """The signatures the form names that are not invalidated yet."""
        data = self.cleaned_data
        found = Signature.objects.filter(statement=statement).exclude(
            state=Signature.State.REJECTED
        )
        if data["by"] == "domain":
            return found.annotate(domain=_domain()).filter(domain=data["domain"])
        if data["by"] == "network":
            return found.filter(network=data["network"])
        return found.filter(created_at__gte=data["start"], created_at__lt=data["end"])

    def describe(self) -> dict[str, str]:
        """What was chosen, for the audit log: a domain or network hash, never an address."""
        data = self.cleaned_data
        if data["by"] == "window":
            return {"start": data["start"].isoformat(), "end": data["end"].isoformat()}
        return {data["by"]: data[data["by"]]}


def held_counts(statement: Statement) -> list[tuple[str, str, int]]:
    """(reason, its label, how many) of the signatures held as suspect and not yet reviewed."""
    held = dict(
        Signature.objects.filter(statement=statement)
        .exclude(hold_reason="")
        .filter(state__in=(Signature.State.PENDING, Signature.State.HELD))
        .values_list("hold_reason")
        .annotate(n=Count("id"))
        .values_list("hold_reason", "n")
    )
    return [
        (value, str(label), held[value])
        for value, label in Signature.HoldReason.choices
        if held.get(value)
    ]
