"""A fund's language versions in the dashboard: adding one (with the Markdown preview),
editing and deleting one. Editors and owners only."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from undersigned.audit.models import record
from undersigned.dashboard.access import EDITOR
from undersigned.dashboard.views.fund_forms import NewVersionForm, VersionForm
from undersigned.dashboard.views.funds import fund_for, title_of
from undersigned.funds import totals
from undersigned.funds.models import Fund, FundVersion
from undersigned.lib import markdown


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def version_new(request: HttpRequest, pk: int) -> HttpResponse:
    fund, _membership = fund_for(request, pk, EDITOR)
    form = NewVersionForm(
        request.POST if request.method == "POST" else None,
        instance=FundVersion(fund=fund),
        fund=fund,
    )
    if form.is_valid():
        version = form.save()
        record(
            "fund.version_added",
            actor=request.user,
            object_id=fund.pk,
            organisation=fund.organisation_id,
            language=version.language,
        )
        totals.forget(fund)
        messages.success(request, _("The version is added."))
        return redirect("dashboard:fund_version", fund.pk, version.language)
    return render(
        request,
        "dashboard/funds/version_new.html",
        {"fund": fund, "title": title_of(fund), "form": form},
        status=400 if request.method == "POST" else 200,
    )


def _version_of(fund: Fund, language: str) -> FundVersion:
    version = fund.versions.filter(language=language).first()
    if version is None:
        raise Http404
    return version


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def version_edit(request: HttpRequest, pk: int, language: str) -> HttpResponse:
    """A version's title and text; its Preview button shows the text as the page will."""
    fund, _membership = fund_for(request, pk, EDITOR)
    version = _version_of(fund, language)
    previewing = request.method == "POST" and "preview" in request.POST
    form = VersionForm(request.POST if request.method == "POST" else None, instance=version)
    if request.method == "POST" and not previewing and form.is_valid():
        form.save()
        record(
            "fund.version_edited",
            actor=request.user,
            object_id=fund.pk,
            organisation=fund.organisation_id,
            language=version.language,
        )
        totals.forget(fund)
        messages.success(request, _("The version is saved."))
        return redirect("dashboard:fund_version", fund.pk, version.language)
    text = request.POST.get("text", "") if request.method == "POST" else version.text
    return render(
        request,
        "dashboard/funds/version_edit.html",
        {
            "fund": fund,
            "title": title_of(fund),
            "version": version,
            "form": form,
            "previewing": previewing and form.is_valid(),
            "dropped": markdown.dropped(text),
        },
        status=400 if request.method == "POST" and not form.is_valid() else 200,
    )


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def version_delete(request: HttpRequest, pk: int, language: str) -> HttpResponse:
    fund, _membership = fund_for(request, pk, EDITOR)
    version = _version_of(fund, language)
    if version.language == fund.default_language:
        messages.error(
            request,
            _("The default version cannot be deleted: make another one the default first."),
        )
        return redirect("dashboard:fund_version", fund.pk, version.language)
    if request.method == "POST":
        version.delete()
        record(
            "fund.version_deleted",
            actor=request.user,
            object_id=fund.pk,
            organisation=fund.organisation_id,
            language=language,
        )
        totals.forget(fund)
        messages.success(request, _("The version is deleted."))
        return redirect("dashboard:fund", fund.pk)
    return render(
        request,
        "dashboard/funds/version_delete.html",
        {"fund": fund, "title": title_of(fund), "version": version},
    )
