"""What comments keep of people, and for how long: a comment nobody confirmed is deleted after
UNCONFIRMED_DAYS, a rejected one or spam after COMMENT_REJECTED_DAYS; an erasure request blanks
the address's comments on the organisation's pages (replies to them stay, under "deleted")."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from undersigned.audit.models import record
from undersigned.comments.models import Comment, CommentToken, HiddenCommenter, Report
from undersigned.jobs import scrub
from undersigned.mailings import outbox
from undersigned.statements import privacy
from undersigned.statements.models import Signature, Statement

State = Comment.State

scrub.holds_personal_data(Comment, CommentToken, HiddenCommenter)


def _unsigned(signature_ids: list[int]) -> None:
    """Signatures erased or withdrawn: comments no longer say their writers signed."""
    signed = Signature.objects.filter(
        pk__in=signature_ids,
        statement_id=OuterRef("statement_id"),
        email_canonical=OuterRef("email_canonical"),
    )
    Comment.objects.filter(is_signatory=True).filter(Exists(signed)).update(is_signatory=False)


def forget_addresses(statement: Statement, reason: str = "", actor: Any = None) -> int:
    """The statement's people are erased (RETENTION_DAYS after it closed): its comments keep
    their words and names, as published, but no address, nor anything learnt from one;
    comments nobody confirmed go. Returns how many kept an address."""
    with transaction.atomic():
        found = Comment.objects.filter(statement=statement)
        ids = list(found.values_list("pk", flat=True))
        outbox.forget("comment", ids)
        found.filter(state=State.UNCONFIRMED).delete()
        forgotten = (
            found.exclude(email="")
            .exclude(state=State.UNCONFIRMED)
            .update(
                email="",
                email_canonical="",
                notify_replies=False,
                wants_signatory=False,
                is_signatory=False,
            )
        )
        CommentToken.objects.filter(comment__statement=statement).delete()
        if forgotten:
            record(
                "comment.addresses_erased",
                actor=actor,
                statement=statement,
                reason=reason,
                comments=forgotten,
            )
        scrub.after_erasure()
    return forgotten


privacy.keeps_personal_data(
    privacy.KeptElsewhere(
        of_signatures=_unsigned,
        of_statement=forget_addresses,
        held=lambda: Exists(Comment.objects.filter(statement=OuterRef("pk")).exclude(email="")),
    )
)


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
