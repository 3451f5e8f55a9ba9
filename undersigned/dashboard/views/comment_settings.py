"""How comments are moderated: the organisation's settings (the word list that holds a comment
back, how many reports send one back to the queue), each moderator's digest of what waits, the
hidden commenters (shown by the name they used, never their address) and showing one again;
per statement, its comment policy, closing and reopening. For editors and owners only; every
change goes through the comments' verbs, which write the audit log."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_POST

from undersigned.comments import actions, moderation
from undersigned.comments.models import (
    Comment,
    CommentPolicy,
    DigestSubscription,
    HiddenCommenter,
)
from undersigned.dashboard.access import EDITOR, organisation_for, statement_for
from undersigned.dashboard.comment_forms import DigestForm, ModerationForm, PolicyForm
from undersigned.dashboard.views.comment_queue import see_other
from undersigned.lib.languages import ui_language

State = Comment.State


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def comment_settings(request: HttpRequest, slug: str) -> HttpResponse:
    """The organisation's moderation settings and the moderator's own digest: two forms, each
    saying which it is (`form`)."""
    organisation, membership = organisation_for(request, slug, EDITOR)
    posted = request.POST.get("form") if request.method == "POST" else None
    words = ModerationForm(
        request.POST if posted == "moderation" else None,
        instance=actions.moderation_of(organisation),
    )
    subscribed = DigestSubscription.objects.filter(
        organisation=organisation, user_id=membership.user_id
    ).exists()
    digest = DigestForm(
        request.POST if posted == "digest" else None, initial={"digest": subscribed}
    )
    here = reverse("dashboard:comment_settings", args=(organisation.slug,))
    if posted == "moderation" and words.is_valid():
        moderation.set_moderation(
            organisation,
            words=words.cleaned_data["words"],
            reports_to_hold=words.cleaned_data["reports_to_hold"],
            by=request.user,
        )
        messages.success(request, _("The moderation settings are saved."))
        return see_other(here)
    if posted == "digest" and digest.is_valid():
        wanted = bool(digest.cleaned_data["digest"])
        moderation.subscribe_digest(
            organisation,
            request.user,
            wanted=wanted,
            language=ui_language(translation.get_language() or "en"),
        )
        messages.success(
            request,
            _("You will be emailed when comments wait.")
            if wanted
            else _("You will no longer be emailed about waiting comments."),
        )
        return see_other(here)
    hidden = (
        HiddenCommenter.objects.filter(organisation=organisation)
        .select_related("hidden_by")
        .order_by("-created_at", "-pk")
    )
    return render(
        request,
        "dashboard/comments/settings.html",
        {
            "organisation": organisation,
            "membership": membership,
            "moderation": words,
            "digest": digest,
            "subscribed": subscribed,
            "hidden": hidden,
        },
        status=400 if request.method == "POST" else 200,
    )


@login_required
@require_POST
def unhide(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """Show a hidden commenter's comments again: those once published are published again, the
    others wait in the queue."""
    organisation, _membership = organisation_for(request, slug, EDITOR)
    hidden = HiddenCommenter.objects.filter(organisation=organisation, pk=pk).first()
    if hidden is None:
        raise Http404
    shown = moderation.unhide_commenter(hidden, by=request.user)
    messages.success(
        request,
        ngettext(
            "%(name)s is no longer hidden: %(count)d comment is shown again.",
            "%(name)s is no longer hidden: %(count)d comments are shown again.",
            shown,
        )
        % {"name": hidden.name, "count": shown},
    )
    return see_other(reverse("dashboard:comment_settings", args=(organisation.slug,)))


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def statement_comments(request: HttpRequest, slug: str) -> HttpResponse:
    """A statement's comment policy (its updates' too), closing and reopening, and how many of
    its comments wait or are published, with links to them."""
    statement, membership = statement_for(request, slug, EDITOR)
    policy = CommentPolicy.objects.filter(statement=statement).first() or CommentPolicy(
        statement=statement
    )
    form = PolicyForm(request.POST if request.method == "POST" else None, instance=policy)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        moderation.set_policy(
            statement,
            mode=data["mode"],
            hold_first=data["hold_first"],
            hold_links=data["hold_links"],
            hold_words=data["hold_words"],
            by=request.user,
        )
        messages.success(request, _("The comment settings are saved."))
        return see_other(reverse("dashboard:statement_comments", args=(statement.slug,)))
    counts = dict(
        Comment.objects.filter(statement=statement)
        .values_list("state")
        .annotate(count=Count("pk"))
        .values_list("state", "count")
        .order_by()
    )
    return render(
        request,
        "dashboard/comments/statement.html",
        {
            "statement": statement,
            "membership": membership,
            "form": form,
            "policy": CommentPolicy.objects.filter(statement=statement).first()
            or CommentPolicy(statement=statement),
            "waiting": counts.get(State.HELD, 0),
            "published": counts.get(State.PUBLISHED, 0),
            "set_aside": sum(counts.get(state, 0) for state in (State.REJECTED, State.SPAM)),
            "hidden": counts.get(State.HIDDEN, 0),
        },
        status=400 if request.method == "POST" else 200,
    )


def _switch(request: HttpRequest, slug: str, *, closed: bool) -> HttpResponse:
    statement, _membership = statement_for(request, slug, EDITOR)
    policy = CommentPolicy.objects.filter(statement=statement).first()
    is_closed = policy is not None and policy.closed_at is not None
    here = reverse("dashboard:statement_comments", args=(statement.slug,))
    if is_closed == closed:
        messages.error(
            request,
            _("Comments are closed already.") if closed else _("Comments are open already."),
        )
        return see_other(here)
    moderation.close(statement, by=request.user, closed=closed)
    messages.success(
        request,
        _("Comments are closed: no new ones are taken; published ones stay shown.")
        if closed
        else _("Comments are open again."),
    )
    return see_other(here)


@login_required
@require_POST
def statement_comments_close(request: HttpRequest, slug: str) -> HttpResponse:
    return _switch(request, slug, closed=True)


@login_required
@require_POST
def statement_comments_reopen(request: HttpRequest, slug: str) -> HttpResponse:
    return _switch(request, slug, closed=False)
