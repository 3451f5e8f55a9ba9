"""What moderators do to comments and to how they are taken: approve, reject, mark as spam,
answer for the organisation, pin, hide a commenter across the organisation, release or discard
a form held before confirmation; a statement's policy, the organisation's word list, the
digest of what waits. Each atomic and audited as the writers' own changes are
(undersigned.comments.actions), with states, reasons and ids only.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from undersigned.audit.models import record
from undersigned.comments.actions import (
    _audit,
    _forget_pages,
    _manage_token,
    _notify_reply,
    _publish,
)
from undersigned.comments.emails import CONFIRM, DIGEST
from undersigned.comments.models import (
    Comment,
    CommentPolicy,
    DigestSubscription,
    HiddenCommenter,
    Moderation,
)
from undersigned.lib import pagecache
from undersigned.lib.tokens import hash_token, new_token
from undersigned.mailings import outbox
from undersigned.organisations.models import Membership, Organisation
from undersigned.statements.models import Statement

State = Comment.State


def approve(comment: Comment, *, by: Any) -> bool:
    """A moderator publishes a waiting, rejected, hidden or reported comment. Its reports so
    far are settled: it returns to the queue only if readers report it again."""
    now = timezone.now()
    with transaction.atomic():
        locked = (
            Comment.objects.select_related("parent")
            .select_for_update(of=("self",))
            .get(pk=comment.pk)
        )
        if locked.state in (State.PUBLISHED, State.UNCONFIRMED, State.DELETED):
            return False
        was = locked.state
        _publish(locked, now)
        locked.moderated_at = now
        locked.moderated_by = by if getattr(by, "is_authenticated", False) else None
        locked.save()
        locked.reports.update(settled=True)
        _audit("comment.approved", locked, by, was=was)
        _forget_pages(locked)
    comment.refresh_from_db()
    return True


def _moderate(comment: Comment, state: str, action: str, by: Any) -> bool:
    now = timezone.now()
    with transaction.atomic():
        locked = Comment.objects.select_for_update(of=("self",)).get(pk=comment.pk)
        if locked.state in (state, State.UNCONFIRMED, State.DELETED):
            return False
        was = locked.state
        locked.state = state
        locked.pinned_at = None
        locked.moderated_at = now
        locked.moderated_by = by if getattr(by, "is_authenticated", False) else None
        locked.save(update_fields=("state", "pinned_at", "moderated_at", "moderated_by"))
        locked.reports.update(settled=True)
        _audit(action, locked, by, was=was)
        _forget_pages(locked)
    comment.refresh_from_db()
    return True


def reject(comment: Comment, *, by: Any) -> bool:
    """Not published (or no longer): kept for the moderators until COMMENT_REJECTED_DAYS."""
    return _moderate(comment, State.REJECTED, "comment.rejected", by)


def mark_spam(comment: Comment, *, by: Any) -> bool:
    return _moderate(comment, State.SPAM, "comment.spam", by)


def reply_as_organisation(
    parent: Comment, text: str, *, by: Any, language: str | None = None
) -> Comment:
    """A moderator answers for the organisation: published at once, under the organisation's
    name, in the thread of `parent` (the comment it answers, or the one a reply answers). The
    comment answered is approved with it if it waits. The same answer sent twice (a form
    posted again) is stored once."""
    if parent.state == State.HELD:
        approve(parent, by=by)
        parent.refresh_from_db()
    if parent.parent_id is not None:
        parent = Comment.objects.select_related("statement").get(pk=parent.parent_id)
    if parent.state == State.HELD:
        approve(parent, by=by)
        parent.refresh_from_db()
    now = timezone.now()
    with transaction.atomic():
        organisation = Organisation.objects.select_for_update().get(pk=parent.organisation_id)
        again = Comment.objects.filter(
            parent=parent,
            by_organisation=True,
            text=text,
            created_at__gte=now - dt.timedelta(minutes=10),
        ).first()
        if again is not None:
            return again
        reply = Comment(
            organisation=organisation,
            statement_id=parent.statement_id,
            update_id=parent.update_id,
            parent=parent,
            language=language or parent.language,
            name=organisation.name,
            text=text,
            by_organisation=True,
            author=by if getattr(by, "is_authenticated", False) else None,
            created_at=now,
            confirmed_at=now,
            state=State.PUBLISHED,
            published_at=now,
        )
        reply.save()
        # Saved first: the email to the parent's writer names the reply by its key.
        _notify_reply(reply)
        _audit("comment.replied", reply, by, parent=parent.pk)
        _forget_pages(reply)
    return reply


def pin(comment: Comment, *, by: Any, pinned: bool = True) -> bool:
    """Show a published comment first on its page (or no longer)."""
    if comment.state != State.PUBLISHED or comment.parent_id is not None:
        return False
    with transaction.atomic():
        Comment.objects.filter(pk=comment.pk).update(pinned_at=timezone.now() if pinned else None)
        _audit("comment.pinned" if pinned else "comment.unpinned", comment, by)
        _forget_pages(comment)
    comment.refresh_from_db()
    return True


def hide_commenter(comment: Comment, *, by: Any) -> int:
    """Hide every published comment of the comment's address on the organisation's pages, and
    hold its new ones. Returns how many were hidden."""
    if not comment.email_canonical or comment.confirmed_at is None:
        # Nobody proved the address of a comment never confirmed: anyone may have typed it.
        return 0
    with transaction.atomic():
        try:
            with transaction.atomic():
                HiddenCommenter.objects.create(
                    organisation_id=comment.organisation_id,
                    email_canonical=comment.email_canonical,
                    name=comment.name,
                    hidden_by=by if getattr(by, "is_authenticated", False) else None,
                )
        except IntegrityError:
            pass
        hidden = Comment.objects.filter(
            organisation_id=comment.organisation_id,
            email_canonical=comment.email_canonical,
            state__in=(State.PUBLISHED, State.HELD),
        ).update(state=State.HIDDEN, pinned_at=None)
        _audit("comment.commenter_hidden", comment, by, comments=hidden)
        pagecache.clear()
        transaction.on_commit(pagecache.clear)
    return hidden


def unhide_commenter(hidden: HiddenCommenter, *, by: Any) -> int:
    """Show the address's hidden comments again (those that were published when hidden; the
    others, waiting then, return to the queue for the same reasons). Returns how many are
    shown."""
    with transaction.atomic():
        found = Comment.objects.filter(
            organisation_id=hidden.organisation_id,
            email_canonical=hidden.email_canonical,
            state=State.HIDDEN,
        )
        # A published comment has no reasons to wait; one reported or edited since it was
        # published has, and was waiting for a moderator, not shown.
        shown = found.filter(published_at__isnull=False, reasons="").update(state=State.PUBLISHED)
        found.update(state=State.HELD)
        record(
            "comment.commenter_shown",
            actor=by,
            object_id=hidden.pk,
            organisation=hidden.organisation_id,
            comments=shown,
        )
        hidden.delete()
        pagecache.clear()
        transaction.on_commit(pagecache.clear)
    return shown


def release(comment: Comment, *, by: Any) -> bool:
    """A moderator lets a form held before confirmation through: its confirmation link is
    emailed now (a new one: the first was never sent). False if it was not held."""
    token = new_token()
    with transaction.atomic():
        locked = Comment.objects.select_for_update(of=("self",)).get(pk=comment.pk)
        if locked.state != State.UNCONFIRMED or not locked.reasons or not locked.email:
            return False
        locked.reasons = ""
        locked.confirm_hash = hash_token(token)
        locked.created_at = timezone.now()
        locked.save(update_fields=("reasons", "confirm_hash", "created_at"))
        outbox.enqueue(
            CONFIRM, {"comment": locked.pk, "token": token, "manage": _manage_token(locked)}
        )
        _audit("comment.released", locked, by)
    comment.refresh_from_db()
    return True


def discard(comment: Comment, *, by: Any) -> bool:
    """A moderator deletes a form held before confirmation (a robot's): nothing of it stays."""
    with transaction.atomic():
        locked = Comment.objects.select_for_update(of=("self",)).get(pk=comment.pk)
        if locked.state != State.UNCONFIRMED:
            return False
        _audit("comment.discarded", locked, by)
        outbox.forget("comment", [locked.pk])
        locked.delete()
    return True


def set_policy(
    statement: Statement,
    *,
    mode: str,
    hold_first: bool,
    hold_links: bool,
    hold_words: bool,
    by: Any,
) -> CommentPolicy:
    with transaction.atomic():
        policy, _created = CommentPolicy.objects.select_for_update().get_or_create(
            statement=statement
        )
        policy.mode = mode
        policy.hold_first = hold_first
        policy.hold_links = hold_links
        policy.hold_words = hold_words
        policy.save()
        record(
            "comment.policy",
            actor=by,
            statement=statement,
            organisation=statement.organisation_id,
            mode=mode,
            hold_first=hold_first,
            hold_links=hold_links,
            hold_words=hold_words,
        )
    return policy


def close(statement: Statement, *, by: Any, closed: bool = True) -> None:
    """No new comments (or again new comments); published ones stay shown."""
    with transaction.atomic():
        policy, _created = CommentPolicy.objects.select_for_update().get_or_create(
            statement=statement
        )
        policy.closed_at = timezone.now() if closed else None
        policy.save(update_fields=("closed_at",))
        record(
            "comment.closed" if closed else "comment.reopened",
            actor=by,
            statement=statement,
            organisation=statement.organisation_id,
        )


def set_moderation(
    organisation: Organisation, *, words: str, reports_to_hold: int, by: Any
) -> None:
    with transaction.atomic():
        moderation, _created = Moderation.objects.get_or_create(organisation=organisation)
        moderation.words = words
        moderation.reports_to_hold = reports_to_hold
        moderation.save()
        record(
            "comment.moderation",
            actor=by,
            organisation=organisation.pk,
            words=len(moderation.word_list()),
            reports_to_hold=reports_to_hold,
        )


def subscribe_digest(
    organisation: Organisation, user: Any, *, wanted: bool, language: str = "en"
) -> None:
    """A moderator asks for (or stops) the digest of what waits, in `language`."""
    if wanted:
        DigestSubscription.objects.update_or_create(
            organisation=organisation, user=user, defaults={"language": language}
        )
    else:
        DigestSubscription.objects.filter(organisation=organisation, user=user).delete()


def send_digests(now: dt.datetime | None = None) -> int:
    """Housekeeping: each subscribed moderator whose organisation has comments that started
    waiting since their last digest, and whose last digest is COMMENT_DIGEST_MINUTES old, is
    emailed one. Returns how many were queued."""
    now = now or timezone.now()
    every = dt.timedelta(minutes=settings.COMMENT_DIGEST_MINUTES)
    sent = 0
    moderators = Membership.objects.filter(
        role__in=(Membership.Role.OWNER, Membership.Role.EDITOR)
    ).values_list("organisation_id", "user_id")
    allowed = set(moderators)
    subscriptions = DigestSubscription.objects.select_related("user").order_by("pk")
    for subscription in subscriptions:
        if (subscription.organisation_id, subscription.user_id) not in allowed:
            continue
        if subscription.last_sent_at and subscription.last_sent_at > now - every:
            continue
        since = subscription.last_sent_at or subscription.user.date_joined
        waiting = Comment.objects.filter(
            organisation_id=subscription.organisation_id, state=State.HELD, held_at__gt=since
        )
        if not waiting.exists() or not subscription.user.email:
            continue
        with transaction.atomic():
            updated = DigestSubscription.objects.filter(
                pk=subscription.pk, last_sent_at=subscription.last_sent_at
            ).update(last_sent_at=now)
            if updated:
                outbox.enqueue(
                    DIGEST,
                    {
                        "subscription": subscription.pk,
                        "since": since.isoformat(),
                    },
                )
                sent += 1
    return sent
