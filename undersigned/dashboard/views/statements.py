"""An organisation's statements: the list, creating and copying one, its settings, publishing,
closing and reopening. Viewers see everything here and change nothing."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from undersigned.dashboard import statement_actions as actions
from undersigned.dashboard.access import (
    EDITOR,
    VIEWER,
    organisation_for,
    read_only_below,
    statement_for,
)
from undersigned.dashboard.statement_forms import CopyStatementForm, NewStatementForm, SettingsForm
from undersigned.dashboard.views.home import start_of_today
from undersigned.statements.models import Signature, Statement

Status = Statement.Status


@login_required
@require_safe
def statement_list(request: HttpRequest, organisation: str) -> HttpResponse:
    org, membership = organisation_for(request, organisation, VIEWER)
    confirmed = Q(signatures__state=Signature.State.CONFIRMED)
    statements = (
        Statement.objects.filter(organisation=org)
        .prefetch_related("versions")
        .annotate(
            counted=Count("signatures", filter=confirmed),
            today=Count(
                "signatures",
                filter=confirmed & Q(signatures__confirmed_at__gte=start_of_today()),
            ),
        )
        .order_by("-created_at")
    )
    return render(
        request,
        "dashboard/statements/list.html",
        {
            "organisation": org,
            "membership": membership,
            "statements": statements,
            "can_edit": membership.can(EDITOR),
        },
    )


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def statement_new(request: HttpRequest, organisation: str) -> HttpResponse:
    org, membership = organisation_for(request, organisation, EDITOR)
    form = NewStatementForm(request.POST if request.method == "POST" else None)
    if form.is_valid():
        data = form.cleaned_data
        statement = actions.create_statement(
            org,
            request.user,
            slug=data["slug"],
            language=data["language"],
            title=data["title"],
            summary=data["summary"],
            body=data["body"],
            demands=data["demands"],
        )
        messages.success(request, _("The statement is saved as a draft."))
        return redirect("dashboard:statement", statement.slug)
    return render(
        request,
        "dashboard/statements/new.html",
        {"organisation": org, "membership": membership, "form": form},
    )


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def statement_copy(request: HttpRequest, slug: str) -> HttpResponse:
    statement, _membership = statement_for(request, slug, EDITOR)
    form = CopyStatementForm(
        request.POST if request.method == "POST" else None,
        initial={"slug": f"{statement.slug}-2"[:80]},
    )
    if form.is_valid():
        copy = actions.copy_statement(statement, request.user, slug=form.cleaned_data["slug"])
        messages.success(request, _("The copy is saved as a draft, without any signature."))
        return redirect("dashboard:statement", copy.slug)
    return render(request, "dashboard/statements/copy.html", {"statement": statement, "form": form})


@login_required
@require_safe
def statement_detail(request: HttpRequest, slug: str) -> HttpResponse:
    statement, membership = statement_for(request, slug, VIEWER)
    versions = list(statement.versions.all())
    default = next((v for v in versions if v.language == statement.default_language), None)
    rows = [
        (version, actions.lacks(default, version) if default is not None else [])
        for version in versions
    ]
    counted = Signature.objects.filter(statement=statement).counted()
    by_state = dict(
        Signature.objects.filter(statement=statement)
        .values_list("state")
        .annotate(n=Count("id"))
        .values_list("state", "n")
    )
    return render(
        request,
        "dashboard/statements/detail.html",
        {
            "statement": statement,
            "default": default,
            "versions": rows,
            "counted": counted.count(),
            "today": counted.filter(confirmed_at__gte=start_of_today()).count(),
            "problems": actions.publish_problems(statement),
            "states": [(label, by_state.get(value, 0)) for value, label in Signature.State.choices],
            # Only organisations wait for approval: the count, with the way to them.
            "awaiting": by_state.get(Signature.State.AWAITING_APPROVAL, 0),
            "can_edit": membership.can(EDITOR),
        },
    )


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def statement_settings(request: HttpRequest, slug: str) -> HttpResponse:
    role = EDITOR if request.method == "POST" else VIEWER
    statement, membership = statement_for(request, slug, role)
    form = SettingsForm(request.POST if request.method == "POST" else None, instance=statement)
    read_only_below(membership, EDITOR, form)
    if request.method == "POST" and form.is_valid():
        actions.save_changes(
            form,
            "statement.settings",
            actor=request.user,
            statement=statement,
            object_id=statement.pk,
        )
        messages.success(request, _("The settings are saved."))
        return redirect("dashboard:statement", statement.slug)
    return render(
        request,
        "dashboard/statements/settings.html",
        {"statement": statement, "form": form, "can_edit": membership.can(EDITOR)},
    )


# action name -> (the statuses it applies to, the status it sets, its audit action)
TRANSITIONS = {
    "publish": ((Status.DRAFT,), Status.OPEN, "statement.published"),
    "close": ((Status.OPEN,), Status.CLOSED, "statement.closed"),
    "reopen": ((Status.CLOSED,), Status.OPEN, "statement.reopened"),
}


@login_required
@require_POST
def statement_status(request: HttpRequest, slug: str, action: str) -> HttpResponse:
    statement, _membership = statement_for(request, slug, EDITOR)
    applies_to, status, audit = TRANSITIONS[action]
    if statement.status not in applies_to:
        messages.error(
            request,
            _("Nothing changed: the statement is %(status)s.")
            % {"status": statement.get_status_display()},
        )
        return redirect("dashboard:statement", statement.slug)
    if action == "publish":
        problems = actions.publish_problems(statement)
        if problems:
            messages.error(
                request, _("Not published: %(problems)s") % {"problems": " ".join(problems)}
            )
            return redirect("dashboard:statement", statement.slug)
    actions.set_status(statement, request.user, status, audit)
    done = {
        "publish": _("The statement is published: anyone with its address can sign it."),
        "close": _("The statement is closed: its page stays up, nobody can sign it."),
        "reopen": _("The statement is open again."),
    }
    messages.success(request, done[action])
    return redirect("dashboard:statement", statement.slug)
