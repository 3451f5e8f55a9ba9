"""The writer's own link: edit within COMMENT_EDIT_MINUTES of confirming (a published comment
checked again), delete at any time, leaving nothing of the writer."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
import time_machine
from django.conf import settings

from undersigned.comments import actions, moderation
from undersigned.comments.models import Comment, CommentPolicy, Report
from undersigned.comments.tests.conftest import (
    a_client,
    audit_rows,
    confirmed,
    jobs,
    manage_token,
    open_policy,
    published,
    write,
)
from undersigned.jobs.models import Job
from undersigned.statements.models import Statement

pytestmark = pytest.mark.django_db

START = dt.datetime(2026, 11, 23, 10, 0, tzinfo=dt.UTC)


@pytest.fixture
def clock() -> Iterator[time_machine.Coordinates]:
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


def test_the_words_can_be_changed_until_the_window_closes(
    statement: Statement, clock: time_machine.Coordinates
) -> None:
    open_policy(statement)
    comment = published(statement)
    clock.shift(dt.timedelta(minutes=settings.COMMENT_EDIT_MINUTES))
    assert actions.can_edit(comment)
    assert actions.edit(comment, "Better words", organisation_name="CGT")
    comment.refresh_from_db()
    assert (comment.text, comment.organisation_name, comment.state) == (
        "Better words",
        "CGT",
        Comment.State.PUBLISHED,
    )
    assert comment.edited_at == START + dt.timedelta(minutes=settings.COMMENT_EDIT_MINUTES)
    clock.shift(dt.timedelta(seconds=1))
    assert not actions.can_edit(comment)
    assert not actions.edit(comment, "Too late")
    comment.refresh_from_db()
    assert comment.text == "Better words"
    # The organisation stays when it is not given.
    assert comment.organisation_name == "CGT"


def test_an_unconfirmed_comment_can_be_changed_any_time(
    statement: Statement, clock: time_machine.Coordinates
) -> None:
    comment = write(statement)
    clock.shift(dt.timedelta(days=2))
    assert actions.edit(comment, "Changed before confirming")
    comment.refresh_from_db()
    assert (comment.state, comment.text) == (Comment.State.UNCONFIRMED, "Changed before confirming")


@pytest.mark.parametrize(
    "verb", [moderation.reject, moderation.mark_spam, moderation.hide_commenter]
)
def test_a_comment_the_moderators_removed_cannot_be_changed(
    statement: Statement, clock: time_machine.Coordinates, verb: object
) -> None:
    open_policy(statement)
    comment = published(statement)
    verb(comment, by=None)  # type: ignore[operator]
    comment.refresh_from_db()
    assert not actions.edit(comment, "Sneaked back")
    comment.refresh_from_db()
    assert comment.text != "Sneaked back"


def test_an_edited_comment_on_a_premoderated_statement_waits_again(
    statement: Statement, clock: time_machine.Coordinates
) -> None:
    comment = published(statement)
    published_at = comment.published_at
    clock.shift(dt.timedelta(minutes=1))
    assert actions.edit(comment, "Now different")
    comment.refresh_from_db()
    assert comment.state == Comment.State.HELD
    # A moderator approved other words: these wait for one, whatever the rules say.
    assert comment.reason_list() == ["edited"]
    assert comment.held_at == START + dt.timedelta(minutes=1)
    assert comment.published_at == published_at


def test_an_edit_adding_a_link_waits_where_links_are_held(
    statement: Statement, clock: time_machine.Coordinates
) -> None:
    open_policy(statement, hold_links=True, hold_first=True)
    published(statement)
    comment = published(statement)
    assert actions.edit(comment, "Still no link")
    comment.refresh_from_db()
    assert comment.state == Comment.State.PUBLISHED
    assert actions.edit(comment, "Now see https://spam.example")
    comment.refresh_from_db()
    assert (comment.state, comment.reason_list()) == (Comment.State.HELD, ["edited", "link"])


def test_an_edit_adding_a_listed_word_waits(
    statement: Statement, clock: time_machine.Coordinates
) -> None:
    open_policy(statement, hold_words=True)
    moderation.set_moderation(statement.organisation, words="vendido", reports_to_hold=3, by=None)
    comment = published(statement)
    assert actions.edit(comment, "Eres un VENDIDO")
    comment.refresh_from_db()
    assert (comment.state, comment.reason_list()) == (Comment.State.HELD, ["edited", "words"])


def test_the_writer_deletes_a_comment_and_nothing_of_them_stays(
    statement: Statement, clock: time_machine.Coordinates
) -> None:
    open_policy(statement)
    comment = published(statement, organisation_name="CGT", wants_signatory=True)
    token = manage_token(comment)
    reply = published(statement, parent=comment, email="b@example.net", name="Berta")
    actions.report(comment, "spam", "", client=a_client())
    moderation.pin(comment, by=None)
    assert actions.delete_own(comment)
    comment.refresh_from_db()
    assert comment.state == Comment.State.DELETED
    assert (comment.name, comment.email, comment.email_canonical, comment.text) == ("", "", "", "")
    assert comment.organisation_name == "" and comment.pinned_at is None
    assert not (comment.notify_replies or comment.wants_signatory or comment.is_signatory)
    assert not comment.tokens.exists()
    assert not Report.objects.filter(comment=comment).exists()
    assert actions.for_manage_token(token) is None
    # Replies stay, under it.
    reply.refresh_from_db()
    assert (reply.state, reply.parent_id, reply.name) == (
        Comment.State.PUBLISHED,
        comment.pk,
        "Berta",
    )
    assert not actions.delete_own(comment)
    deleted = [data for action, data in audit_rows() if action == "comment.deleted"]
    assert deleted == [{"organisation": statement.organisation_id, "was": "published"}]


def test_deleting_an_unconfirmed_comment_drops_its_queued_link(statement: Statement) -> None:
    comment = write(statement)
    token = jobs("comment_confirm")[0]["token"]
    assert actions.delete_own(comment)
    assert not Job.objects.filter(kind__startswith="mail.").exists()
    assert actions.for_confirm_token(token) is None
    comment.refresh_from_db()
    assert comment.confirm_hash is None


def test_a_manage_link_names_its_comment_in_any_state_but_deleted(
    statement: Statement,
) -> None:
    comment = write(statement)
    token = manage_token(comment)
    for verb in (actions.confirm, moderation.approve, moderation.reject):
        if verb is actions.confirm:
            actions.confirm(comment)
        else:
            verb(comment, by=None)  # type: ignore[operator]
        assert actions.for_manage_token(token) == comment
    assert actions.for_manage_token("not-a-token") is None


def test_stopping_replies_keeps_the_comment(statement: Statement) -> None:
    comment = published(statement, notify_replies=True)
    actions.stop_replies(comment)
    comment.refresh_from_db()
    assert not comment.notify_replies
    assert comment.state == Comment.State.PUBLISHED


def test_the_default_policy_is_premoderated_with_every_rule() -> None:
    policy = CommentPolicy()
    assert policy.mode == CommentPolicy.Mode.PRE
    assert policy.hold_first and policy.hold_links and policy.hold_words
    assert policy.is_open and policy.is_shown


def test_words_a_moderator_approved_wait_again_once_edited_where_comments_go_out_at_once(
    statement: Statement, clock: time_machine.Coordinates
) -> None:
    moderation.set_policy(
        statement, mode="post", hold_first=True, hold_links=False, hold_words=False, by=None
    )
    comment = confirmed(statement)
    assert comment.state == Comment.State.HELD  # a first comment
    assert moderation.approve(comment, by=None)
    clock.shift(dt.timedelta(minutes=1))
    assert actions.edit(comment, "Other words, never read by a moderator.")
    comment.refresh_from_db()
    assert (comment.state, comment.reason_list()) == (Comment.State.HELD, ["edited"])
