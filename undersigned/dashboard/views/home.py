"""The dashboard's first page: the person's organisations and their statements at a glance."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.decorators import login_required
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_safe

from undersigned.organisations.models import Membership
from undersigned.statements.models import Partner, Signature, Statement


def start_of_today() -> dt.datetime:
    return timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)


@login_required
@require_safe
def home(request: HttpRequest) -> HttpResponse:
    memberships = list(
        Membership.objects.filter(user_id=request.user.pk or 0)
        .select_related("organisation")
        .order_by("organisation__name")
    )
    statements = (
        Statement.objects.filter(organisation__in=[m.organisation for m in memberships])
        .prefetch_related("versions")
        .annotate(
            counted=Count("signatures", filter=Q(signatures__state=Signature.State.CONFIRMED)),
            today=Count(
                "signatures",
                filter=Q(
                    signatures__state=Signature.State.CONFIRMED,
                    signatures__confirmed_at__gte=start_of_today(),
                ),
            ),
        )
        .order_by("-created_at")
    )
    partnerships = (
        Partner.objects.filter(organisation__in=[m.organisation for m in memberships])
        .select_related("statement", "organisation")
        .prefetch_related("statement__versions")
        .order_by("-added_at")
    )
    by_organisation: dict[int, list[Statement]] = {}
    for statement in statements:
        by_organisation.setdefault(statement.organisation_id, []).append(statement)
    return render(
        request,
        "dashboard/home.html",
        {
            "organisations": [
                (membership, by_organisation.get(membership.organisation_id, []))
                for membership in memberships
            ],
            "partnerships": partnerships,
        },
    )
