"""Comments for the tests: written through the domain's own verbs, as the public form writes
them, and read back through the emails the outbox would send."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

import pytest

from undersigned.audit.models import AuditLog
from undersigned.comments import actions, moderation
from undersigned.comments.actions import Client
from undersigned.comments.models import Comment, CommentPolicy
from undersigned.jobs.models import Job
from undersigned.statements.models import Statement

_clients = itertools.count(1)


def a_client(**fields: Any) -> Client:
    """A reader's browser, each one a network of its own unless told otherwise."""
    values = {"rate_key": f"client-{next(_clients)}", "email_key": ""}
    values.update(fields)
    return Client(**values)


def write(
    statement: Statement,
    *,
    name: str = "Ana García",
    email: str = "ana@example.net",
    text: str = "From the miners' union of Arequipa: we are with you.",
    language: str = "en",
    client: Client | None = None,
    **fields: Any,
) -> Comment:
    """A comment written on the statement's page, not confirmed yet."""
    return actions.submit(
        statement,
        language,
        name=name,
        email=email,
        text=text,
        client=client or a_client(),
        **fields,
    )


def confirmed(statement: Statement, **fields: Any) -> Comment:
    """A comment written and confirmed from its link (where the statement's rules put it)."""
    comment = write(statement, **fields)
    actions.confirm(comment)
    comment.refresh_from_db()
    return comment


def published(statement: Statement, **fields: Any) -> Comment:
    """A comment written, confirmed and, where it waits, approved by a moderator."""
    comment = confirmed(statement, **fields)
    if comment.state == Comment.State.HELD:
        assert moderation.approve(comment, by=None)
    assert comment.state == Comment.State.PUBLISHED
    return comment


def open_policy(statement: Statement, **rules: bool) -> CommentPolicy:
    """Comments published at once; each rule off unless named."""
    values = {"hold_first": False, "hold_links": False, "hold_words": False}
    values.update(rules)
    return moderation.set_policy(statement, mode=CommentPolicy.Mode.POST, by=None, **values)


def jobs(kind: str) -> list[dict[str, Any]]:
    """The payloads of the queued emails of `kind`, oldest first."""
    return list(
        Job.objects.filter(kind=f"mail.{kind}").order_by("pk").values_list("payload", flat=True)
    )


def manage_token(comment: Comment) -> str:
    """The edit-or-delete link's token of the comment's newest queued email."""
    tokens = [
        payload["manage"]
        for payload in Job.objects.filter(kind__startswith="mail.comment_")
        .order_by("pk")
        .values_list("payload", flat=True)
        if payload.get("comment") == comment.pk and "manage" in payload
    ]
    assert tokens, "no email with a link to manage the comment"
    return str(tokens[-1])


def confirm_token(comment: Comment) -> str:
    (payload,) = [
        payload for payload in jobs("comment_confirm") if payload["comment"] == comment.pk
    ]
    return str(payload["token"])


def audit_rows() -> list[tuple[str, dict[str, Any]]]:
    return [
        (row.action, row.data)
        for row in AuditLog.objects.filter(action__startswith="comment.").order_by("pk")
    ]


@pytest.fixture
def post_mode(statement: Statement) -> Iterator[Statement]:
    """The statement publishes comments at once, with no rule holding them back."""
    open_policy(statement)
    yield statement
