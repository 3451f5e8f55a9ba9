"""A statement's language versions: add one, and edit each beside the default version with a
preview rendered as the public page renders it (the same sanitiser, the `statement_html` filter).
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from undersigned.audit.models import record
from undersigned.dashboard import statement_actions as actions
from undersigned.dashboard.access import EDITOR, VIEWER, read_only_below, statement_for
from undersigned.dashboard.statement_forms import NewVersionForm, VersionTextForm
from undersigned.lib import markdown
from undersigned.statements.models import Statement, StatementVersion


def _default(statement: Statement) -> StatementVersion | None:
    return statement.versions.filter(language=statement.default_language).first()


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def version_new(request: HttpRequest, slug: str) -> HttpResponse:
    statement, _membership = statement_for(request, slug, EDITOR)
    form = NewVersionForm(
        request.POST if request.method == "POST" else None,
        instance=StatementVersion(statement=statement),
        statement=statement,
    )
    if form.is_valid():
        version = form.save()
        record(
            "statement.version_added",
            actor=request.user,
            statement=statement,
            object_id=version.pk,
            language=version.language,
        )
        messages.success(request, _("The version is added."))
        return redirect("dashboard:version", statement.slug, version.language)
    return render(
        request,
        "dashboard/statements/version_new.html",
        {"statement": statement, "form": form, "default": _default(statement)},
    )


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def version_edit(request: HttpRequest, slug: str, language: str) -> HttpResponse:
    role = EDITOR if request.method == "POST" else VIEWER
    statement, membership = statement_for(request, slug, role)
    version = statement.versions.filter(language=language).first()
    if version is None:
        raise Http404
    default = _default(statement)
    previewing = request.method == "POST" and "preview" in request.POST
    dropped = markdown.dropped(request.POST.get("body", "")) if request.method == "POST" else []
    form = VersionTextForm(request.POST if request.method == "POST" else None, instance=version)
    read_only_below(membership, EDITOR, form)
    if request.method == "POST" and not previewing and form.is_valid():
        actions.save_changes(
            form,
            "statement.version_edited",
            actor=request.user,
            statement=statement,
            object_id=version.pk,
            language=version.language,
        )
        messages.success(request, _("The version is saved."))
        if dropped:
            messages.warning(
                request,
                _("Publishing removes part of the text: see the list under the text field."),
            )
        return redirect("dashboard:version", statement.slug, version.language)
    # The preview shows the text as sent (not saved yet) when asked, else as saved.
    shown = version
    if previewing and form.is_valid():
        shown = form.instance
    elif request.method == "POST":
        shown = StatementVersion.objects.get(pk=version.pk)
    return render(
        request,
        "dashboard/statements/version_edit.html",
        {
            "statement": statement,
            "version": version,
            "default": default if default is not None and default.pk != version.pk else None,
            "form": form,
            "preview": shown,
            "previewing": previewing,
            "dropped": dropped if request.method == "POST" else markdown.dropped(version.body),
            "lacks": actions.lacks(default, shown) if default is not None else [],
            "can_edit": membership.can(EDITOR),
        },
    )
