"""Signers' privacy: a statement's privacy page (hiding the whole signatory list, keeping the
count after erasure) and an organisation's erasure requests. Viewers see a statement's privacy
page; editors and owners change it and handle erasure requests, as they alone see addresses."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods

from undersigned.dashboard.access import (
    EDITOR,
    VIEWER,
    organisation_for,
    read_only_below,
    statement_for,
)
from undersigned.dashboard.privacy import (
    ErasureForm,
    KeepCountForm,
    erase_on_request,
    signatures_of,
)
from undersigned.statements import privacy


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
            if privacy.keep_count_after_erasure(statement, keep, actor=request.user):
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
    read_only_below(membership, EDITOR, form)
    return render(
        request,
        "dashboard/privacy/statement.html",
        {"statement": statement, "form": form, "can_edit": can_edit},
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
    return render(
        request,
        "dashboard/privacy/signatories.html",
        {"statement": statement, "hiding": not statement.signatories_hidden},
    )


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def erasure(request: HttpRequest, slug: str) -> HttpResponse:
    """An erasure request: the address is asked for, what it has on the organisation's
    statements shown, then erased once the organiser confirms. The address travels in POSTs
    only, never in an address bar or a log."""
    organisation, membership = organisation_for(request, slug, EDITOR)
    form = ErasureForm(request.POST if request.method == "POST" else None)
    context = {"organisation": organisation, "membership": membership, "form": form}
    if request.method != "POST":
        return render(request, "dashboard/privacy/erasure.html", context)
    if not form.is_valid():
        return render(request, "dashboard/privacy/erasure.html", context, status=400)
    email = form.cleaned_data["email"]
    if request.POST.get("step") == "erase":
        erased = erase_on_request(organisation, email, request.user)
        messages.success(
            request,
            ngettext(
                "Erasure done: %(count)d signature erased. Any following of your statements' "
                "updates by this address, any place of it at your events, its name in your "
                "funds' ledgers and its comments' words and name are deleted too.",
                "Erasure done: %(count)d signatures erased. Any following of your statements' "
                "updates by this address, any place of it at your events, its name in your "
                "funds' ledgers and its comments' words and name are deleted too.",
                erased.signatures,
            )
            % {"count": erased.signatures},
        )
        return redirect("dashboard:erasure", organisation.slug)
    return render(
        request,
        "dashboard/privacy/erasure_found.html",
        {**context, "email": email, "signatures": signatures_of(organisation, email)},
    )
