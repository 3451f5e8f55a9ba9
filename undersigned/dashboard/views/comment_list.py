"""All the organisation's comments (but those nobody confirmed), newest first, with filters by
state, statement and words, and what a moderator may change of each: pin or unpin a published
comment, reject it or mark it as spam, publish again one rejected, marked as spam or hidden.
Also the forms held before their confirmation was sent (as robots send them): released, which
emails the link to confirm, or discarded, after a page that asks. For the organisation's
editors and owners only; no address shown."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from undersigned.comments.models import Comment
from undersigned.dashboard.access import EDITOR, organisation_for
from undersigned.dashboard.comment_forms import LISTED, ChosenForm, ListFilterForm
from undersigned.dashboard.signatures import page_of
from undersigned.dashboard.views.comment_queue import (
    apply_chosen,
    item_of,
    read_stamp,
    rows_of,
    see_other,
    statements_of,
    waiting_forms,
)

State = Comment.State
LIST_ACTIONS = [
    ("approve", gettext_lazy("Publish")),
    ("reject", gettext_lazy("Reject")),
    ("spam", gettext_lazy("Mark as spam")),
    ("pin", gettext_lazy("Pin")),
    ("unpin", gettext_lazy("Unpin")),
]
HELD_ACTIONS = [
    ("release", gettext_lazy("Release: email the link to confirm")),
    ("discard", gettext_lazy("Discard")),
]


def _without_cursors(request: HttpRequest) -> str:
    query = request.GET.copy()
    for name in ("before", "after"):
        query.pop(name, None)
    return query.urlencode()


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def comment_list(request: HttpRequest, slug: str) -> HttpResponse:
    organisation, membership = organisation_for(request, slug, EDITOR)
    filters = ListFilterForm(request.GET, statements=statements_of(organisation))
    chosen: ChosenForm | None = None
    if request.method == "POST":
        chosen = ChosenForm(request.POST, actions=LIST_ACTIONS)
        if chosen.is_valid():
            data = chosen.cleaned_data
            apply_chosen(request, organisation, data["action"], data["comment"])
            # Back to the same page of the list.
            return see_other(
                reverse("dashboard:comment_list", args=(organisation.slug,)),
                request.GET.urlencode(),
            )
    rows = filters.apply(rows_of(organisation).filter(state__in=LISTED))
    page = page_of(rows, request.GET.get("before"), request.GET.get("after"))
    return render(
        request,
        "dashboard/comments/list.html",
        {
            "organisation": organisation,
            "membership": membership,
            "filters": filters,
            "chosen": chosen,
            "page": page,
            "query": _without_cursors(request),
            "items": [item_of(comment) for comment in page.rows],
            "read_at": read_stamp(),
        },
        status=400 if chosen is not None else 200,
    )


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def held_forms(request: HttpRequest, slug: str) -> HttpResponse:
    """Forms held before their confirmation was sent. Releasing one emails its writer the link
    to confirm (the comment then goes on as any other); discarding deletes it. Either is asked
    about first, for one or for all chosen: the POST's page lists them, and its button, which
    says `confirmed`, does it."""
    organisation, membership = organisation_for(request, slug, EDITOR)
    chosen: ChosenForm | None = None
    context = {"organisation": organisation, "membership": membership}
    if request.method == "POST":
        chosen = ChosenForm(request.POST, actions=HELD_ACTIONS)
        if chosen.is_valid():
            data = chosen.cleaned_data
            if request.POST.get("confirmed"):
                apply_chosen(
                    request,
                    organisation,
                    data["action"],
                    data["comment"],
                    only=lambda comment: (
                        comment.state == State.UNCONFIRMED and bool(comment.reasons)
                    ),
                )
                return see_other(
                    reverse("dashboard:comment_held_forms", args=(organisation.slug,)),
                    _without_cursors(request),
                )
            found = list(
                waiting_forms(rows_of(organisation)).filter(pk__in=data["comment"]).order_by("pk")
            )
            if len(found) != len(data["comment"]):
                raise Http404
            return render(
                request,
                "dashboard/comments/held_confirm.html",
                {
                    **context,
                    "action": data["action"],
                    "label": dict(HELD_ACTIONS)[data["action"]],
                    "items": [item_of(comment) for comment in found],
                    "query": _without_cursors(request),
                },
            )
    page = page_of(
        waiting_forms(rows_of(organisation)), request.GET.get("before"), request.GET.get("after")
    )
    return render(
        request,
        "dashboard/comments/held.html",
        {
            **context,
            "chosen": chosen,
            "page": page,
            "query": _without_cursors(request),
            "items": [item_of(comment) for comment in page.rows],
            "actions": HELD_ACTIONS,
        },
        status=400 if chosen is not None else 200,
    )
