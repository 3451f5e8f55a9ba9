"""Following a statement's updates without signing it: the form on the statement's page, the
confirmation link and the pages around them. What a visitor sees never depends on whether an
address followed before.
"""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from undersigned.lib import formtoken
from undersigned.lib.clientip import client_key
from undersigned.public.views import signing
from undersigned.public.views.statements import activate_for, public_version, render_statement
from undersigned.statements.models import Statement, StatementVersion
from undersigned.updates import actions
from undersigned.updates.forms import FollowForm


def _followable(
    request: HttpRequest, slug: str, language: str
) -> tuple[Statement, StatementVersion]:
    """A statement that can be followed, open or closed, never a draft, and the version asked
    for; the interface switched to its language."""
    statement, version = public_version(request, slug, language)
    if statement.status == Statement.Status.DRAFT:
        raise Http404
    return statement, version


@csrf_exempt  # The form carries its own token instead, as the sign form: see lib/formtoken.py.
@require_POST
def follow(request: HttpRequest, slug: str, language: str) -> HttpResponse:
    statement, version = _followable(request, slug, language)
    if not formtoken.same_origin(request):
        return render(request, "statements/form_refused.html", {"version": version}, status=403)
    token = formtoken.check(request.POST.get("form_token", ""), statement.pk)
    form = FollowForm(request.POST, statement=statement, language=version.language)
    if token is not formtoken.TokenState.VALID and form.is_valid():
        # An old page, or one made with a key since changed: shown again with a fresh token,
        # nothing stored. A missing or forged token is refused (403).
        form.add_error(
            None,
            _("This page was open for a long time. Check your address and press Follow again."),
        )
    if not form.is_valid():
        status = 403 if token is formtoken.TokenState.INVALID else 400
        return render_statement(request, statement, version, follow_form=form, status=status)
    # Only robots fill in the hidden field: they are told the same, and nothing is done.
    if not request.POST.get("website", ""):
        client = client_key(request)
        actions.follow(
            statement,
            form.cleaned_data["language"],
            form.cleaned_data["email"],
            # The sign form's key on purpose: following and signing count against the same
            # limits, so a script gains nothing by alternating them.
            rate_key=signing.rate_key(statement, client),
            # And the emails it makes the site send count with those of its sign forms.
            email_key=signing.email_key(client),
        )
    return redirect("follow_check_email", slug, version.language)


@require_safe
def check_email(request: HttpRequest, slug: str, language: str) -> HttpResponse:
    statement, version = _followable(request, slug, language)
    return render(
        request, "updates/follow_check_email.html", {"statement": statement, "version": version}
    )


@require_http_methods(["GET", "HEAD", "POST"])
def confirm(request: HttpRequest, slug: str, token: str) -> HttpResponse:
    """GET shows a button; only its POST confirms, because mail scanners open links. A link
    unknown, expired or used already gets a page that says so, and tells nothing more."""
    statement = Statement.objects.select_related("organisation").filter(slug=slug).first()
    follower = actions.follower_for_token(statement, token) if statement else None
    if statement is None or follower is None:
        return render(request, "updates/follow_link_unknown.html", status=404)
    version = statement.version_for(follower.language)
    if version is None:
        raise Http404
    activate_for(statement, version)
    if request.method == "POST":
        actions.confirm_follower(follower)
        return redirect("follow_confirmed", slug, version.language)
    return render(
        request,
        "updates/follow_confirm.html",
        {"statement": statement, "version": version, "token": token},
    )


@require_safe
def confirmed(request: HttpRequest, slug: str, language: str) -> HttpResponse:
    statement, version = _followable(request, slug, language)
    return render(
        request, "updates/follow_confirmed.html", {"statement": statement, "version": version}
    )
