"""Watching a statement for abuse: held signatures, signatures per hour by country, email domain
and network, bulk invalidation with a preview, and pausing signing. Viewers see the page but
not the signers' email domains; editors and owners act on it."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST, require_safe

from undersigned.dashboard.access import EDITOR, VIEWER, statement_for
from undersigned.dashboard.watch import (
    HOURS_SHOWN,
    InvalidateForm,
    by_choices,
    held_counts,
    per_hour,
)
from undersigned.organisations.models import Membership
from undersigned.statements import actions
from undersigned.statements.models import Signature, Statement


def _watch_page(
    request: HttpRequest,
    statement: Statement,
    membership: Membership,
    form: InvalidateForm,
    preview: int | None,
) -> HttpResponse:
    choices = by_choices(domains=membership.can(EDITOR))
    by = request.GET.get("by", "country")
    if by not in dict(choices):
        by = "country"
    held = held_counts(statement)
    return render(
        request,
        "dashboard/watch.html",
        {
            "statement": statement,
            "can_edit": membership.can(EDITOR),
            "by": by,
            "by_choices": choices,
            "hours": per_hour(statement, by, timezone.now()),
            "hours_shown": HOURS_SHOWN,
            "held": held,
            "held_total": sum(n for _value, _label, n in held),
            "form": form,
            "preview": preview,
        },
        status=400 if form.is_bound and not form.is_valid() else 200,
    )


@login_required
@require_safe
def watch(request: HttpRequest, slug: str) -> HttpResponse:
    # Signers' email domains, counted per hour or in a preview, are for those who see their
    # addresses: a viewer who asks for them is refused.
    asks_domains = request.GET.get("by") == "domain"
    statement, membership = statement_for(request, slug, EDITOR if asks_domains else VIEWER)
    domains = membership.can(EDITOR)
    # The invalidation form previews with a GET: nothing changes until its POST.
    if "preview" in request.GET:
        form = InvalidateForm(request.GET, domains=domains)
        preview = form.matching(statement).count() if form.is_valid() else None
        return _watch_page(request, statement, membership, form, preview)
    initial = {"by": "domain" if domains else "network"}
    return _watch_page(
        request, statement, membership, InvalidateForm(initial=initial, domains=domains), None
    )


@login_required
@require_POST
def invalidate(request: HttpRequest, slug: str) -> HttpResponse:
    statement, membership = statement_for(request, slug, EDITOR)
    form = InvalidateForm(request.POST)
    if not form.is_valid():
        return _watch_page(request, statement, membership, form, None)
    count = actions.invalidate_signatures(
        statement, form.matching(statement), actor=request.user, criteria=form.describe()
    )
    messages.success(
        request,
        ngettext("%(count)d signature invalidated.", "%(count)d signatures invalidated.", count)
        % {"count": count},
    )
    return redirect("dashboard:watch", statement.slug)


@login_required
@require_POST
def review_held(request: HttpRequest, slug: str) -> HttpResponse:
    """Release the held signatures (all, or those held for one reason), or reject them."""
    statement, _membership = statement_for(request, slug, EDITOR)
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
    return redirect("dashboard:watch", statement.slug)


@login_required
@require_POST
def pause(request: HttpRequest, slug: str) -> HttpResponse:
    statement, _membership = statement_for(request, slug, EDITOR)
    paused = request.POST.get("paused") == "1"
    actions.pause_signing(statement, paused=paused, actor=request.user)
    messages.success(request, _("Signing is paused.") if paused else _("Signing is open again."))
    return redirect("dashboard:watch", statement.slug)
