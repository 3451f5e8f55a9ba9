"""Watching a statement for abuse: held signatures, signatures per hour by country, email
domain and network, bulk invalidation with a preview, and pausing signing. Members only."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count, F, QuerySet, Value
from django.db.models.functions import StrIndex, Substr
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_POST, require_safe

from undersigned.lib.hours import Quarter, hour_zone, local_slot
from undersigned.organisations.models import Membership
from undersigned.statements import actions
from undersigned.statements.models import Signature, Statement
from undersigned.statements.views.organiser import _get_statement_for_member

HOURS_SHOWN = 48
TOP_PER_HOUR = 5

BY_CHOICES = (
    ("country", gettext_lazy("country")),
    ("domain", gettext_lazy("email domain")),
    ("network", gettext_lazy("network")),
)


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


class InvalidateForm(forms.Form):
    """Which signatures to invalidate: one email domain, one network, or a time window."""

    by = forms.ChoiceField(
        label=gettext_lazy("Invalidate by"),
        choices=(
            ("domain", gettext_lazy("email domain")),
            ("network", gettext_lazy("network")),
            ("window", gettext_lazy("time signed")),
        ),
    )
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


def _watch_page(
    request: HttpRequest, statement: Statement, form: InvalidateForm, preview: int | None
) -> HttpResponse:
    by = request.GET.get("by", "country")
    if by not in dict(BY_CHOICES):
        by = "country"
    held = dict(
        Signature.objects.filter(statement=statement)
        .exclude(hold_reason="")
        .filter(state__in=(Signature.State.PENDING, Signature.State.HELD))
        .values_list("hold_reason")
        .annotate(n=Count("id"))
        .values_list("hold_reason", "n")
    )
    response = render(
        request,
        "statements/watch.html",
        {
            "statement": statement,
            "by": by,
            "by_choices": BY_CHOICES,
            "hours": per_hour(statement, by, timezone.now()),
            "hours_shown": HOURS_SHOWN,
            "held": [
                (value, label, held[value])
                for value, label in Signature.HoldReason.choices
                if held.get(value)
            ],
            "held_total": sum(held.values()),
            "form": form,
            "preview": preview,
        },
        status=400 if form.is_bound and not form.is_valid() else 200,
    )
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_safe
def watch(request: HttpRequest, slug: str) -> HttpResponse:
    statement = _get_statement_for_member(request, slug)
    # The invalidation form previews with a GET: nothing changes until its POST.
    if "preview" in request.GET:
        form = InvalidateForm(request.GET)
        preview = form.matching(statement).count() if form.is_valid() else None
        return _watch_page(request, statement, form, preview)
    return _watch_page(request, statement, InvalidateForm(initial={"by": "domain"}), None)


@login_required
@require_POST
def invalidate(request: HttpRequest, slug: str) -> HttpResponse:
    statement = _get_statement_for_member(request, slug, Membership.Role.EDITOR)
    form = InvalidateForm(request.POST)
    if not form.is_valid():
        return _watch_page(request, statement, form, None)
    count = actions.invalidate_signatures(
        statement, form.matching(statement), actor=request.user, criteria=form.describe()
    )
    messages.success(
        request,
        ngettext("%(count)d signature invalidated.", "%(count)d signatures invalidated.", count)
        % {"count": count},
    )
    return redirect("watch", statement.slug)


@login_required
@require_POST
def review_held(request: HttpRequest, slug: str) -> HttpResponse:
    """Release the held signatures (all, or those held for one reason), or reject them."""
    statement = _get_statement_for_member(request, slug, Membership.Role.EDITOR)
    release = request.POST.get("action") == "release"
    reason = request.POST.get("reason", "")
    if reason and reason not in Signature.HoldReason.values:
        reason = ""
    count = actions.review_held(statement, release=release, reason=reason, actor=request.user)
    if release:
        text = ngettext("%(count)d signature released.", "%(count)d signatures released.", count)
    else:
        text = ngettext("%(count)d signature rejected.", "%(count)d signatures rejected.", count)
    messages.success(request, text % {"count": count})
    return redirect("watch", statement.slug)


@login_required
@require_POST
def pause(request: HttpRequest, slug: str) -> HttpResponse:
    statement = _get_statement_for_member(request, slug, Membership.Role.EDITOR)
    paused = request.POST.get("paused") == "1"
    actions.pause_signing(statement, paused=paused, actor=request.user)
    messages.success(request, _("Signing is paused.") if paused else _("Signing is open again."))
    return redirect("watch", statement.slug)
