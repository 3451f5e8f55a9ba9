"""Comments' public pages: a statement's comments (and an update's), keyset-paginated, with
the form that writes one; a thread's page with the form that replies; reporting a comment;
the pages after each form. The links emailed to a commenter (confirm, edit or delete) are in
undersigned.public.views.comment_links.

The pages with a form are served from the page cache like the statement's, so the forms carry
the page's signed token, not a CSRF cookie, and the protections of the sign form (the Origin,
a field only robots fill in, a minimum time, a proof of work: public.views.formguard). What a
visitor sees after sending never depends on the address: a comment is kept unconfirmed, and
its link emailed, the same way for every address (comments.actions.submit).
"""

from __future__ import annotations

import dataclasses
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_safe

from undersigned.abuse.keys import keyed_hash
from undersigned.comments import actions, queries
from undersigned.comments.forms import CommentForm, ReportForm
from undersigned.comments.models import Comment
from undersigned.lib import formtoken
from undersigned.lib.clientip import client_ip, network_of
from undersigned.lib.pagecache import public_cache
from undersigned.public.templatetags.comments import (
    form_context,
    list_url,
    shows_comments,
    takes_comments,
)
from undersigned.public.views import formguard
from undersigned.public.views.statements import PAGE_SECONDS, public_version
from undersigned.public.views.updates import published
from undersigned.statements.models import Statement, StatementVersion
from undersigned.updates.models import Update, UpdateVersion

# What the anti-abuse counters count comments under, and readers' reports apart from them.
RATE_KIND = "comment"
REPORT_KIND = "comment-report"


def _pk(value: str) -> int:
    """A primary key from the URL (its pattern allows digits only, up to 18)."""
    return int(value)


def _commented_version(
    request: HttpRequest, slug: str, language: str
) -> tuple[Statement, StatementVersion]:
    """The statement and its version in `language`, as the statement's page finds them; 404
    where its comments are off (or it is a draft)."""
    statement, version = public_version(request, slug, language)
    if not shows_comments(statement):
        raise Http404
    return statement, version


def _update_in(
    statement: Statement, version: StatementVersion, pk: str
) -> tuple[Update, UpdateVersion]:
    """A published update of the statement, in the page's language where it has it."""
    update = published(statement).filter(pk=_pk(pk)).first()
    if update is None:
        raise Http404
    update.statement = statement
    update_version = update.version_for(version.language)
    if update_version is None:
        raise Http404
    return update, update_version


def _see_other(name: str, *args: Any) -> HttpResponse:
    """After a form: the browser GETs the next page (303 See Other)."""
    response = redirect(name, *args)
    response.status_code = 303
    return response


def _refused(request: HttpRequest, statement: Statement, version: StatementVersion) -> HttpResponse:
    """A form from another site, or with a missing or forged token: 403."""
    context = {"statement": statement, "version": version}
    return render(request, "comments/form_refused.html", context, status=403)


def _closed(request: HttpRequest, statement: Statement, version: StatementVersion) -> HttpResponse:
    """A form sent where comments are closed or off: nothing kept."""
    context = {"statement": statement, "version": version}
    return render(request, "comments/closed.html", context, status=403)


def _token_state(request: HttpRequest, statement: Statement) -> formtoken.TokenState:
    return formtoken.check(request.POST.get("form_token", ""), statement.pk)


def _expired(form: CommentForm | ReportForm, state: formtoken.TokenState) -> None:
    """An old page, or one made with a key since changed: what was typed is shown again with
    a fresh token, nothing is kept."""
    if state is formtoken.TokenState.EXPIRED and form.is_valid():
        form.add_error(
            None,
            _("This page was open for a long time. Check your details and press the button again."),
        )


def _submit(
    request: HttpRequest,
    statement: Statement,
    version: StatementVersion,
    *,
    update: Update | None = None,
    parent: Comment | None = None,
) -> CommentForm | HttpResponse:
    """A comment or reply as posted: the response to send (the next page, or a refusal), or
    the form with its errors for the caller to show again (status 400)."""
    if not formtoken.same_origin(request):
        return _refused(request, statement, version)
    if not takes_comments(statement):
        return _closed(request, statement, version)
    state = _token_state(request, statement)
    if state is formtoken.TokenState.INVALID:
        return _refused(request, statement, version)
    form = CommentForm(request.POST)
    _expired(form, state)
    if not form.is_valid():
        return form
    cleaned = form.cleaned_data
    actions.submit(
        statement,
        version.language,
        name=cleaned["name"],
        email=cleaned["email"],
        text=cleaned["text"],
        organisation_name=cleaned["organisation_name"],
        update=update,
        parent=parent,
        wants_signatory=cleaned["wants_signatory"],
        notify_replies=cleaned["notify_replies"],
        client=formguard.client(request, RATE_KIND, statement.pk, cleaned["email"]),
    )
    return _see_other("comment_sent", statement.slug, version.language)


def _render_list(
    request: HttpRequest,
    statement: Statement,
    version: StatementVersion,
    update: tuple[Update, UpdateVersion] | None = None,
    form: CommentForm | None = None,
) -> HttpResponse:
    """The comments page: a page of threads, and the form (as posted, with its errors, where
    one is given: status 400)."""
    shown_update, update_version = update or (None, None)
    # The form posted again shows the first page; a page further on is a link away.
    before = request.GET.get("before") if form is None else None
    after = request.GET.get("after") if form is None else None
    context: dict[str, Any] = {
        "statement": statement,
        "version": version,
        "update": shown_update,
        "update_version": update_version,
        "page": queries.page(statement, shown_update, before, after),
        "takes": takes_comments(statement),
        "list_url": list_url(statement, version.language, shown_update),
    }
    if context["takes"]:
        context["form"] = form or CommentForm()
        context.update(form_context(statement))
    return render(request, "comments/list.html", context, status=200 if form is None else 400)


@public_cache(PAGE_SECONDS)
def _statement_list(request: HttpRequest, slug: str, language: str) -> HttpResponse:
    statement, version = _commented_version(request, slug, language)
    if version.language != language:
        return redirect("statement_comments", slug, version.language)
    return _render_list(request, statement, version)


@csrf_exempt  # The form carries its own token instead, as the sign form: see lib/formtoken.py.
@require_http_methods(["GET", "HEAD", "POST"])
def statement_comments(request: HttpRequest, slug: str, language: str) -> HttpResponse:
    """GET: the statement's comments (not its updates'). POST: a new comment."""
    if request.method != "POST":
        page: HttpResponse = _statement_list(request, slug, language)
        return page
    statement, version = public_version(request, slug, language)
    answer = _submit(request, statement, version)
    if isinstance(answer, HttpResponse):
        return answer
    return _render_list(request, statement, version, form=answer)


@public_cache(PAGE_SECONDS)
def _update_list(request: HttpRequest, slug: str, language: str, pk: str) -> HttpResponse:
    statement, version = _commented_version(request, slug, language)
    update = _update_in(statement, version, pk)
    if version.language != language:
        return redirect("update_comments", slug, version.language, pk)
    return _render_list(request, statement, version, update)


@csrf_exempt  # The form carries its own token instead, as the sign form: see lib/formtoken.py.
@require_http_methods(["GET", "HEAD", "POST"])
def update_comments(request: HttpRequest, slug: str, language: str, pk: str) -> HttpResponse:
    """GET: a published update's comments. POST: a new comment on it."""
    if request.method != "POST":
        page: HttpResponse = _update_list(request, slug, language, pk)
        return page
    statement, version = public_version(request, slug, language)
    update = _update_in(statement, version, pk)
    answer = _submit(request, statement, version, update=update[0])
    if isinstance(answer, HttpResponse):
        return answer
    return _render_list(request, statement, version, update, form=answer)


def _thread_or_404(statement: Statement, pk: str) -> queries.Thread:
    found = queries.thread(statement, _pk(pk))
    if found is None:
        raise Http404
    return found


def _render_reply(
    request: HttpRequest,
    statement: Statement,
    version: StatementVersion,
    thread: queries.Thread,
    form: CommentForm | None = None,
) -> HttpResponse:
    """A thread on a page of its own, with the form that replies to it."""
    comment = thread.comment
    update = comment.update
    update_version = None
    if update is not None:
        update.statement = statement
        update_version = update.version_for(version.language)
    if update is not None:
        page_url = list_url(statement, version.language, update)
    else:
        page_url = list_url(statement, version.language)
    context: dict[str, Any] = {
        "statement": statement,
        "version": version,
        "update": update,
        "update_version": update_version,
        "thread": thread,
        "single": queries.CommentPage(
            threads=[thread], older=None, newer=None, total=0, first=True
        ),
        "takes": takes_comments(statement),
        "page_url": page_url,
        "reply_url": request.path,
    }
    if context["takes"]:
        context["form"] = form or CommentForm()
        context.update(form_context(statement))
    return render(request, "comments/reply.html", context, status=200 if form is None else 400)


@public_cache(PAGE_SECONDS)
def _reply_page(request: HttpRequest, slug: str, language: str, pk: str) -> HttpResponse:
    statement, version = _commented_version(request, slug, language)
    return _render_reply(request, statement, version, _thread_or_404(statement, pk))


@csrf_exempt  # The form carries its own token instead, as the sign form: see lib/formtoken.py.
@require_http_methods(["GET", "HEAD", "POST"])
def comment_reply(request: HttpRequest, slug: str, language: str, pk: str) -> HttpResponse:
    """GET: a published comment with its replies, and the form to reply. POST: the reply."""
    if request.method != "POST":
        page: HttpResponse = _reply_page(request, slug, language, pk)
        return page
    statement, version = public_version(request, slug, language)
    thread = _thread_or_404(statement, pk)
    answer = _submit(
        request, statement, version, update=thread.comment.update, parent=thread.comment
    )
    if isinstance(answer, HttpResponse):
        return answer
    return _render_reply(request, statement, version, thread, form=answer)


def _render_report(
    request: HttpRequest,
    statement: Statement,
    version: StatementVersion,
    comment: Comment,
    form: ReportForm | None = None,
) -> HttpResponse:
    context: dict[str, Any] = {
        "statement": statement,
        "version": version,
        "comment": comment,
        "form": form or ReportForm(),
        **form_context(statement),
    }
    return render(request, "comments/report.html", context, status=200 if form is None else 400)


@public_cache(PAGE_SECONDS)
def _report_page(request: HttpRequest, slug: str, language: str, pk: str) -> HttpResponse:
    statement, version = _commented_version(request, slug, language)
    comment = queries.published_comment(statement, _pk(pk))
    if comment is None:
        raise Http404
    return _render_report(request, statement, version, comment)


@csrf_exempt  # The form carries its own token instead, as the sign form: see lib/formtoken.py.
@require_http_methods(["GET", "HEAD", "POST"])
def comment_report(request: HttpRequest, slug: str, language: str, pk: str) -> HttpResponse:
    """GET: the report form. POST: the report, answered with the same page whatever came of
    it (counted, or not: from a robot, past the limits, the comment gone meanwhile)."""
    if request.method != "POST":
        page: HttpResponse = _report_page(request, slug, language, pk)
        return page
    statement, version = _commented_version(request, slug, language)
    if not formtoken.same_origin(request):
        return _refused(request, statement, version)
    state = _token_state(request, statement)
    if state is formtoken.TokenState.INVALID:
        return _refused(request, statement, version)
    form = ReportForm(request.POST)
    _expired(form, state)
    comment = Comment.objects.filter(statement=statement, pk=_pk(pk)).first()
    if not form.is_valid():
        if comment is None or comment.state != Comment.State.PUBLISHED:
            raise Http404
        return _render_report(request, statement, version, comment, form)
    if comment is not None:
        actions.report(
            comment,
            form.cleaned_data["reason"],
            form.cleaned_data["detail"],
            client=_reporter(request, statement),
        )
    return _see_other("comment_reported", statement.slug, version.language)


def _reporter(request: HttpRequest, statement: Statement) -> actions.Client:
    """Who reports, for the count of readers who did: their network (a /24, or an IPv6 /48),
    not the client, so that one place with many addresses counts as one reader."""
    client = formguard.client(request, REPORT_KIND, statement.pk, "")
    network = network_of(client_ip(request))
    return dataclasses.replace(
        client, rate_key=keyed_hash(REPORT_KIND, f"{statement.pk}:{network}")
    )


@require_safe
def sent(request: HttpRequest, slug: str, language: str) -> HttpResponse:
    """After a comment or a reply: the same page for every address."""
    statement, version = public_version(request, slug, language)
    return render(request, "comments/sent.html", {"statement": statement, "version": version})


@require_safe
def reported(request: HttpRequest, slug: str, language: str) -> HttpResponse:
    statement, version = public_version(request, slug, language)
    return render(request, "comments/reported.html", {"statement": statement, "version": version})
