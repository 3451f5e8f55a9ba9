"""Signers' privacy: a statement's privacy page (hiding the whole signatory list, keeping the
count after erasure). Viewers see it; editors and owners change it."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from undersigned.dashboard.access import EDITOR, VIEWER, statement_for
from undersigned.dashboard.privacy import KeepCountForm, set_keep_count
from undersigned.statements import privacy


def _no_store(response: HttpResponse) -> HttpResponse:
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def privacy_page(request: HttpRequest, slug: str) -> HttpResponse:
    """The statement's privacy settings; the keep-the-count form posts here."""
    role = EDITOR if request.method == "POST" else VIEWER
    statement, membership = statement_for(request, slug, role)
    can_edit = membership.can(EDITOR)
    if request.method == "POST":
        form = KeepCountForm(request.POST)
        if form.is_valid():
            keep = form.cleaned_data["keep_count_after_erasure"]
            if set_keep_count(statement, keep, request.user):
                messages.success(
                    request,
                    _("Erasing a confirmed signer now keeps an anonymous signature that counts.")
                    if keep
                    else _("Erasing a signer now takes their signature out of the count."),
                )
            return redirect("dashboard:privacy", statement.slug)
    else:
        form = KeepCountForm(
            initial={"keep_count_after_erasure": statement.keep_count_after_erasure}
        )
    if not can_edit:
        for field in form.fields.values():
            field.disabled = True
    return _no_store(
        render(
            request,
            "dashboard/privacy/statement.html",
            {"statement": statement, "form": form, "can_edit": can_edit},
        )
    )


# What the confirmation's button asks for: to hide the list, or to show it.
HIDDEN = {"1": True, "0": False}


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def signatories(request: HttpRequest, slug: str) -> HttpResponse:
    """Hide the whole signatory list, or show it again, after a page that asks (its button
    posts here and says which of the two it asked about, so a second click changes nothing)."""
    statement, _membership = statement_for(request, slug, EDITOR)
    if request.method == "POST":
        hidden = HIDDEN.get(request.POST.get("hidden", ""))
        if hidden is None:
            messages.error(request, _("Nothing changed: choose to hide or to show the list."))
            return redirect("dashboard:privacy", statement.slug)
        privacy.hide_signatories(statement, hidden=hidden, actor=request.user)
        messages.success(
            request,
            _("The signatory list is hidden: public pages show the count but no signer's name.")
            if hidden
            else _("The signatory list is shown again, each signer as they chose."),
        )
        return redirect("dashboard:privacy", statement.slug)
    return _no_store(
        render(
            request,
            "dashboard/privacy/signatories.html",
            {"statement": statement, "hiding": not statement.signatories_hidden},
        )
    )
