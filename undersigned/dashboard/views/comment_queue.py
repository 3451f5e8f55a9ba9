"""The organisation's moderation queue: confirmed comments held for a moderator, oldest waiting
first, with filters, each approved, rejected or marked as spam on its own or with others chosen;
approving with the organisation's reply; hiding a commenter's comments everywhere in the
organisation, after a page that asks. For the organisation's editors and owners only.

Every change goes through the comments' verbs (undersigned.comments.actions), which write the
audit log. No page here shows a commenter's address: the name they chose, the organisation they
wrote for and their words only. The list of all comments and the held forms are in
views/comment_list.py; the settings in views/comment_settings.py."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import F, Prefetch, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_http_methods

from undersigned.comments import moderation
from undersigned.comments.emails import excerpt
from undersigned.comments.models import Comment, Report
from undersigned.comments.text import render as render_text
from undersigned.dashboard.access import EDITOR, organisation_for
from undersigned.dashboard.comment_forms import ChosenForm, QueueFilterForm, ReplyForm
from undersigned.lib.languages import language_name
from undersigned.organisations.models import Membership, Organisation
from undersigned.statements.models import Statement

State = Comment.State
# Comments on one page of the queue.
PAGE_SIZE = 50

# What a moderator does to a comment: the verb, given the comment and who did it; True if it
# changed anything.
Verb = Callable[[Comment, Any], bool]
VERBS: dict[str, Verb] = {
    "approve": lambda comment, by: moderation.approve(comment, by=by),
    "reject": lambda comment, by: moderation.reject(comment, by=by),
    "spam": lambda comment, by: moderation.mark_spam(comment, by=by),
    "pin": lambda comment, by: moderation.pin(comment, by=by),
    "unpin": lambda comment, by: moderation.pin(comment, by=by, pinned=False),
    "release": lambda comment, by: moderation.release(comment, by=by),
    "discard": lambda comment, by: moderation.discard(comment, by=by),
}
QUEUE_ACTIONS = [
    ("approve", gettext_lazy("Approve")),
    ("reject", gettext_lazy("Reject")),
    ("spam", gettext_lazy("Mark as spam")),
]


def done_message(action: str, count: int) -> str:
    """What the moderator is told after `action` changed `count` comments."""
    said = {
        "approve": ngettext(
            "%(count)d comment approved: it is published.",
            "%(count)d comments approved: they are published.",
            count,
        ),
        "reject": ngettext(
            "%(count)d comment rejected: it is not shown.",
            "%(count)d comments rejected: they are not shown.",
            count,
        ),
        "spam": ngettext(
            "%(count)d comment marked as spam: it is not shown.",
            "%(count)d comments marked as spam: they are not shown.",
            count,
        ),
        "pin": ngettext(
            "%(count)d comment pinned: it is shown first on its page.",
            "%(count)d comments pinned: they are shown first on their pages.",
            count,
        ),
        "unpin": ngettext(
            "%(count)d comment no longer pinned.", "%(count)d comments no longer pinned.", count
        ),
        "release": ngettext(
            "%(count)d form released: its writer is sent the link to confirm the comment.",
            "%(count)d forms released: their writers are sent the link to confirm the comment.",
            count,
        ),
        "discard": ngettext(
            "%(count)d form discarded: nothing of it is kept.",
            "%(count)d forms discarded: nothing of them is kept.",
            count,
        ),
    }[action]
    return said % {"count": count}


def see_other(url: str, query: str = "") -> HttpResponse:
    """After a change: the browser GETs the page again (303 See Other), with its filters."""
    return HttpResponseRedirect(f"{url}?{query}" if query else url, status=303)


def rows_of(organisation: Organisation) -> QuerySet[Comment]:
    """The organisation's comments with what their pages show: titles in every language, the
    comment a reply answers, the reports not dealt with yet."""
    return (
        Comment.objects.filter(organisation=organisation)
        .select_related("statement", "update__statement", "parent")
        .prefetch_related(
            "statement__versions",
            "update__versions",
            Prefetch(
                "reports",
                queryset=Report.objects.filter(settled=False).order_by("pk"),
                to_attr="open_reports",
            ),
        )
    )


def statements_of(organisation: Organisation) -> list[Statement]:
    return list(
        Statement.objects.filter(organisation=organisation)
        .prefetch_related("versions")
        .order_by("-created_at", "-pk")
    )


def comment_for(
    request: HttpRequest, slug: str, pk: int
) -> tuple[Comment, Organisation, Membership]:
    """One of the organisation's comments, for its editors and owners (404 for anyone outside
    the organisation and for another organisation's comment, 403 for a viewer)."""
    organisation, membership = organisation_for(request, slug, EDITOR)
    # Confirmed ones only: a comment nobody confirmed (a form anyone may fill in with anyone's
    # address) must not tell a moderator anything about the address it names.
    comment = rows_of(organisation).filter(pk=pk, confirmed_at__isnull=False).first()
    if comment is None:
        raise Http404
    return comment, organisation, membership


@dataclasses.dataclass(frozen=True, slots=True)
class Item:
    """A comment as the moderation pages show it."""

    comment: Comment
    # The statement's title in the comment's language, and the update's if it is under one.
    title: str
    update_title: str
    language: str
    html: SafeString
    reasons: list[str]
    # (reason, details) of each report not dealt with yet.
    reports: list[tuple[str, str]]
    # The start of the comment it answers, and its writer's name.
    parent_excerpt: str
    parent_name: str

    @property
    def can_hide(self) -> bool:
        """A commenter with an address (not the organisation's own replies, not erased)."""
        return bool(self.comment.email_canonical)


def item_of(comment: Comment) -> Item:
    statement = comment.statement
    version = statement.version_for(comment.language)
    update_title = ""
    if comment.update is not None:
        update_version = comment.update.version_for(comment.language)
        update_title = update_version.title if update_version else str(comment.update_id)
    reports = [
        (str(report.get_reason_display()), report.detail)
        for report in getattr(comment, "open_reports", [])
    ]
    parent = comment.parent
    return Item(
        comment=comment,
        title=version.title if version else statement.slug,
        update_title=update_title,
        language=language_name(comment.language),
        html=render_text(comment.text),
        reasons=comment.reason_labels(),
        reports=reports,
        parent_excerpt=excerpt(parent.text) if parent is not None else "",
        parent_name=(parent.name if parent is not None else ""),
    )


def apply_chosen(
    request: HttpRequest,
    organisation: Organisation,
    action: str,
    ids: list[int],
    *,
    only: Callable[[Comment], bool] = lambda comment: True,
) -> int:
    """Apply `action` to the organisation's comments `ids` (404 if one is not theirs), each
    that `only` lets through, and tell the moderator what changed. Returns how many did."""
    comments = list(
        Comment.objects.filter(organisation=organisation, pk__in=ids)
        .select_related("statement")
        .order_by("pk")
    )
    if len(comments) != len(ids):
        raise Http404
    verb = VERBS[action]
    read_at = _read_at(request)
    if action == "approve" and read_at is not None:
        # Never publish words the moderator did not read: a comment edited since the page was
        # made is left for them to read again.
        only = _unchanged_since(read_at, only)
    done = sum(1 for comment in comments if only(comment) and verb(comment, request.user))
    if done:
        messages.success(request, done_message(action, done))
    left = len(comments) - done
    if left:
        messages.warning(
            request,
            ngettext(
                "%(count)d comment was left as it was: another moderator dealt with it "
                "meanwhile, or this cannot be done to it.",
                "%(count)d comments were left as they were: another moderator dealt with them "
                "meanwhile, or this cannot be done to them.",
                left,
            )
            % {"count": left},
        )
    return done


def _unchanged_since(
    read_at: dt.datetime, only: Callable[[Comment], bool]
) -> Callable[[Comment], bool]:
    def unchanged(comment: Comment) -> bool:
        return only(comment) and not (comment.edited_at and comment.edited_at > read_at)

    return unchanged


def read_stamp() -> str:
    """When a page of comments was made, for its forms to carry (see apply_chosen)."""
    return timezone.now().isoformat()


def _read_at(request: HttpRequest) -> dt.datetime | None:
    try:
        found = dt.datetime.fromisoformat(request.POST.get("read_at", ""))
    except ValueError:
        return None
    return found if timezone.is_aware(found) else None


def waiting_forms(rows: QuerySet[Comment]) -> QuerySet[Comment]:
    """Of `rows`, the forms held before their confirmation was sent (as robots send them),
    waiting for a moderator."""
    return rows.filter(state=State.UNCONFIRMED).exclude(reasons="")


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def queue(request: HttpRequest, slug: str) -> HttpResponse:
    """Comments waiting for a moderator, oldest waiting first. A POST (one comment's buttons,
    or the checkboxes and the bulk action) approves, rejects or marks as spam; the browser then
    comes back to the same filters."""
    organisation, membership = organisation_for(request, slug, EDITOR)
    filters = QueueFilterForm(request.GET, statements=statements_of(organisation))
    chosen: ChosenForm | None = None
    if request.method == "POST":
        chosen = ChosenForm(request.POST, actions=QUEUE_ACTIONS)
        if chosen.is_valid():
            data = chosen.cleaned_data
            apply_chosen(request, organisation, data["action"], data["comment"])
            return see_other(
                reverse("dashboard:comments", args=(organisation.slug,)), filters.query()
            )
    waiting = rows_of(organisation).filter(state=State.HELD)
    rows = filters.apply(waiting).order_by(F("held_at").asc(nulls_first=True), "pk")
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "dashboard/comments/queue.html",
        {
            "organisation": organisation,
            "membership": membership,
            "filters": filters,
            "query": filters.query(),
            "chosen": chosen,
            "page": page,
            "items": [item_of(comment) for comment in page.object_list],
            "waiting": waiting.count(),
            "held_forms": waiting_forms(Comment.objects.filter(organisation=organisation)).count(),
            "actions": QUEUE_ACTIONS,
            "read_at": read_stamp(),
        },
        status=400 if chosen is not None else 200,
    )


# Where the reply and hide pages return to, by the page they were opened from.
BACK = {"queue": "dashboard:comments", "list": "dashboard:comment_list"}


def _back(request: HttpRequest) -> str:
    value = request.POST.get("from") or request.GET.get("from") or "queue"
    return value if value in BACK else "queue"


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def reply(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """Approve a waiting comment (if it waits) and answer it as the organisation: the reply is
    published at once, under the organisation's name. A reply to a reply answers the comment
    it replies to (one level of replies)."""
    comment, organisation, membership = comment_for(request, slug, pk)
    back = _back(request)
    thread = comment.parent or comment
    if comment.state not in (State.HELD, State.PUBLISHED) or thread.state not in (
        State.HELD,
        State.PUBLISHED,
    ):
        messages.error(request, _("Only a published or waiting comment can be answered."))
        return see_other(reverse(BACK[back], args=(organisation.slug,)))
    form = ReplyForm(request.POST if request.method == "POST" else None, comment=comment)
    if request.method == "POST" and form.is_valid():
        approved = comment.state == State.HELD and moderation.approve(comment, by=request.user)
        moderation.reply_as_organisation(
            comment,
            form.cleaned_data["text"],
            by=request.user,
            language=form.cleaned_data["language"],
        )
        messages.success(
            request,
            _("The comment is approved and your reply is published.")
            if approved
            else _("Your reply is published."),
        )
        return see_other(reverse(BACK[back], args=(organisation.slug,)))
    return render(
        request,
        "dashboard/comments/reply.html",
        {
            "organisation": organisation,
            "membership": membership,
            "item": item_of(comment),
            "form": form,
            "back": back,
        },
        status=400 if request.method == "POST" else 200,
    )


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def hide(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """Hide the commenter: every published or waiting comment from their address on the
    organisation's pages, and hold their new ones. The page says how many before it is done
    (never the address, nor their other names)."""
    comment, organisation, membership = comment_for(request, slug, pk)
    back = _back(request)
    if not comment.email_canonical:
        messages.error(request, _("This comment has no commenter to hide."))
        return see_other(reverse(BACK[back], args=(organisation.slug,)))
    if request.method == "POST":
        hidden = moderation.hide_commenter(comment, by=request.user)
        messages.success(
            request,
            ngettext(
                "The commenter is hidden: %(count)d comment is no longer shown, and their new "
                "comments will wait for a moderator.",
                "The commenter is hidden: %(count)d comments are no longer shown, and their new "
                "comments will wait for a moderator.",
                hidden,
            )
            % {"count": hidden},
        )
        return see_other(reverse(BACK[back], args=(organisation.slug,)))
    theirs = Comment.objects.filter(
        organisation=organisation,
        email_canonical=comment.email_canonical,
        state__in=(State.PUBLISHED, State.HELD),
    ).count()
    return render(
        request,
        "dashboard/comments/hide.html",
        {
            "organisation": organisation,
            "membership": membership,
            "item": item_of(comment),
            "theirs": theirs,
            "back": back,
        },
    )
