"""The comments' emails, as kinds of the outbox: the link that confirms a comment (with the link
to edit or delete it), a reply to a commenter who asked to hear of replies, and the moderators'
digest of what waits. Each is rendered from the comment as it is when sent: a comment deleted
or moderated meanwhile is sent nothing. No email names another commenter's address: a reply
is told with the replier's chosen name only."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from typing import Any

from django.conf import settings
from django.db.models import Count
from django.urls import reverse

from undersigned.comments.models import Comment, DigestSubscription
from undersigned.lib.languages import ui_language
from undersigned.lib.tokens import hash_token
from undersigned.mailings import outbox
from undersigned.organisations.models import Membership
from undersigned.statements.models import Statement

CONFIRM = "comment_confirm"
REPLY = "comment_reply"
DIGEST = "comment_digest"

# Characters of a comment quoted in an email.
EXCERPT = 300


def excerpt(text: str) -> str:
    return text if len(text) <= EXCERPT else text[: EXCERPT - 1].rstrip() + "…"


def page_url(comment: Comment) -> str:
    """Where the comment is read: its statement's or update's page in its language."""
    statement = comment.statement
    version = statement.version_for(comment.language)
    language = version.language if version else statement.default_language
    if comment.update_id is not None:
        path = reverse("update", args=(statement.slug, language, comment.update_id))
    else:
        path = reverse("statement", args=(statement.slug, language))
    return f"{settings.SITE_URL}{path}#comment-{comment.parent_id or comment.pk}"


def _titles(comment: Comment) -> tuple[str, str]:
    """(ui language, the title of what it is under, in the comment's language)."""
    statement = comment.statement
    version = statement.version_for(comment.language)
    language = ui_language(comment.language, statement.default_language)
    title = version.title if version else ""
    if comment.update is not None:
        update_version = comment.update.version_for(comment.language)
        title = update_version.title if update_version else title
    return language, title


def _comments(pks: list[int]) -> dict[int, Comment]:
    return {
        comment.pk: comment
        for comment in Comment.objects.select_related(
            "statement", "update", "organisation", "parent"
        )
        .prefetch_related("statement__versions", "update__versions")
        .filter(pk__in=pks)
    }


def _manage_url(token: str) -> str:
    return settings.SITE_URL + reverse("comment_manage", args=(token,))


def _commenter_email(
    kind: str, comment: Comment, fixed: Mapping[str, Any], personal: Mapping[str, str]
) -> outbox.Email:
    language, title = _titles(comment)
    base = {
        "comment": comment,
        "organisation": comment.organisation,
        "title": title,
        "page_url": page_url(comment),
        "unconfirmed_days": settings.UNCONFIRMED_DAYS,
        "edit_minutes": settings.COMMENT_EDIT_MINUTES,
        **fixed,
    }

    def context(values: Mapping[str, str]) -> dict[str, Any]:
        found = dict(base)
        if "token" in values:
            found["confirm_url"] = settings.SITE_URL + reverse(
                "comment_confirm", args=(values["token"],)
            )
        if "manage" in values:
            found["manage_url"] = _manage_url(values["manage"])
        return found

    return outbox.Email(
        kind=kind,
        to=comment.email,
        sender=comment.organisation.name,
        language=language,
        context=context,
        personal=dict(personal),
        headers=lambda _context: {"Auto-Submitted": "auto-generated"},
    )


def _load_confirm(payloads: list[dict[str, Any]]) -> list[outbox.Email | None]:
    found = _comments([payload["comment"] for payload in payloads])
    emails: list[outbox.Email | None] = []
    for payload in payloads:
        comment = found.get(payload["comment"])
        if (
            comment is None
            or comment.state != Comment.State.UNCONFIRMED
            or not comment.email
            or comment.confirm_hash != hash_token(payload["token"])
        ):
            emails.append(None)
            continue
        emails.append(
            _commenter_email(
                CONFIRM, comment, {}, {"token": payload["token"], "manage": payload["manage"]}
            )
        )
    return emails


def _load_reply(payloads: list[dict[str, Any]]) -> list[outbox.Email | None]:
    found = _comments(
        [payload["comment"] for payload in payloads] + [payload["reply"] for payload in payloads]
    )
    emails: list[outbox.Email | None] = []
    for payload in payloads:
        comment = found.get(payload["comment"])
        reply = found.get(payload["reply"])
        if (
            comment is None
            or reply is None
            or comment.state != Comment.State.PUBLISHED
            or reply.state != Comment.State.PUBLISHED
            or not comment.notify_replies
            or not comment.email
        ):
            emails.append(None)
            continue
        fixed = {
            "reply": reply,
            "reply_excerpt": excerpt(reply.text),
            # On the page in the language of the comment replied to, as the email is.
            "reply_url": page_url(comment),
        }
        emails.append(_commenter_email(REPLY, comment, fixed, {"manage": payload["manage"]}))
    return emails


def _fixed(values: dict[str, Any]) -> Callable[[Mapping[str, str]], dict[str, Any]]:
    return lambda _personal: dict(values)


def _titled(counts: list[dict[str, Any]], language: str) -> list[dict[str, Any]]:
    """Each statement's count of waiting comments, with its title in `language` (the one its
    organisers wrote, as they know it, not its address)."""
    statements = Statement.objects.prefetch_related("versions").in_bulk(
        [row["statement_id"] for row in counts]
    )
    rows = []
    for row in counts:
        statement = statements[row["statement_id"]]
        version = statement.version_for(language)
        rows.append({"title": version.title if version else statement.slug, "count": row["count"]})
    return rows


def _load_digest(payloads: list[dict[str, Any]]) -> list[outbox.Email | None]:
    emails: list[outbox.Email | None] = []
    for payload in payloads:
        subscription = (
            DigestSubscription.objects.select_related("organisation", "user")
            .filter(pk=payload["subscription"])
            .first()
        )
        if (
            subscription is None
            or not subscription.user.email
            or not Membership.objects.filter(
                organisation_id=subscription.organisation_id,
                user_id=subscription.user_id,
                role__in=(Membership.Role.OWNER, Membership.Role.EDITOR),
            ).exists()
        ):
            # Gone, or no longer a moderator since it was queued.
            emails.append(None)
            continue
        waiting = Comment.objects.filter(
            organisation_id=subscription.organisation_id, state=Comment.State.HELD
        )
        since = dt.datetime.fromisoformat(payload["since"])
        new = waiting.filter(held_at__gt=since).count()
        if not new:
            emails.append(None)
            continue
        counts = list(
            waiting.values("statement_id")
            .annotate(count=Count("pk"))
            .order_by("-count", "statement_id")
        )
        organisation = subscription.organisation
        language = ui_language(subscription.language, settings.LANGUAGE_CODE)
        by_statement = _titled(counts, subscription.language)
        fixed = {
            "organisation": organisation,
            "new": new,
            "waiting": sum(row["count"] for row in by_statement),
            "by_statement": by_statement,
            "queue_url": settings.SITE_URL
            + reverse("dashboard:comments", args=(organisation.slug,)),
            "settings_url": settings.SITE_URL
            + reverse("dashboard:comment_settings", args=(organisation.slug,)),
        }
        emails.append(
            outbox.Email(
                kind=DIGEST,
                to=subscription.user.email,
                sender=organisation.name,
                language=language,
                context=_fixed(fixed),
                headers=lambda _context: {"Auto-Submitted": "auto-generated"},
            )
        )
    return emails


outbox.register(CONFIRM, _load_confirm, priority=1)
outbox.register(REPLY, _load_reply)
outbox.register(DIGEST, _load_digest)
