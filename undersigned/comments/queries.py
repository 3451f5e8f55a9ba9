"""Reads behind the public comment pages: a statement's (or an update's) published comments as
threads, newest first, in keyset pages, and the few the statement's own page shows.

A page is one query for its top-level comments (with the count of everything published under
the same page, as a subquery of it) and one for their replies, whatever the number of comments:
the statement page is served to everyone from the page cache, and rendered again every few
seconds.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from django.db.models import Count, Exists, IntegerField, OuterRef, Q, QuerySet, Subquery

from undersigned.comments.models import Comment
from undersigned.statements.models import Statement
from undersigned.updates.models import Update

State = Comment.State

# Threads on the statement's (or the update's) own page; the rest are on its comments page.
COMMENTS_SHOWN = 10
# Threads on a page of the comments page.
PER_PAGE = 20

# Keyset pagination, as the signatory list's (statements.queries.signatory_page): a page is
# found by the position of its neighbour, (published_at, id), so a page deep in the list costs
# what the first does.
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_MICROSECOND = dt.timedelta(microseconds=1)


@dataclass
class Thread:
    """A top-level comment and its published replies, oldest first. A comment its writer
    deleted is shown (as deleted) only to hold the replies it had."""

    comment: Comment
    replies: list[Comment] = field(default_factory=list)

    @property
    def deleted(self) -> bool:
        return self.comment.state == State.DELETED


@dataclass
class CommentPage:
    threads: list[Thread]
    # Cursors of the next pages, older and newer, if there are any.
    older: str | None
    newer: str | None
    # Published comments under the statement (or the update), replies included.
    total: int
    # The first page: pinned comments first, then the newest.
    first: bool


def cursor_for(comment: Comment) -> str:
    """Where a shown (so published) comment stands in its page's list."""
    published_at = comment.published_at or _EPOCH
    return f"{(published_at - _EPOCH) // _MICROSECOND}-{comment.pk}"


def parse_cursor(value: str | None) -> tuple[dt.datetime, int] | None:
    """A cursor's position, or None for anything that is not one (typed by hand, cut short)."""
    if not value:
        return None
    micro, _sep, pk = value.partition("-")
    if not (micro.isascii() and micro.isdigit() and pk.isascii() and pk.isdigit()):
        return None
    if len(micro) > 18 or len(pk) > 18:
        return None
    try:
        return _EPOCH + int(micro) * _MICROSECOND, int(pk)
    except OverflowError:
        return None


def _under(statement: Statement, update: Update | None) -> QuerySet[Comment]:
    """Every comment on the statement's own page (update None), or on the update's."""
    return Comment.objects.filter(statement=statement, update=update)


def _total(statement: Statement, update: Update | None) -> Subquery:
    # What a reader can see: published comments on the page, and published replies under
    # one shown (or deleted by its writer, whose thread stays).
    published = (
        _under(statement, update)
        .filter(state=State.PUBLISHED)
        .filter(Q(parent=None) | Q(parent__state__in=(State.PUBLISHED, State.DELETED)))
        .order_by()
        .values("statement")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Subquery(published, output_field=IntegerField())


def _placed(
    statement: Statement,
    update: Update | None,
    keep: Callable[[QuerySet[Comment]], QuerySet[Comment]],
    order: tuple[str, str],
    size: int,
) -> Q:
    """The first `size` threads in `order` that `keep` keeps: published top-level comments, and
    deleted ones that hold published replies. Each kind is read in the order of the
    comment_page index (state is part of its key), so neither is sorted whole."""
    top = _under(statement, update).filter(parent=None)
    replied = Comment.objects.filter(parent=OuterRef("pk"), state=State.PUBLISHED)
    deleted = top.filter(state=State.DELETED, published_at__isnull=False).filter(Exists(replied))
    return Q(
        pk__in=keep(top.filter(state=State.PUBLISHED)).order_by(*order).values("pk")[:size]
    ) | Q(pk__in=keep(deleted).order_by(*order).values("pk")[:size])


def _read(
    statement: Statement, update: Update | None, where: Q, order: tuple[str, str], size: int
) -> list[Comment]:
    """The comments `where` finds, in `order`, at most `size`, each with the count of what is
    published under the same page."""
    return list(
        Comment.objects.filter(where)
        .annotate(total=_total(statement, update))
        .order_by(*order)[:size]
    )


NEWEST = ("-published_at", "-id")
OLDEST = ("published_at", "id")


def _threads(
    statement: Statement, update: Update | None, comments: Sequence[Comment]
) -> list[Thread]:
    """The comments with their published replies, read in one query (on the comment_page
    index: a reply is under the same page as its parent)."""
    threads = [Thread(comment) for comment in comments]
    if not threads:
        return threads
    by_parent = {thread.comment.pk: thread for thread in threads}
    replies = _under(statement, update).filter(state=State.PUBLISHED, parent_id__in=list(by_parent))
    for reply in replies.order_by("published_at", "id"):
        if reply.parent_id is not None:
            by_parent[reply.parent_id].replies.append(reply)
    return threads


def _total_of(comments: Sequence[Comment]) -> int:
    return int(getattr(comments[0], "total", 0) or 0) if comments else 0


def page(
    statement: Statement,
    update: Update | None = None,
    before: str | None = None,
    after: str | None = None,
    per_page: int = PER_PAGE,
) -> CommentPage:
    """One page of the threads on the statement's page (or the update's), newest first: the
    first page (pinned comments above the newest), the one `before` a cursor (older), or the
    one `after` it (newer). Pages after the first are in plain order, pinned comments in
    their place. A cursor that is not one is taken for none (the first page)."""
    newer_than = parse_cursor(after)
    older_than = parse_cursor(before)
    size = per_page + 1
    if newer_than is not None:
        at, pk = newer_than

        def newer(rows: QuerySet[Comment]) -> QuerySet[Comment]:
            # A range (>=) less one corner, so that the index serves it (as signatory_page).
            return rows.filter(published_at__gte=at).exclude(published_at=at, pk__lte=pk)

        found = _read(
            statement, update, _placed(statement, update, newer, OLDEST, size), OLDEST, size
        )
        shown = found[:per_page][::-1]
        return CommentPage(
            threads=_threads(statement, update, shown),
            older=cursor_for(shown[-1]) if shown else None,
            newer=cursor_for(shown[0]) if shown and len(found) > per_page else None,
            total=_total_of(found),
            first=False,
        )
    if older_than is not None:
        at, pk = older_than

        def older(rows: QuerySet[Comment]) -> QuerySet[Comment]:
            return rows.filter(published_at__lte=at).exclude(published_at=at, pk__gte=pk)

        found = _read(
            statement, update, _placed(statement, update, older, NEWEST, size), NEWEST, size
        )
        shown = found[:per_page]
        return CommentPage(
            threads=_threads(statement, update, shown),
            older=cursor_for(shown[-1]) if len(found) > per_page else None,
            newer=cursor_for(shown[0]) if shown else None,
            total=_total_of(found),
            first=False,
        )
    return _first_page(statement, update, per_page)


def _unpinned(rows: QuerySet[Comment]) -> QuerySet[Comment]:
    return rows.filter(pinned_at=None)


def _first_page(statement: Statement, update: Update | None, per_page: int) -> CommentPage:
    """Every pinned comment, then the `per_page` newest of the others, in one query."""
    pinned = Q(
        statement=statement,
        update=update,
        parent=None,
        state=State.PUBLISHED,
        pinned_at__isnull=False,
    )
    size = per_page + 1
    where = pinned | _placed(statement, update, _unpinned, NEWEST, size)
    found = list(Comment.objects.filter(where).annotate(total=_total(statement, update)))
    on_top = sorted(
        (comment for comment in found if comment.pinned_at is not None),
        key=lambda comment: (comment.pinned_at, comment.pk),
        reverse=True,
    )
    others = sorted(
        (comment for comment in found if comment.pinned_at is None),
        key=lambda comment: (comment.published_at, comment.pk),
        reverse=True,
    )
    shown = others[:per_page]
    return CommentPage(
        threads=_threads(statement, update, on_top + shown),
        older=cursor_for(shown[-1]) if len(others) > per_page else None,
        newer=None,
        total=_total_of(found),
        first=True,
    )


def shown(statement: Statement, update: Update | None = None) -> CommentPage:
    """What the statement's own page (or the update's) shows: the pinned comments and the
    COMMENTS_SHOWN newest, with their replies, and how many are published in all."""
    return page(statement, update, per_page=COMMENTS_SHOWN)


def thread(statement: Statement, pk: int) -> Thread | None:
    """A published top-level comment of the statement (or of one of its updates) with all its
    replies, for its reply page; a reply's pk gives its parent's thread. None for anything
    else (unpublished, another statement's, deleted)."""
    comment = (
        Comment.objects.select_related("parent", "update")
        .filter(statement=statement, pk=pk, state=State.PUBLISHED)
        .first()
    )
    if comment is None:
        return None
    if comment.parent is not None:
        comment = comment.parent
        if comment.state != State.PUBLISHED:
            return None
    return _threads(statement, comment.update, [comment])[0]


def published_comment(statement: Statement, pk: int) -> Comment | None:
    """A published comment of the statement (or of one of its updates), reply or not."""
    return (
        Comment.objects.select_related("update")
        .filter(statement=statement, pk=pk, state=State.PUBLISHED)
        .first()
    )
