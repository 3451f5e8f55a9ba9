"""A statement's charts (signatures per hour and per day, progress to the goal) and its sources
(share links with a source code, and the signatures each brought, in aggregate only)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.validators import RegexValidator
from django.db import IntegrityError, transaction
from django.db.models import Count, Sum
from django.db.models.functions import Coalesce, TruncDay, TruncHour
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_safe

from undersigned.audit.models import record
from undersigned.dashboard import charts, statement_actions
from undersigned.dashboard.access import EDITOR, VIEWER, statement_for
from undersigned.lib.hours import Quarter, hour_zone, local_slot
from undersigned.lib.share import share_links
from undersigned.statements.models import (
    Signature,
    Source,
    SourceCount,
    Statement,
    StatementVersion,
)

HOURS = 48
# The daily rate a projection goes on from: the last this many days, today included.
RECENT_DAYS = 7


@dataclasses.dataclass
class Series:
    """One line of numbers over the same slots: all signatures, one language, one source."""

    name: str
    values: list[int]


def _hours(now: dt.datetime, zone: dt.tzinfo) -> list[dt.datetime]:
    """The starts of the last HOURS hours there were, the current one included."""
    last = now.astimezone(zone).replace(minute=0, second=0, microsecond=0)
    return [last - dt.timedelta(hours=HOURS - 1 - index) for index in range(HOURS)]


def _days(first: dt.date, today: dt.date) -> list[dt.date]:
    return [first + dt.timedelta(days=index) for index in range((today - first).days + 1)]


def _series(
    slots: list[Any], rows: Iterable[tuple[Any, str, int]], names: Iterable[str]
) -> list[Series]:
    """The total and one series per name, from (slot, name, count) rows; missing slots are 0."""
    where = {slot: index for index, slot in enumerate(slots)}
    every = {name: Series(name, [0] * len(slots)) for name in names}
    total = Series("", [0] * len(slots))
    for slot, name, count in rows:
        index = where.get(slot)
        if index is None:
            continue
        series = every.setdefault(name, Series(name, [0] * len(slots)))
        series.values[index] += count
        total.values[index] += count
    return [total, *every.values()]


def _figures(
    kind: str, slots: list[str], series: list[Series], what: str, every: int
) -> list[dict[str, Any]]:
    figures = []
    for number, one in enumerate(series):
        name = one.name or _("all")
        title = _("%(what)s: %(name)s") % {"what": what, "name": name}
        total = sum(one.values)
        description = _("%(total)s in all; at most %(most)s in one.") % {
            "total": total,
            "most": max(one.values, default=0),
        }
        figures.append(
            {
                "name": name,
                "svg": charts.bar_chart(
                    [
                        charts.Point(slot, value)
                        for slot, value in zip(slots, one.values, strict=True)
                    ],
                    title=title,
                    description=description,
                    every=every,
                    ident=f"{kind}-{number}",
                ),
                "caption": f"{title}. {description}",
            }
        )
    return figures


def _table(slots: list[str], series: list[Series]) -> dict[str, Any]:
    return {
        "heads": [one.name or _("all") for one in series],
        "rows": [(slot, [one.values[index] for one in series]) for index, slot in enumerate(slots)],
    }


def _confirmed(statement: Statement) -> list[tuple[dt.datetime, str, int]]:
    """(quarter of an hour, language, confirmed signatures): one query for both charts. Every
    counted signature is in it, so the per-day table adds up to the count the other pages
    show; one with no confirmation time (stored so by an older version) at its signing time."""
    return list(
        Signature.objects.counted()
        .filter(statement=statement)
        .annotate(at=Quarter(Coalesce("confirmed_at", "created_at")))
        .values_list("at", "language")
        .annotate(n=Count("id"))
        .order_by()
    )


def _by_source(
    statement: Statement,
    trunc: type[TruncDay | TruncHour],
    since: dt.datetime | None,
    zone: dt.tzinfo,
) -> Any:
    rows = SourceCount.objects.filter(source__statement=statement)
    if since is not None:
        rows = rows.filter(hour__gte=since)
    return (
        rows.annotate(at=trunc("hour", tzinfo=zone))
        .values_list("at", "source__code")
        .annotate(n=Sum("count"))
        .order_by()
    )


def _default_version(
    statement: Statement, versions: list[StatementVersion]
) -> StatementVersion | None:
    for version in versions:
        if version.language == statement.default_language:
            return version
    return versions[0] if versions else None


@login_required
@require_safe
def charts_page(request: HttpRequest, slug: str) -> HttpResponse:
    statement, membership = statement_for(request, slug)
    now = timezone.now()
    today = timezone.localdate(now)
    versions = list(statement.versions.all())
    languages = [version.language for version in versions]
    codes = list(Source.objects.filter(statement=statement).values_list("code", flat=True))
    local = timezone.get_current_timezone()
    zone = hour_zone(now)
    hours = _hours(now, zone)

    quarters = _confirmed(statement)
    to_day, to_hour = local_slot(local, day=True), local_slot(zone, day=False)
    daily_rows = [(to_day(quarter), language, n) for quarter, language, n in quarters]
    first = min(
        [day for day, _language, _n in daily_rows]
        + [timezone.localdate(statement.created_at), today]
    )
    days = _days(first, today)
    hourly = _series(
        hours, [(to_hour(quarter), language, n) for quarter, language, n in quarters], languages
    )
    daily = _series(days, daily_rows, languages)
    source_hourly = _series(hours, _by_source(statement, TruncHour, hours[0], zone), codes)[1:]
    source_daily = _series(
        days,
        [(at.date(), code, n) for at, code, n in _by_source(statement, TruncDay, None, local)],
        codes,
    )[1:]

    count = sum(daily[0].values)
    recent_days = min(RECENT_DAYS, len(days))
    projection = charts.project(
        count, statement.goal, sum(daily[0].values[-recent_days:]), recent_days, today
    )
    hour_labels = [formats.time_format(timezone.localtime(hour), "H:i") for hour in hours]
    day_labels = [formats.date_format(day, "j M") for day in days]
    day_every = max(1, len(days) // 8)
    default = _default_version(statement, versions)
    progress = None
    if statement.goal:
        progress = charts.progress_bar(
            count,
            statement.goal,
            title=_("Progress to the goal"),
            description=_("%(count)s of %(goal)s signatures.")
            % {"count": count, "goal": statement.goal},
            ident="progress",
        )
    return render(
        request,
        "dashboard/charts.html",
        {
            "statement": statement,
            "membership": membership,
            "title": default.title if default else statement.slug,
            "count": count,
            "progress": progress,
            "projection": projection,
            "recent_days": recent_days,
            "after_deadline": bool(
                projection.date
                and statement.deadline
                and projection.date > timezone.localdate(statement.deadline)
            ),
            "hourly": _figures("hour", hour_labels, hourly, _("Confirmed per hour"), 6),
            "hourly_table": _table(hour_labels, hourly),
            "daily": _figures("day", day_labels, daily, _("Confirmed per day"), day_every),
            "daily_table": _table(day_labels, daily),
            "source_hourly": _figures(
                "shour", hour_labels, source_hourly, _("New signatures per hour"), 6
            ),
            "source_hourly_table": _table(hour_labels, source_hourly),
            "source_daily": _figures(
                "sday", day_labels, source_daily, _("New signatures per day"), day_every
            ),
            "source_daily_table": _table(day_labels, source_daily),
        },
    )


class SourceForm(forms.Form):
    code = forms.CharField(
        label=gettext_lazy("Source code"),
        max_length=40,
        help_text=gettext_lazy(
            "Lower-case letters, digits and hyphens, e.g. union-newsletter. It shows in the link."
        ),
        validators=[
            RegexValidator(
                r"^[a-z0-9][-a-z0-9_]*$",
                gettext_lazy("Use lower-case letters, digits and hyphens only."),
            )
        ],
    )

    def __init__(
        self, *args: Any, statement: Statement, source: Source | None = None, **kwargs: Any
    ) -> None:
        """A new source's code, or a new code for `source`."""
        super().__init__(*args, **kwargs)
        self.statement = statement
        self.source = source

    def clean_code(self) -> str:
        code: str = self.cleaned_data["code"].strip().lower()
        others = Source.objects.filter(statement=self.statement, code=code)
        if self.source is not None:
            others = others.exclude(pk=self.source.pk)
        if others.exists():
            raise forms.ValidationError(TAKEN)
        return code


TAKEN = gettext_lazy("This statement already has a source with this code.")


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def sources_page(request: HttpRequest, slug: str) -> HttpResponse:
    statement, membership = statement_for(
        request, slug, EDITOR if request.method == "POST" else VIEWER
    )
    form = SourceForm(request.POST or None, statement=statement)
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                source = Source.objects.create(statement=statement, code=form.cleaned_data["code"])
        except IntegrityError:
            # Another editor created the same code meanwhile.
            form.add_error("code", TAKEN)
        else:
            record("source.created", actor=request.user, statement=statement, object_id=source.pk)
            messages.success(
                request, _("Share links for “%(code)s” created.") % {"code": source.code}
            )
            return redirect("dashboard:sources", statement.slug)
    since = timezone.now() - dt.timedelta(hours=HOURS)
    sources = list(
        Source.objects.filter(statement=statement)
        .select_related("partner__organisation")
        .annotate(
            total=Sum("counts__count"),
        )
    )
    recent = dict(
        SourceCount.objects.filter(source__statement=statement, hour__gte=since)
        .values_list("source_id")
        .annotate(n=Sum("count"))
        .values_list("source_id", "n")
    )
    versions = list(statement.versions.all())
    default = _default_version(statement, versions)
    rows = []
    for source in sources:
        links = [
            (
                version.language,
                settings.SITE_URL
                + reverse("statement", args=(statement.slug, version.language))
                + f"?src={source.code}",
            )
            for version in versions
        ]
        main = next(
            (url for language, url in links if default and language == default.language), ""
        )
        rows.append(
            {
                "source": source,
                "partner": getattr(source, "partner", None),
                "total": source.total or 0,
                "recent": recent.get(source.pk, 0),
                "links": links,
                "share": share_links(main, default.title) if main and default else [],
            }
        )
    return render(
        request,
        "dashboard/sources.html",
        {
            "statement": statement,
            "membership": membership,
            "title": default.title if default else statement.slug,
            "rows": rows,
            "form": form,
            "can_edit": membership.can(EDITOR),
        },
        status=400 if form.errors else 200,
    )


def _source_of(statement: Statement, pk: int) -> Source:
    """One of the statement's own sources: a partner's share link is the partner's, shared
    already under its code, and goes only with the partnership (dashboard.views.partners)."""
    return get_object_or_404(
        Source.objects.select_related("statement"),
        statement=statement,
        pk=pk,
        partner__isnull=True,
    )


def _title(statement: Statement) -> str:
    default = _default_version(statement, list(statement.versions.all()))
    return default.title if default else statement.slug


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def source_rename(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """A new code for a source: its counts so far stay with it."""
    statement, _membership = statement_for(request, slug, EDITOR)
    source = _source_of(statement, pk)
    form = SourceForm(
        request.POST or None, statement=statement, source=source, initial={"code": source.code}
    )
    if request.method == "POST" and form.is_valid():
        try:
            statement_actions.rename_source(source, request.user, form.cleaned_data["code"])
        except IntegrityError:
            # Another editor took the code meanwhile.
            form.add_error("code", TAKEN)
        else:
            messages.success(
                request,
                _("The source is now “%(code)s”. Links with its old code no longer count.")
                % {"code": source.code},
            )
            return redirect("dashboard:sources", statement.slug)
    return render(
        request,
        "dashboard/source_rename.html",
        {"statement": statement, "source": source, "form": form, "title": _title(statement)},
        status=400 if form.errors else 200,
    )


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def source_delete(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """Delete a source and its counts, after a page that asks (the POST of its button)."""
    statement, _membership = statement_for(request, slug, EDITOR)
    source = _source_of(statement, pk)
    if request.method == "POST":
        statement_actions.delete_source(source, request.user)
        messages.success(
            request, _("The source “%(code)s” and its counts are deleted.") % {"code": source.code}
        )
        return redirect("dashboard:sources", statement.slug)
    return render(
        request,
        "dashboard/source_delete.html",
        {
            "statement": statement,
            "source": source,
            "total": source.counts.aggregate(total=Sum("count"))["total"] or 0,
            "title": _title(statement),
        },
    )
