"""What comments keep of people, and for how long: a comment nobody confirmed is deleted after
UNCONFIRMED_DAYS, a rejected one or spam after COMMENT_REJECTED_DAYS; an erasure request blanks
the address's comments on the organisation's pages (replies to them stay, under "deleted")."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from undersigned.audit.models import record
from undersigned.comments.models import Comment, CommentToken, HiddenCommenter, Report
from undersigned.jobs import scrub
from undersigned.mailings import outbox

State = Comment.State

scrub.holds_personal_data(Comment, CommentToken, HiddenCommenter)


def erase(organisation_id: int, email_canonical: str) -> int:
    """An erasure request: the address's comments on the organisation's pages lose their
    words, name and address; the address leaves the hidden commenters' list. Returns how many
    comments changed. Not audited here (the request's own row is)."""
    with transaction.atomic():
        found = Comment.objects.filter(
            organisation_id=organisation_id, email_canonical=email_canonical
        ).exclude(state=State.DELETED)
        rows = list(found.values_list("pk", "email"))
        ids = [pk for pk, _email in rows]
        # The demo mailbox's copies of what was sent to the address go too.
        outbox.forget("comment", ids, emails=[email for _pk, email in rows])
        CommentToken.objects.filter(comment_id__in=ids).delete()
        Report.objects.filter(comment_id__in=ids).delete()
        Comment.objects.filter(pk__in=ids, state=State.UNCONFIRMED).delete()
        erased = Comment.objects.filter(pk__in=ids).update(
            state=State.DELETED,
            name="",
            organisation_name="",
            email="",
            email_canonical="",
            text="",
            confirm_hash=None,
            notify_replies=False,
            wants_signatory=False,
            is_signatory=False,
            pinned_at=None,
        )
        HiddenCommenter.objects.filter(
            organisation_id=organisation_id, email_canonical=email_canonical
        ).delete()
        scrub.after_erasure()
    return erased


def purge(now: dt.datetime | None = None) -> None:
    """Housekeeping: unconfirmed comments after UNCONFIRMED_DAYS; rejected ones and spam after
    COMMENT_REJECTED_DAYS (with the replies under them)."""
    now = now or timezone.now()
    with transaction.atomic():
        # Counted in comments (with the replies under them), not in the rows that went with
        # them (link tokens, reports).
        _rows, kinds = Comment.objects.filter(
            state=State.UNCONFIRMED,
            created_at__lt=now - dt.timedelta(days=settings.UNCONFIRMED_DAYS),
        ).delete()
        unconfirmed = kinds.get(Comment._meta.label, 0)
        _rows, kinds = Comment.objects.filter(
            state__in=(State.REJECTED, State.SPAM),
            moderated_at__lt=now - dt.timedelta(days=settings.COMMENT_REJECTED_DAYS),
        ).delete()
        rejected = kinds.get(Comment._meta.label, 0)
        if unconfirmed or rejected:
            record("comment.purged", unconfirmed=unconfirmed, rejected=rejected)
            scrub.after_erasure()
