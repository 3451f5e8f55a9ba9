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
from undersigned.comments.emails import CONFIRM, REPLY
from undersigned.comments.models import (
    Comment,
    CommentPolicy,
    CommentToken,
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
from undersigned.organisations.models import Organisation
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
