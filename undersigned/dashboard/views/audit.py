"""An organisation's audit log, for its owners: newest first, by pages, filtered by statement
and by person."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from undersigned.dashboard.access import OWNER, organisation_for
from undersigned.dashboard.audit import AuditFilterForm, action_label, details, rows_of
from undersigned.dashboard.signatures import page_of
from undersigned.organisations.models import Membership
from undersigned.statements.models import Statement


@login_required
@require_safe
def audit_log(request: HttpRequest, slug: str) -> HttpResponse:
    organisation, membership = organisation_for(request, slug, OWNER)
    members = dict(
        Membership.objects.filter(organisation=organisation)
        .order_by("user__username")
        .values_list("user_id", "user__username")
    )
    statements = list(Statement.objects.filter(organisation=organisation).order_by("slug"))
    form = AuditFilterForm(request.GET, statements=statements, members=members)
    page = page_of(
        form.apply(rows_of(organisation)), request.GET.get("before"), request.GET.get("after")
    )
    query = request.GET.copy()
    for name in ("before", "after"):
        query.pop(name, None)
    rows = [
        {
            "row": row,
            "action": action_label(row.action),
            "member": members.get(row.actor_id) if row.actor_id is not None else None,
            "details": details(row, members),
        }
        for row in page.rows
    ]
    return render(
        request,
        "dashboard/audit.html",
        {
            "organisation": organisation,
            "membership": membership,
            "form": form,
            "page": page,
            "rows": rows,
            "query": query.urlencode(),
        },
        status=200 if form.is_valid() else 400,
    )
