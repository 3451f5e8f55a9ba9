"""The links emailed to a commenter: confirming the comment (a POST from the page the link
opens, as mail scanners open links), and changing its words for a while, deleting it, or
hearing no more of replies. Each page is the writer's own: never cached, in the comment's
language, and a link unknown, expired or used up gets a page that says so and nothing more.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from undersigned.comments import actions
from undersigned.comments.forms import EditForm
from undersigned.comments.models import Comment
from undersigned.lib.languages import ui_language

# What the manage page may say it has just done (?done=).
_DONE = frozenset({"edited", "replies"})


def _unknown(request: HttpRequest) -> HttpResponse:
    return render(request, "comments/link_unknown.html", status=404)


def _context(comment: Comment) -> dict[str, Any]:
    """The statement (and update) a comment is under, in its language; the interface switched
    to it."""
    statement = comment.statement
    version = statement.version_for(comment.language)
    translation.activate(ui_language(comment.language, statement.default_language))
    update_version = None
    if comment.update is not None:
        comment.update.statement = statement
        update_version = comment.update.version_for(comment.language)
    return {
        "comment": comment,
        "statement": statement,
        "version": version,
        "update_version": update_version,
    }


def comment_url(comment: Comment, language: str | None) -> str:
    """Where a published comment is read: a top-level one on its page, a reply on its
    thread's page."""
    statement = comment.statement
    if language is None:
        return ""
    if comment.parent_id is not None:
        path = reverse("comment_reply", args=(statement.slug, language, comment.parent_id))
    elif comment.update_id is not None:
        path = reverse("update", args=(statement.slug, language, comment.update_id))
    else:
        path = reverse("statement", args=(statement.slug, language))
    return f"{path}#comment-{comment.pk}"


@require_http_methods(["GET", "HEAD", "POST"])
def confirm(request: HttpRequest, token: str) -> HttpResponse:
    """GET shows the comment and a button; only its POST confirms. The comment is then
    published, or waits for the moderators (the statement's policy and rules decide)."""
    comment = actions.for_confirm_token(token)
    if comment is None:
        return _unknown(request)
    context = _context(comment)
    if request.method != "POST":
        return render(request, "comments/confirm.html", context)
    state = actions.confirm(comment)
    version = context["version"]
    context["published"] = state == Comment.State.PUBLISHED
    context["comment_url"] = comment_url(comment, version.language if version else None)
    return render(request, "comments/confirmed.html", context)


def _minutes_left(comment: Comment, now: dt.datetime) -> int | None:
    """Whole minutes (rounded up) the writer may still change the words; None before the
    comment is confirmed, when the window has not begun."""
    if comment.confirmed_at is None:
        return None
    ends = comment.confirmed_at + dt.timedelta(minutes=settings.COMMENT_EDIT_MINUTES)
    return max(1, math.ceil((ends - now).total_seconds() / 60))


def _render_manage(
    request: HttpRequest,
    comment: Comment,
    context: dict[str, Any],
    *,
    form: EditForm | None = None,
    refused: str = "",
    status: int = 200,
) -> HttpResponse:
    now = timezone.now()
    version = context["version"]
    done = request.GET.get("done", "")
    context.update(
        done=done if done in _DONE else "",
        refused=refused,
        edit_minutes=settings.COMMENT_EDIT_MINUTES,
        comment_url=(
            comment_url(comment, version.language if version else None)
            if comment.state == Comment.State.PUBLISHED
            else ""
        ),
    )
    if actions.can_edit(comment, now):
        context["form"] = form or EditForm(initial={"text": comment.text})
        context["minutes_left"] = _minutes_left(comment, now)
    return render(request, "comments/manage.html", context, status=status)


def _back(request: HttpRequest, done: str) -> HttpResponse:
    response = HttpResponse(status=303)
    response["Location"] = f"{request.path}?done={done}"
    return response


@require_http_methods(["GET", "HEAD", "POST"])
def manage(request: HttpRequest, token: str) -> HttpResponse:
    """The writer's page of a comment: its state, its words to change while the window
    lasts, a button to hear no more of replies, and one to delete it (after a second
    press)."""
    comment = actions.for_manage_token(token)
    if comment is None:
        return _unknown(request)
    context = _context(comment)
    if request.method != "POST":
        return _render_manage(request, comment, context)
    action = request.POST.get("action", "")
    if action == "edit":
        form = EditForm(request.POST)
        if not form.is_valid():
            return _render_manage(request, comment, context, form=form, status=400)
        if not actions.edit(comment, form.cleaned_data["text"]):
            refused = _("The time to change your words has passed: nothing was changed.")
            return _render_manage(request, comment, context, refused=refused, status=409)
        return _back(request, "edited")
    if action == "stop_replies":
        actions.stop_replies(comment)
        return _back(request, "replies")
    if action == "delete":
        if request.POST.get("confirm") != "yes":
            context["manage_url"] = request.path
            return render(request, "comments/manage_delete.html", context)
        actions.delete_own(comment)
        return render(request, "comments/deleted.html", context)
    return _render_manage(request, comment, context, status=400)
