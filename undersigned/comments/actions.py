"""Changes to comments: each atomic, each audited (states, reasons and ids, never a commenter's
name, address or words).

A comment is written, then confirmed from the link emailed to its address: only then does a
moderator see it, or a reader. What happens at writing is the same for every address (nothing
is looked up by address before the link is followed), so the form tells nobody whether an
address commented or signed before.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from undersigned.abuse import quota
from undersigned.audit.models import record
from undersigned.comments import text as comment_text
from undersigned.comments.emails import CONFIRM, DIGEST, REPLY
from undersigned.comments.models import (
    Comment,
    CommentPolicy,
    CommentToken,
    DigestSubscription,
    HiddenCommenter,
    Moderation,
    Report,
    policy_for,
)
from undersigned.events.actions import Client
from undersigned.lib import pagecache
from undersigned.lib.emails import canonical_email
from undersigned.lib.tokens import hash_token, new_token
from undersigned.mailings import outbox
from undersigned.organisations.models import Membership, Organisation
from undersigned.statements.models import Signature, Statement
from undersigned.updates.models import Update

# The version of the wording a commenter agrees to (comments/_consent.html).
CONSENT_VERSION = "comment-1"

State = Comment.State
Reason = Comment.Reason
# Comments under one statement that readers' reports may return to the queue in an hour.
REPORT_HOLDS_PER_HOUR = 5

__all__ = ["Client"]


def _audit(action: str, comment: Comment, by: Any = None, **data: Any) -> None:
    record(
        action,
        actor=by,
        statement=comment.statement,
        object_id=comment.pk,
        organisation=comment.organisation_id,
        **data,
    )


def _forget_pages(comment: Comment) -> None:
    """A comment left or changed a page: this process drops its stored copies of the
    statement's pages now and once the change commits (others within PAGE_SECONDS)."""
    prefix = f"/s/{comment.statement.slug}/"
    pagecache.clear(prefix)
    transaction.on_commit(lambda: pagecache.clear(prefix))


def moderation_of(organisation: Organisation | int) -> Moderation:
    """The organisation's moderation settings (unsaved defaults where it has none)."""
    pk = organisation if isinstance(organisation, int) else organisation.pk
    return Moderation.objects.filter(organisation_id=pk).first() or Moderation(organisation_id=pk)


def _manage_token(comment: Comment) -> str:
    token = new_token()
    CommentToken.objects.create(comment=comment, token_hash=hash_token(token))
    return token


def submit(
    statement: Statement,
    language: str,
    *,
    name: str,
    email: str,
    text: str,
    client: Client,
    organisation_name: str = "",
    update: Update | None = None,
    parent: Comment | None = None,
    wants_signatory: bool = False,
    notify_replies: bool = False,
) -> Comment:
    """A comment written on a statement's page (or an update's, or in reply to `parent`): kept
    unconfirmed, and its link emailed, unless the form is held (then nobody is emailed until a
    moderator releases it) or the address had its day's emails."""
    if parent is not None and parent.parent_id is not None:
        # One level of replies: a reply to a reply answers the same comment.
        parent = parent.parent
    token = new_token()
    now = timezone.now()
    canonical = canonical_email(email)
    with transaction.atomic():
        hold = client.held_for(now)
        comment = Comment.objects.create(
            organisation_id=statement.organisation_id,
            statement=statement,
            update=update,
            parent=parent,
            language=language,
            name=name,
            organisation_name=organisation_name,
            email=email,
            email_canonical=canonical,
            text=text,
            reasons=hold,
            wants_signatory=wants_signatory,
            notify_replies=notify_replies,
            consent_version=CONSENT_VERSION,
            consent_at=now,
            confirm_hash=hash_token(token),
            created_at=now,
        )
        if not hold and quota.take([quota.key_for(canonical)])[0]:
            manage = _manage_token(comment)
            outbox.enqueue(CONFIRM, {"comment": comment.pk, "token": token, "manage": manage})
    return comment


def for_confirm_token(token: str) -> Comment | None:
    """The comment a confirmation link names, while the link is valid."""
    cutoff = timezone.now() - dt.timedelta(days=settings.UNCONFIRMED_DAYS)
    return (
        Comment.objects.select_related("statement", "update", "organisation")
        .filter(confirm_hash=hash_token(token), created_at__gte=cutoff, state=State.UNCONFIRMED)
        .first()
    )


def for_manage_token(token: str) -> Comment | None:
    """The comment an edit-or-delete link names (any state but deleted)."""
    found = (
        CommentToken.objects.select_related(
            "comment", "comment__statement", "comment__update", "comment__organisation"
        )
        .filter(token_hash=hash_token(token))
        .first()
    )
    if found is None or found.comment.state == State.DELETED:
        return None
    return found.comment


def _is_hidden(comment: Comment) -> bool:
    return HiddenCommenter.objects.filter(
        organisation_id=comment.organisation_id, email_canonical=comment.email_canonical
    ).exists()


def rule_reasons(comment: Comment, policy: CommentPolicy, moderation: Moderation) -> list[str]:
    """Why a confirmed comment waits for a moderator instead of being published; none if it
    may be published at once."""
    reasons: list[str] = []
    if comment.email_canonical and _is_hidden(comment):
        reasons.append(Reason.HIDDEN)
    parent = comment.parent
    if (
        policy.mode != CommentPolicy.Mode.POST
        or not policy.is_open
        # A reply to a comment no longer shown waits for a moderator to see where it goes.
        or (parent is not None and parent.state != State.PUBLISHED)
    ):
        reasons.append(Reason.PREMODERATED)
    if (
        policy.hold_first
        and not Comment.objects.filter(
            organisation_id=comment.organisation_id,
            email_canonical=comment.email_canonical,
            published_at__isnull=False,
        )
        .exclude(pk=comment.pk)
        .exists()
    ):
        reasons.append(Reason.FIRST)
    if policy.hold_links and comment_text.has_link(f"{comment.text} {comment.organisation_name}"):
        reasons.append(Reason.LINK)
    if policy.hold_words and comment_text.matched_words(
        f"{comment.name} {comment.organisation_name} {comment.text}", moderation.word_list()
    ):
        reasons.append(Reason.WORDS)
    return reasons


def _publish(comment: Comment, now: dt.datetime) -> None:
    """Mark published (the caller saves); the first time, the parent's writer may be told."""
    first = comment.published_at is None
    comment.state = State.PUBLISHED
    comment.published_at = comment.published_at or now
    comment.reasons = ""
    if first and comment.parent_id is not None:
        _notify_reply(comment)


def _notify_reply(reply: Comment) -> None:
    parent = reply.parent
    if (
        parent is None
        or not parent.notify_replies
        or parent.state != State.PUBLISHED
        or not parent.email
        or parent.email_canonical == reply.email_canonical
    ):
        return
    outbox.enqueue(
        REPLY, {"comment": parent.pk, "reply": reply.pk, "manage": _manage_token(parent)}
    )


def _hold(comment: Comment, reasons: list[str], now: dt.datetime) -> None:
    comment.state = State.HELD
    comment.reasons = ",".join(dict.fromkeys(reasons))
    comment.held_at = now


def confirm(comment: Comment) -> str:
    """The commenter followed the link: the comment is published, or waits for a moderator if
    the statement premoderates or a rule holds it back. Returns the state it is in now."""
    now = timezone.now()
    with transaction.atomic():
        locked = (
            Comment.objects.select_related("statement", "parent")
            .select_for_update(of=("self",))
            .get(pk=comment.pk)
        )
        if locked.state != State.UNCONFIRMED:
            return str(locked.state)
        locked.confirm_hash = None
        locked.confirmed_at = now
        if locked.wants_signatory:
            # Known from the address the link was sent to: nobody learns it who does not
            # read that inbox.
            locked.is_signatory = (
                Signature.objects.counted()
                .filter(statement_id=locked.statement_id, email_canonical=locked.email_canonical)
                .exists()
            )
        reasons = rule_reasons(
            locked, policy_for(locked.statement), moderation_of(locked.organisation_id)
        )
        if reasons:
            _hold(locked, reasons, now)
        else:
            _publish(locked, now)
        locked.save()
        _audit("comment.confirmed", locked, state=locked.state, reasons=locked.reasons)
        if locked.state == State.PUBLISHED:
            _forget_pages(locked)
    comment.refresh_from_db()
    return str(comment.state)


def can_edit(comment: Comment, now: dt.datetime | None = None) -> bool:
    """Whether the writer may still change the words: until COMMENT_EDIT_MINUTES after confirming
    (an unconfirmed comment any time), never once a moderator rejected or hid it."""
    if comment.state not in (State.UNCONFIRMED, State.HELD, State.PUBLISHED):
        return False
    if comment.confirmed_at is None:
        return True
    now = now or timezone.now()
    return now <= comment.confirmed_at + dt.timedelta(minutes=settings.COMMENT_EDIT_MINUTES)


def edit(comment: Comment, text: str, organisation_name: str | None = None) -> bool:
    """The writer changes their comment within the edit window. A published comment is checked
    again: on a premoderated statement it waits for approval again; otherwise the rules that
    hold links and listed words apply to the new words. False once the window has passed."""
    now = timezone.now()
    with transaction.atomic():
        locked = (
            Comment.objects.select_related("statement")
            .select_for_update(of=("self",))
            .get(pk=comment.pk)
        )
        if not can_edit(locked, now):
            return False
        locked.text = text
        if organisation_name is not None:
            locked.organisation_name = organisation_name
        locked.edited_at = now
        if locked.state == State.PUBLISHED and locked.moderated_at is not None:
            # A moderator approved other words: these wait for one to read them.
            _hold(locked, [Reason.EDITED], now)
        elif locked.state == State.PUBLISHED:
            policy = policy_for(locked.statement)
            reasons = [
                reason
                for reason in rule_reasons(locked, policy, moderation_of(locked.organisation_id))
                if reason in (Reason.LINK, Reason.WORDS, Reason.PREMODERATED, Reason.HIDDEN)
            ]
            if reasons:
                _hold(locked, [Reason.EDITED, *reasons], now)
        locked.save()
        _audit("comment.edited", locked, state=locked.state)
        _forget_pages(locked)
    comment.refresh_from_db()
    return True


def _blank(comment: Comment) -> None:
    """Nothing of the writer stays: name, address, words."""
    comment.name = comment.organisation_name = comment.email = comment.email_canonical = ""
    comment.text = ""
    comment.confirm_hash = None
    comment.notify_replies = comment.wants_signatory = comment.is_signatory = False
    comment.pinned_at = None


def delete_own(comment: Comment) -> bool:
    """The writer deletes their comment: its words and their details go; replies to it stay,
    under "deleted by its writer"."""
    with transaction.atomic():
        locked = Comment.objects.select_for_update(of=("self",)).get(pk=comment.pk)
        if locked.state == State.DELETED:
            return False
        was = locked.state
        # The demo mailbox's copies of what was sent to the writer go too.
        outbox.forget("comment", [locked.pk], [locked.email])
        _blank(locked)
        locked.state = State.DELETED
        locked.save()
        locked.tokens.all().delete()
        locked.reports.all().delete()
        _audit("comment.deleted", locked, was=was)
        _forget_pages(locked)
    comment.refresh_from_db()
    return True


def stop_replies(comment: Comment) -> None:
    """The writer wants no more emails about replies."""
    Comment.objects.filter(pk=comment.pk).update(notify_replies=False)


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


def report(comment: Comment, reason: str, detail: str, *, client: Client) -> None:
    """A reader reports a published comment. One report per reader (by where they write
    from); once the organisation's number of readers reported it, it returns to the queue.
    A report past the rate limits, or from a form robots send, counts for nothing, and the
    reader is answered the same."""
    now = timezone.now()
    with transaction.atomic():
        if client.held_for(now):
            return
        locked = Comment.objects.select_for_update(of=("self",)).get(pk=comment.pk)
        if locked.state != State.PUBLISHED:
            return
        try:
            with transaction.atomic():
                Report.objects.create(
                    comment=locked, reason=reason, detail=detail, client=client.rate_key
                )
        except IntegrityError:
            return
        reports = locked.reports.filter(settled=False).count()
        taken_down = Comment.objects.filter(
            statement_id=locked.statement_id,
            reasons__contains=Reason.REPORTED,
            held_at__gte=now - dt.timedelta(hours=1),
        ).count()
        if (
            reports >= max(1, moderation_of(locked.organisation_id).reports_to_hold)
            # Readers take down a few comments an hour at most: past that, a campaign of
            # reports waits for the moderators, who see the reports, rather than emptying
            # the page.
            and taken_down < REPORT_HOLDS_PER_HOUR
        ):
            _hold(locked, [Reason.REPORTED], now)
            locked.save(update_fields=("state", "reasons", "held_at"))
            _audit("comment.reported", locked, reports=reports)
            _forget_pages(locked)


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
