"""A reply to a comment that was taken down meanwhile waits for a moderator, even where
comments are published at once: nobody decided where it now belongs."""

from __future__ import annotations

from undersigned.comments import actions, moderation
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
    assert moderation.reject(parent, by=None)
    assert actions.confirm(reply) == Comment.State.HELD
    reply.refresh_from_db()
    assert reply.reason_list() == [Comment.Reason.PREMODERATED]


def test_answering_a_waiting_reply_approves_it_and_answers_in_its_thread(
    statement: Statement,
) -> None:
    parent = published(statement)
    waiting = write(statement, email="reply@example.net", parent=parent)
    assert actions.confirm(waiting) == Comment.State.HELD
    answer = moderation.reply_as_organisation(waiting, "Thank you both.", by=None)
    waiting.refresh_from_db()
    assert waiting.state == Comment.State.PUBLISHED
    assert answer.parent_id == parent.pk


def test_the_same_answer_posted_twice_is_stored_once(statement: Statement) -> None:
    parent = published(statement)
    first = moderation.reply_as_organisation(parent, "Thank you.", by=None)
    again = moderation.reply_as_organisation(parent, "Thank you.", by=None)
    assert again.pk == first.pk
    assert Comment.objects.filter(parent=parent, by_organisation=True).count() == 1
