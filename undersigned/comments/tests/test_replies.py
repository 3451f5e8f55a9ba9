"""A reply to a comment that was taken down meanwhile waits for a moderator, even where
comments are published at once: nobody decided where it now belongs."""

from __future__ import annotations

from undersigned.comments import actions
from undersigned.comments.models import Comment
from undersigned.comments.tests.conftest import open_policy, published, write
from undersigned.statements.models import Statement


def test_a_reply_to_a_published_comment_is_published_at_once(statement: Statement) -> None:
    open_policy(statement)
    parent = published(statement)
    reply = write(statement, email="reply@example.net", parent=parent)
    assert actions.confirm(reply) == Comment.State.PUBLISHED


def test_a_reply_to_a_comment_rejected_since_it_was_written_waits(statement: Statement) -> None:
    open_policy(statement)
    parent = published(statement)
    reply = write(statement, email="reply@example.net", parent=parent)
    assert actions.reject(parent, by=None)
    assert actions.confirm(reply) == Comment.State.HELD
    reply.refresh_from_db()
    assert reply.reason_list() == [Comment.Reason.PREMODERATED]
