"""Pages for members of the organisation that owns a statement. Anyone else gets 404."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterator

from django.contrib.auth.decorators import login_required
from django.db.models import Count
from django.db.models.functions import TruncDate
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_safe

from undersigned.audit.models import record
from undersigned.lib.csvsafe import neutralise
from undersigned.statements.models import Signature, Statement


def _get_statement_for_member(request: HttpRequest, slug: str) -> Statement:
    statement = Statement.objects.select_related("organisation").filter(slug=slug).first()
    if statement is None or not statement.is_member(request.user):
        raise Http404
    return statement


@login_required
@require_safe
def manage(request: HttpRequest, slug: str) -> HttpResponse:
    statement = _get_statement_for_member(request, slug)
    per_day = (
        Signature.objects.filter(
            statement=statement,
            state__in=(Signature.State.CONFIRMED, Signature.State.AWAITING_APPROVAL),
        )
        .annotate(day=TruncDate("confirmed_at", tzinfo=timezone.get_current_timezone()))
        .values("day")
        .annotate(
            confirmed=Count("id", distinct=False),
        )
        .order_by("-day")
    )
    by_state = dict(
        Signature.objects.filter(statement=statement)
        .values_list("state")
        .annotate(n=Count("id"))
        .values_list("state", "n")
    )
    awaiting = Signature.objects.filter(
        statement=statement, state=Signature.State.AWAITING_APPROVAL
    ).order_by("confirmed_at")
    response = render(
        request,
        "statements/manage.html",
        {
            "statement": statement,
            "per_day": per_day,
            "states": [(label, by_state.get(value, 0)) for value, label in Signature.State.choices],
            "awaiting": awaiting,
        },
    )
    response["Cache-Control"] = "no-store"
    return response


EXPORT_COLUMNS = (
    ("created_at", "signed_at"),
    ("confirmed_at", "confirmed_at"),
    ("state", "state"),
    ("language", "language"),
    ("kind", "kind"),
    ("name", "name"),
    ("email", "email"),
    ("country", "country"),
    ("postcode", "postcode"),
    ("organisation_name", "organisation"),
    ("organisation_role", "role"),
    ("display", "display"),
    ("wants_updates", "wants_updates"),
    ("consent_version", "consent_version"),
    ("consent_at", "consent_at"),
)


_TEXT_COLUMNS = frozenset(
    ("name", "email", "country", "postcode", "organisation_name", "organisation_role")
)
_EXPORT_CHUNK = 2000


def _cell(value: object) -> object:
    if isinstance(value, dt.datetime):
        return value.isoformat()
    return value


def _export_rows(statement: Statement) -> Iterator[bytes]:
    """The CSV in chunks of a few thousand rows: memory stays flat however many signed."""
    fields = [field for field, _header in EXPORT_COLUMNS]
    text = [index for index, field in enumerate(fields) if field in _TEXT_COLUMNS]
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([header for _field, header in EXPORT_COLUMNS])
    # Unconfirmed rows stay out: nobody has shown that their owner signed.
    rows = (
        Signature.objects.filter(statement=statement)
        .exclude(state=Signature.State.PENDING)
        .order_by("id")
        .values_list(*fields)
        .iterator(chunk_size=_EXPORT_CHUNK)
    )
    batch: list[list[object]] = []
    for row in rows:
        cells = [_cell(value) for value in row]
        for index in text:
            cells[index] = neutralise(cells[index])
        batch.append(cells)
        if len(batch) == _EXPORT_CHUNK:
            writer.writerows(batch)
            batch.clear()
            yield buffer.getvalue().encode()
            buffer.seek(0)
            buffer.truncate()
    writer.writerows(batch)
    yield buffer.getvalue().encode()


@login_required
@require_safe
def export_csv(request: HttpRequest, slug: str) -> StreamingHttpResponse:
    statement = _get_statement_for_member(request, slug)
    record("signatures.exported", actor=request.user, statement=statement)
    response = StreamingHttpResponse(
        _export_rows(statement), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{statement.slug}-signatures.csv"'
    response["Cache-Control"] = "no-store"
    return response
