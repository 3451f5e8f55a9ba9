"""A statement's signatures: the list with search and filters (viewers and up), the moderation
queue, hiding and removing one, paper entry and the export (editors and up)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import IntegrityError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from undersigned.audit.models import record
from undersigned.dashboard.access import EDITOR, VIEWER, statement_for
from undersigned.dashboard.export import FULL, export_rows, export_workbook
from undersigned.dashboard.signatures import (
    ExportForm,
    FilterForm,
    enter_paper,
    hide,
    page_of,
    set_logo,
)
from undersigned.lib import csvexport, xlsxexport
from undersigned.pictures.models import Picture
from undersigned.statements import actions, privacy
from undersigned.statements.forms import PAPER_CONSENT_TEXT, PaperForm
from undersigned.statements.models import Signature, Statement


@login_required
@require_safe
def signature_list(request: HttpRequest, slug: str) -> HttpResponse:
    statement, membership = statement_for(request, slug, VIEWER)
    may_edit = membership.can(EDITOR)
    form = FilterForm(request.GET)
    rows = form.apply(
        Signature.objects.filter(statement=statement).only(
            "name",
            "email",
            "kind",
            "organisation_name",
            "organisation_role",
            "display",
            "state",
            "channel",
            "created_at",
            "hold_reason",
        ),
        search_email=may_edit,
    )
    page = page_of(rows, request.GET.get("before"), request.GET.get("after"))
    query = request.GET.copy()
    for name in ("before", "after"):
        query.pop(name, None)
    return render(
        request,
        "dashboard/signatures/list.html",
        {
            "statement": statement,
            "form": form,
            "page": page,
            "may_edit": may_edit,
            "query": query.urlencode(),
            # The export form sends the list's filters again, and its own choices.
            "export_form": ExportForm(),
            "filters": [
                (name, value)
                for name in FilterForm.base_fields
                for value in request.GET.getlist(name)
            ],
        },
    )


@login_required
@require_safe
def export(request: HttpRequest, slug: str, spreadsheet: bool = False) -> HttpResponseBase:
    """The signatures matching the list's filters as CSV, or as .xlsx for `spreadsheet` (its
    own address): the same columns, rows, rights and audit-log entry."""
    statement, _membership = statement_for(request, slug, EDITOR)
    form = ExportForm(request.GET)
    rows = form.apply(Signature.objects.filter(statement=statement), search_email=True)
    preset = form.preset_chosen()
    record(
        "signatures.exported",
        actor=request.user,
        statement=statement,
        filters=form.filters(),
        searched=bool(form.is_valid() and form.cleaned_data["q"]),
        columns=preset,
        format="xlsx" if spreadsheet else "csv",
    )
    name = f"{statement.slug}-signatures{'' if preset == FULL else '-' + preset}"
    if spreadsheet:
        return xlsxexport.download(export_workbook(statement, rows, preset), f"{name}.xlsx")
    return csvexport.download(export_rows(statement, rows, preset), f"{name}.csv")


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def moderation(request: HttpRequest, slug: str) -> HttpResponse:
    statement, _membership = statement_for(request, slug, EDITOR)
    waiting = Signature.objects.filter(
        statement=statement,
        kind=Signature.Kind.ORGANISATION,
        state=Signature.State.AWAITING_APPROVAL,
    )
    if request.method == "POST":
        chosen = [value for value in request.POST.getlist("signature") if value.isdigit()]
        decision = request.POST.get("decision")
        if decision in ("approve", "reject") and chosen:
            approve = decision == "approve"
            count = actions.review_organisations(
                waiting.filter(pk__in=chosen).select_related("statement"),
                approve=approve,
                actor=request.user,
            )
            text = (
                ngettext(
                    "%(count)d organisation approved.", "%(count)d organisations approved.", count
                )
                if approve
                else ngettext(
                    "%(count)d organisation rejected.", "%(count)d organisations rejected.", count
                )
            )
            messages.success(request, text % {"count": count})
        else:
            messages.error(request, _("Choose at least one organisation, then approve or reject."))
        return redirect("dashboard:moderation", statement.slug)
    return render(
        request,
        "dashboard/signatures/moderation.html",
        {"statement": statement, "waiting": waiting.order_by("confirmed_at", "id")[:200]},
    )


def _signature_of(statement: Statement, pk: int) -> Signature:
    return get_object_or_404(Signature, statement=statement, pk=pk, erased_at__isnull=True)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def hide_signature(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    statement, _membership = statement_for(request, slug, EDITOR)
    signature = _signature_of(statement, pk)
    if request.method == "POST":
        if hide(statement, signature.pk, actor=request.user):
            messages.success(request, _("The signature is no longer listed; it still counts."))
        return redirect("dashboard:signatures", statement.slug)
    return render(
        request,
        "dashboard/signatures/confirm.html",
        {"statement": statement, "signature": signature, "removing": False},
    )


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def remove_signature(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    statement, _membership = statement_for(request, slug, EDITOR)
    signature = _signature_of(statement, pk)
    if request.method == "POST":
        privacy.erase_signers(
            statement,
            Signature.objects.filter(pk=signature.pk),
            reason="removed by organiser",
            actor=request.user,
        )
        messages.success(request, _("The signature was removed."))
        return redirect("dashboard:signatures", statement.slug)
    return render(
        request,
        "dashboard/signatures/confirm.html",
        {"statement": statement, "signature": signature, "removing": True},
    )


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def signature_logo(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """The logo an organisation's signature is shown with under "Signed on": one of the
    running organisation's pictures (the signer uploads nothing)."""
    statement, _membership = statement_for(request, slug, EDITOR)
    signature = _signature_of(statement, pk)
    if signature.kind != Signature.Kind.ORGANISATION:
        raise Http404
    pictures = list(Picture.objects.filter(organisation=statement.organisation))
    if request.method == "POST":
        chosen = request.POST.get("logo", "")
        known = {str(picture.pk): picture.pk for picture in pictures}
        if chosen and chosen not in known:
            messages.error(request, _("Choose one of the pictures below."))
        else:
            set_logo(statement, signature.pk, known.get(chosen), actor=request.user)
            messages.success(request, _("Saved: the statement's page shows it under “Signed on”."))
            return redirect("dashboard:signatures", statement.slug)
    return render(
        request,
        "dashboard/signatures/logo.html",
        {"statement": statement, "signature": signature, "pictures": pictures},
    )


def _paper_key(statement: Statement) -> str:
    return f"dashboard.paper.{statement.pk}"


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def paper(request: HttpRequest, slug: str) -> HttpResponse:
    statement, _membership = statement_for(request, slug, EDITOR)
    form = PaperForm(request.POST or None, statement=statement)
    if request.method == "POST" and form.is_valid():
        try:
            enter_paper(statement, form.cleaned_data, actor=request.user)
        except IntegrityError:
            form.add_error("email", _("This address has signed already."))
        else:
            key = _paper_key(statement)
            request.session[key] = int(request.session.get(key, 0)) + 1
            return redirect("dashboard:paper", statement.slug)
    return render(
        request,
        "dashboard/signatures/paper.html",
        {
            "statement": statement,
            "form": form,
            "entered": int(request.session.get(_paper_key(statement), 0)),
            "consent": PAPER_CONSENT_TEXT % {"organisation": statement.organisation.name},
        },
    )


@login_required
@require_POST
def paper_restart(request: HttpRequest, slug: str) -> HttpResponse:
    """Start a new session's count (a new stall, a new stack of sheets)."""
    statement, _membership = statement_for(request, slug, EDITOR)
    request.session.pop(_paper_key(statement), None)
    return redirect("dashboard:paper", statement.slug)
