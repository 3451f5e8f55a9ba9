"""An organisation's fighting funds: the list, opening one, its overview (the totals by channel
and by day), its settings (the statement or event it is for, the bank account, the limits of a
gift), publishing it, the close switch, and deleting a draft nobody has
given to. Viewers see the list and the overview's totals, nothing else. The ledger, pledges and
bank transfers are in views/fund_ledger.py; the language versions in views/fund_versions.py;
the forms in views/fund_forms.py."""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.db.models import Count, Q, Sum
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from undersigned.audit.models import record
from undersigned.dashboard import charts
from undersigned.dashboard.access import EDITOR, VIEWER, organisation_for
from undersigned.dashboard.views.fund_forms import (
    EditFundForm,
    FundForm,
    NewVersionForm,
)
from undersigned.funds import totals
from undersigned.funds.models import Contribution, Fund, FundVersion
from undersigned.lib import money
from undersigned.organisations.models import Membership

State = Contribution.State
# The by-day chart shows at most this many days, the last ones.
CHART_DAYS = 366


def fund_for(request: HttpRequest, pk: int, role: str = VIEWER) -> tuple[Fund, Membership]:
    """The fund, for a member of its organisation with at least `role` (404 for anyone else,
    403 for a member below it)."""
    fund = Fund.objects.select_related("organisation", "statement", "event").filter(pk=pk).first()
    if fund is None:
        raise Http404
    _organisation, membership = organisation_for(request, fund.organisation.slug, role)
    return fund, membership


def language() -> str:
    """Amounts are written as the organiser's interface language writes them."""
    return translation.get_language() or "en"


def shown(minor: int, currency: str) -> str:
    return money.format_money(minor, currency, language())


def versions_of(fund: Fund) -> list[FundVersion]:
    """The fund's language versions, the default first."""
    return sorted(
        fund.versions.all(),
        key=lambda version: (version.language != fund.default_language, version.language),
    )


def title_of(fund: Fund) -> str:
    version = fund.version_for(fund.default_language)
    return version.title if version else _("Fund %(number)s") % {"number": fund.pk}


def state_of(fund: Fund) -> str:
    """What the public sees of the fund now, in a few words."""
    today = timezone.localdate()
    if not fund.is_published:
        return _("Draft: seen by your organisation only")
    if fund.closed_at is not None:
        return _("Closed: takes no more gifts")
    if today < fund.starts_on:
        return _("Published; opens on %(day)s") % {
            "day": formats.date_format(fund.starts_on, "DATE_FORMAT")
        }
    if fund.ends_on is not None and fund.is_over(today):
        return _("Ended on %(day)s") % {"day": formats.date_format(fund.ends_on, "DATE_FORMAT")}
    return _("Open: takes gifts")


def touched(fund: Fund, *fields: str) -> None:
    """Save `fields` with the time of the change; the fund's pages and its statement's are
    drawn again."""
    fund.changed_at = timezone.now()
    fund.save(update_fields=(*fields, "changed_at"))
    totals.forget(fund)


def _whole(minor: int, currency: str) -> int:
    """An amount in whole units of the currency, for the height of a bar."""
    return int(money.to_major(minor, currency).quantize(Decimal(1), ROUND_HALF_EVEN))


def _chart(
    ident: str, points: list[tuple[str, int]], currency: str, *, title: str, every: int = 1
) -> dict[str, Any]:
    """A bar chart of amounts (minor units) and the same figures as a table."""
    total = sum(value for _label, value in points)
    most = max((value for _label, value in points), default=0)
    description = _("%(total)s in all; at most %(most)s in one.") % {
        "total": shown(total, currency),
        "most": shown(most, currency),
    }
    svg = charts.bar_chart(
        [charts.Point(label, _whole(value, currency)) for label, value in points],
        title=f"{title} ({currency})",
        description=description,
        every=every,
        ident=ident,
    )
    return {
        "figures": [{"svg": svg, "caption": f"{title}. {description}"}],
        "table": {
            "heads": [_("received")],
            "rows": [(label, [shown(value, currency)]) for label, value in points],
        },
    }


def _by_day(fund: Fund) -> tuple[dict[str, Any], bool]:
    """Money received per day, from the fund's start (or its first gift) to today (or its
    end, or its last gift); the last CHART_DAYS days at most. Also whether days were left out."""
    rows: dict[dt.date, int] = {
        day: int(total)
        for day, total in Contribution.objects.filter(
            fund=fund, state=State.RECEIVED, received_on__isnull=False
        )
        .values_list("received_on")
        .annotate(total=Sum("amount"))
        .values_list("received_on", "total")
        .order_by()
        if day is not None
    }
    today = timezone.localdate()
    last = min(today, fund.ends_on) if fund.ends_on else today
    first = min([fund.starts_on, *rows])
    last = max([last, first, *rows])
    cut = (last - first).days >= CHART_DAYS
    if cut:
        first = last - dt.timedelta(days=CHART_DAYS - 1)
    days = [first + dt.timedelta(days=n) for n in range((last - first).days + 1)]
    points = [(formats.date_format(day, "j M"), rows.get(day, 0)) for day in days]
    chart = _chart(
        "day", points, fund.currency, title=_("Received per day"), every=max(1, len(days) // 8)
    )
    return chart, cut


def _waiting(fund: Fund) -> dict[str, int]:
    """How many pledges and transfers wait for the organisers, by kind."""
    held = Q(state=State.PENDING) & ~Q(hold_reason="")
    return fund.contributions.aggregate(
        pledged=Count("pk", filter=Q(state=State.PLEDGED)),
        held=Count("pk", filter=held),
        unconfirmed=Count("pk", filter=Q(state=State.PENDING, hold_reason="")),
        transfers=Count("pk", filter=Q(state=State.EXPECTED, method=Contribution.Method.BANK)),
    )


@login_required
@require_safe
def fund_list(request: HttpRequest, slug: str) -> HttpResponse:
    organisation, membership = organisation_for(request, slug, VIEWER)
    funds = list(Fund.objects.filter(organisation=organisation).prefetch_related("versions"))
    sums: dict[tuple[int, str], int] = {
        (fund_id, state): int(total)
        for fund_id, state, total in Contribution.objects.filter(
            fund__in=funds, state__in=(State.RECEIVED, State.PLEDGED)
        )
        .values_list("fund_id", "state")
        .annotate(total=Sum("amount"))
        .values_list("fund_id", "state", "total")
        .order_by()
    }
    rows = [
        {
            "fund": fund,
            "title": title_of(fund),
            "state": state_of(fund),
            "target": shown(fund.target, fund.currency),
            "received": shown(sums.get((fund.pk, State.RECEIVED), 0), fund.currency),
            "pledged": shown(sums.get((fund.pk, State.PLEDGED), 0), fund.currency),
        }
        for fund in funds
    ]
    return render(
        request,
        "dashboard/funds/list.html",
        {
            "organisation": organisation,
            "membership": membership,
            "can_edit": membership.can(EDITOR),
            "rows": rows,
        },
    )


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def fund_new(request: HttpRequest, slug: str) -> HttpResponse:
    organisation, membership = organisation_for(request, slug, EDITOR)
    data = request.POST if request.method == "POST" else None
    form = FundForm(data, instance=Fund(organisation=organisation), organisation=organisation)
    version_form = NewVersionForm(data, prefix="version")
    if request.method == "POST" and form.is_valid() and version_form.is_valid():
        with transaction.atomic():
            fund = form.save(commit=False)
            fund.default_language = version_form.cleaned_data["language"]
            fund.created_by_id = request.user.pk
            fund.save()
            version = version_form.save(commit=False)
            version.fund = fund
            version.save()
            record(
                "fund.created",
                actor=request.user,
                object_id=fund.pk,
                organisation=organisation.pk,
                currency=fund.currency,
                language=version.language,
            )
        messages.success(
            request,
            _("The fund is saved as a draft: nobody outside your organisation sees it yet."),
        )
        return redirect("dashboard:fund", fund.pk)
    return render(
        request,
        "dashboard/funds/new.html",
        {
            "organisation": organisation,
            "membership": membership,
            "form": form,
            "version_form": version_form,
        },
        status=400 if request.method == "POST" else 200,
    )


@login_required
@require_safe
def fund_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The totals, by channel and by day, for every member; what waits for the organisers,
    and the switches, for editors and owners."""
    fund, membership = fund_for(request, pk, VIEWER)
    can_edit = membership.can(EDITOR)
    currency = fund.currency
    figures = totals.read(fund.pk)
    labels = dict(Contribution.Method.choices)
    by_channel = _chart(
        "channel",
        [(str(labels[method]), amount) for method, amount in figures.by_channel],
        currency,
        title=_("Received by channel"),
    )
    by_day, cut = _by_day(fund)
    progress = charts.progress_bar(
        figures.received,
        fund.target,
        title=_("Received toward the target"),
        description=_("%(received)s of %(target)s.")
        % {"received": shown(figures.received, currency), "target": shown(fund.target, currency)},
        ident="progress",
    )
    return render(
        request,
        "dashboard/funds/detail.html",
        {
            "fund": fund,
            "membership": membership,
            "title": title_of(fund),
            "state": state_of(fund),
            "can_edit": can_edit,
            "figures": figures,
            "received": shown(figures.received, currency),
            "pledged": shown(figures.pledged, currency),
            "target": shown(fund.target, currency),
            "percent": figures.percent(fund.target),
            "progress": progress,
            "by_channel": by_channel,
            "by_day": by_day,
            "cut": cut,
            "chart_days": CHART_DAYS,
            "days_left": fund.days_left(),
            "waiting": _waiting(fund) if can_edit else {},
            "versions": versions_of(fund) if can_edit else [],
            "takes_gifts": fund.takes_gifts(),
            "deletable": can_edit and not fund.is_published and not fund.contributions.exists(),
            "limits": (shown(fund.min_amount, currency), shown(fund.max_amount, currency)),
        },
    )


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def fund_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """The settings: the statement or event it is for, the currency (while no money is
    entered), target, dates, the gifts it takes and their limits, the bank account."""
    fund, membership = fund_for(request, pk, EDITOR)
    # A copy: the form changes its instance as it validates, and the page shows the fund.
    form = EditFundForm(
        request.POST if request.method == "POST" else None,
        instance=Fund.objects.get(pk=fund.pk),
        organisation=fund.organisation,
    )
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            saved = form.save(commit=False)
            saved.changed_at = timezone.now()
            saved.save()
            record(
                "fund.edited",
                actor=request.user,
                object_id=fund.pk,
                organisation=fund.organisation_id,
                fields=form.changed_data,
            )
            totals.forget(saved)
        messages.success(request, _("Saved."))
        return redirect("dashboard:fund", fund.pk)
    return render(
        request,
        "dashboard/funds/edit.html",
        {"fund": fund, "membership": membership, "title": title_of(fund), "form": form},
        status=400 if request.method == "POST" else 200,
    )


@login_required
@require_POST
def fund_publish(request: HttpRequest, pk: int) -> HttpResponse:
    fund, _membership = fund_for(request, pk, EDITOR)
    if fund.is_published:
        messages.error(request, _("The fund is published already."))
        return redirect("dashboard:fund", fund.pk)
    with transaction.atomic():
        fund.published_at = timezone.now()
        touched(fund, "published_at")
        record(
            "fund.published",
            actor=request.user,
            object_id=fund.pk,
            organisation=fund.organisation_id,
        )
    if fund.takes_gifts():
        messages.success(request, _("The fund is published: anyone with its address can give."))
    else:
        messages.success(
            request,
            _("The fund is published. It takes gifts between its start and end dates."),
        )
    return redirect("dashboard:fund", fund.pk)


@login_required
@require_POST
def fund_close(request: HttpRequest, pk: int) -> HttpResponse:
    """The close switch: the public forms go; money can still be entered here."""
    fund, _membership = fund_for(request, pk, EDITOR)
    if fund.closed_at is not None:
        messages.error(request, _("The fund is closed already."))
        return redirect("dashboard:fund", fund.pk)
    with transaction.atomic():
        fund.closed_at = timezone.now()
        touched(fund, "closed_at")
        record(
            "fund.closed", actor=request.user, object_id=fund.pk, organisation=fund.organisation_id
        )
    messages.success(
        request,
        _(
            "The fund is closed: its page takes no more gifts. Pledges can still be marked "
            "received, and money entered in the ledger."
        ),
    )
    return redirect("dashboard:fund", fund.pk)


@login_required
@require_POST
def fund_reopen(request: HttpRequest, pk: int) -> HttpResponse:
    fund, _membership = fund_for(request, pk, EDITOR)
    if fund.closed_at is None:
        messages.error(request, _("The fund is open already."))
        return redirect("dashboard:fund", fund.pk)
    with transaction.atomic():
        fund.closed_at = None
        touched(fund, "closed_at")
        record(
            "fund.reopened",
            actor=request.user,
            object_id=fund.pk,
            organisation=fund.organisation_id,
        )
    if fund.takes_gifts():
        messages.success(request, _("The fund is open again: its page takes gifts."))
    else:
        messages.success(
            request,
            _(
                "The fund is no longer closed, but its page takes no gifts yet: it is a draft, "
                "or outside its start and end dates."
            ),
        )
    return redirect("dashboard:fund", fund.pk)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def fund_delete(request: HttpRequest, pk: int) -> HttpResponse:
    """A draft with nothing in its ledger only: money entered stays on the record."""
    fund, _membership = fund_for(request, pk, EDITOR)
    if fund.is_published or fund.contributions.exists():
        messages.error(
            request,
            _(
                "Only a draft with nothing in its ledger can be deleted. Close the fund instead: "
                "its ledger stays."
            ),
        )
        return redirect("dashboard:fund", fund.pk)
    if request.method == "POST":
        organisation = fund.organisation
        with transaction.atomic():
            Fund.objects.filter(pk=fund.pk, published_at__isnull=True).delete()
            record("fund.deleted", actor=request.user, object_id=pk, organisation=organisation.pk)
        messages.success(request, _("The draft is deleted."))
        return redirect("dashboard:funds", organisation.slug)
    return render(request, "dashboard/funds/delete.html", {"fund": fund, "title": title_of(fund)})
