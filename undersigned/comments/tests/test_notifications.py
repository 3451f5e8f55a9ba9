"""Emails about comments beyond the confirmation link: a reply told to the writer who asked
(never anyone's address), and the moderators' digest of what waits."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
import time_machine
from django.conf import settings
from django.contrib.auth.models import User
from django.core import mail
from django.utils import timezone

from undersigned.comments import actions, moderation
from undersigned.comments.models import Comment, DigestSubscription
from undersigned.comments.tests.conftest import (
    a_client,
    confirmed,
    jobs,
    open_policy,
    published,
    write,
)
from undersigned.events.tests.conftest import send_emails
from undersigned.jobs.models import Job
from undersigned.organisations.models import Membership, Organisation
from undersigned.statements.models import Statement

pytestmark = pytest.mark.django_db

PARENT = "parent.writer@example.net"
REPLIER = "replier.secret@example.org"


@pytest.fixture
def parent(statement: Statement) -> Comment:
    """A published comment whose writer asked to hear of replies; its confirmation sent."""
    open_policy(statement)
    comment = published(statement, name="Paula", email=PARENT, notify_replies=True)
    send_emails()
    mail.outbox.clear()
    return comment


def _reply(statement: Statement, parent: Comment, email: str = REPLIER) -> Comment:
    return published(statement, parent=parent, name="Rosa Replier", email=email, text="Hola!")


def test_a_reply_is_told_to_the_writer_who_asked_and_to_nobody_else(
    statement: Statement, parent: Comment
) -> None:
    reply = _reply(statement, parent)
    (payload,) = jobs("comment_reply")
    assert (payload["comment"], payload["reply"]) == (parent.pk, reply.pk)
    assert actions.for_manage_token(payload["manage"]) == parent
    sent = [message for message in send_emails() if "replied" in message.subject]
    (message,) = sent
    assert message.to == [PARENT]
    whole = message.subject + message.body + message.alternatives[0][0] + str(message.extra_headers)
    assert "Rosa Replier" in message.subject and "Rosa Replier" in message.body
    assert "Hola!" in message.body
    assert REPLIER not in whole and "replier.secret" not in whole
    assert f"#comment-{parent.pk}" in message.body


def test_no_reply_is_told_to_a_writer_who_replies_to_themselves(
    statement: Statement, parent: Comment
) -> None:
    _reply(statement, parent, email="Parent.Writer@EXAMPLE.net")
    assert not jobs("comment_reply")


def test_no_reply_is_told_to_a_writer_who_did_not_ask(statement: Statement) -> None:
    open_policy(statement)
    quiet = published(statement, email=PARENT)
    _reply(statement, quiet)
    assert not jobs("comment_reply")


def test_no_reply_is_told_once_the_writer_stopped_them(
    statement: Statement, parent: Comment
) -> None:
    actions.stop_replies(parent)
    parent.refresh_from_db()
    _reply(statement, parent)
    assert not jobs("comment_reply")


def test_a_reply_queued_before_the_writer_stopped_them_is_not_sent(
    statement: Statement, parent: Comment
) -> None:
    _reply(statement, parent)
    assert jobs("comment_reply")
    actions.stop_replies(parent)
    assert not [message for message in send_emails() if message.to == [PARENT]]


@pytest.mark.parametrize("meanwhile", ["reply_rejected", "parent_deleted", "parent_hidden"])
def test_a_reply_is_not_told_once_either_comment_was_taken_down(
    statement: Statement, parent: Comment, meanwhile: str
) -> None:
    reply = _reply(statement, parent)
    if meanwhile == "reply_rejected":
        moderation.reject(reply, by=None)
    elif meanwhile == "parent_deleted":
        actions.delete_own(parent)
    else:
        moderation.hide_commenter(parent, by=None)
    assert not [message for message in send_emails() if "replied" in message.subject]


def test_a_held_reply_is_told_when_approved_and_only_the_first_time(
    statement: Statement, parent: Comment
) -> None:
    open_policy(statement, hold_links=True)
    reply = confirmed(statement, parent=parent, email=REPLIER, text="See www.example.org")
    assert reply.state == Comment.State.HELD
    assert not jobs("comment_reply")
    moderation.approve(reply, by=None)
    assert len(jobs("comment_reply")) == 1
    moderation.reject(reply, by=None)
    moderation.approve(reply, by=None)
    assert len(jobs("comment_reply")) == 1


def test_the_organisations_reply_is_told_under_its_name(
    statement: Statement, parent: Comment, member: User
) -> None:
    moderation.reply_as_organisation(parent, "Thank you, Paula", by=member)
    (message,) = [message for message in send_emails() if "replied" in message.subject]
    assert message.to == [PARENT]
    assert statement.organisation.name in message.body
    assert "member@example.com" not in message.body + message.alternatives[0][0]


def test_the_organisations_reply_to_a_reported_comment_is_told_its_writer(
    statement: Statement,
) -> None:
    open_policy(statement)
    comment = published(statement, email=PARENT, notify_replies=True)
    moderation.set_moderation(statement.organisation, words="", reports_to_hold=1, by=None)
    actions.report(comment, "abuse", "", client=a_client())
    comment.refresh_from_db()
    assert comment.state == Comment.State.HELD
    reply = moderation.reply_as_organisation(comment, "We are looking", by=None)
    # Replying approved it: the writer is told of the answer.
    (payload,) = jobs("comment_reply")
    assert (payload["comment"], payload["reply"]) == (comment.pk, reply.pk)


# The moderators' digest


@pytest.fixture
def clock() -> Iterator[time_machine.Coordinates]:
    """After every persona joined, standing still."""
    with time_machine.travel(timezone.now() + dt.timedelta(hours=1), tick=False) as traveller:
        yield traveller


@pytest.fixture
def subscribed(
    statement: Statement, organiser: User, member: User, viewer: User, outsider: User
) -> list[User]:
    """Everyone who could ask for the digest did; the editor in Spanish. One editor left."""
    organisation = statement.organisation
    gone = User.objects.create_user("gone", "gone@example.com", "x")
    membership = Membership.objects.create(
        organisation=organisation, user=gone, role=Membership.Role.EDITOR
    )
    for user in (organiser, member, viewer, outsider, gone):
        language = "es" if user == member else "en"
        moderation.subscribe_digest(organisation, user, wanted=True, language=language)
    membership.delete()
    return [organiser, member]


def _waiting(statement: Statement, n: int = 1) -> list[Comment]:
    found = [
        confirmed(statement, email=f"waiting{n}-{i}@example.net", text=f"Comment {i}")
        for i in range(n)
    ]
    assert all(comment.state == Comment.State.HELD for comment in found)
    return found


def test_owners_and_editors_who_asked_are_sent_a_digest_of_what_waits(
    statement: Statement, subscribed: list[User], clock: time_machine.Coordinates
) -> None:
    clock.shift(dt.timedelta(minutes=1))
    _waiting(statement, 2)
    # Another organisation's queue is not this one's.
    elsewhere = Statement.objects.create(
        organisation=Organisation.objects.create(name="Elsewhere", slug="elsewhere"),
        slug="elsewhere",
        default_language="en",
    )
    _waiting(elsewhere)
    Job.objects.all().delete()
    assert moderation.send_digests() == 2
    payloads = jobs("comment_digest")
    subscriptions = DigestSubscription.objects.filter(pk__in=[p["subscription"] for p in payloads])
    assert {s.user for s in subscriptions} == set(subscribed)
    sent = send_emails()
    assert sorted(m.to[0] for m in sent) == ["member@example.com", "organiser@example.com"]
    for message in sent:
        whole = message.subject + message.body + message.alternatives[0][0]
        assert "@example.net" not in whole
        assert "Comment 0" not in whole
        assert "Free them: 2" in message.body or "Libertad para ellos: 2" in message.body
        assert "elsewhere" not in whole
    (english,) = [m for m in sent if m.to == ["organiser@example.com"]]
    assert "2 comments wait for moderation" in english.subject
    assert "2 comments started waiting" in english.body
    (spanish,) = [m for m in sent if m.to == ["member@example.com"]]
    assert '<html lang="es"' in spanish.alternatives[0][0]


def test_a_digest_is_sent_no_more_than_every_digest_minutes(
    statement: Statement, subscribed: list[User], clock: time_machine.Coordinates
) -> None:
    clock.shift(dt.timedelta(minutes=1))
    _waiting(statement)
    assert moderation.send_digests() == 2
    clock.shift(dt.timedelta(minutes=1))
    _waiting(statement)
    assert moderation.send_digests() == 0
    clock.shift(dt.timedelta(minutes=settings.COMMENT_DIGEST_MINUTES - 1))
    assert moderation.send_digests() == 2
    # Nothing new since: nothing sent, however long it has been.
    clock.shift(dt.timedelta(days=2))
    assert moderation.send_digests() == 0
    assert len(jobs("comment_digest")) == 4


def test_no_digest_when_nothing_started_waiting(
    statement: Statement, subscribed: list[User], clock: time_machine.Coordinates
) -> None:
    open_policy(statement)
    published(statement)
    write(statement, email="unconfirmed@example.net")
    assert moderation.send_digests() == 0
    assert not jobs("comment_digest")


def test_a_comment_returned_to_the_queue_is_news_for_the_digest(
    statement: Statement, subscribed: list[User], clock: time_machine.Coordinates
) -> None:
    open_policy(statement, hold_links=True)
    comment = published(statement)
    assert moderation.send_digests() == 0
    clock.shift(dt.timedelta(minutes=1))
    actions.edit(comment, "Changed, see www.example.org")
    comment.refresh_from_db()
    assert comment.state == Comment.State.HELD
    assert moderation.send_digests() == 2


def test_a_moderator_who_stops_the_digest_is_sent_none(
    statement: Statement, subscribed: list[User], clock: time_machine.Coordinates
) -> None:
    organiser, member = subscribed
    moderation.subscribe_digest(statement.organisation, member, wanted=False)
    clock.shift(dt.timedelta(minutes=1))
    _waiting(statement)
    assert moderation.send_digests() == 1
    (payload,) = jobs("comment_digest")
    assert DigestSubscription.objects.get(pk=payload["subscription"]).user == organiser


def test_a_digest_queued_for_comments_dealt_with_since_is_not_sent(
    statement: Statement, subscribed: list[User], clock: time_machine.Coordinates
) -> None:
    clock.shift(dt.timedelta(minutes=1))
    (comment,) = _waiting(statement)
    send_emails()
    assert moderation.send_digests() == 2
    moderation.approve(comment, by=None)
    assert not send_emails()


def test_a_digest_queued_for_a_moderator_who_left_since_is_not_sent(
    statement: Statement, subscribed: list[User], clock: time_machine.Coordinates
) -> None:
    clock.shift(dt.timedelta(minutes=1))
    _waiting(statement)
    assert moderation.send_digests() == 2
    Membership.objects.filter(user=subscribed[1]).delete()
    sent = send_emails()
    assert [m.to for m in sent] == [["organiser@example.com"]]
