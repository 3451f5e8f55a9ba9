"""What moderators do to comments: approve, reject, spam, pin, hide a commenter everywhere in
the organisation, release or discard a form held before confirmation, and reply for the
organisation; each audited with states and ids, never a commenter's name, address or words."""

from __future__ import annotations

import json

import pytest
from django.contrib.auth.models import User

from undersigned.audit.models import AuditLog
from undersigned.comments import actions, moderation
from undersigned.comments.models import Comment, HiddenCommenter, policy_for
from undersigned.comments.tests.conftest import (
    a_client,
    audit_rows,
    confirmed,
    jobs,
    open_policy,
    published,
    write,
)
from undersigned.jobs.models import Job
from undersigned.organisations.models import Organisation
from undersigned.statements.models import Statement

pytestmark = pytest.mark.django_db

State = Comment.State

NAME, EMAIL, TEXT = "Zoila Quispe", "zoila.quispe@example.net", "Palabras de Zoila en Puno"


def _held(statement: Statement, **fields: str) -> Comment:
    comment = confirmed(statement, name=NAME, email=EMAIL, text=TEXT, **fields)
    assert comment.state == State.HELD
    return comment


def _nothing_personal_in_the_audit_log() -> None:
    rows = AuditLog.objects.all()
    assert rows.exists()
    for row in rows:
        written = json.dumps(row.data, ensure_ascii=False) + row.action
        for value in (NAME, EMAIL, "zoila", "Zoila", TEXT, "Puno"):
            assert value not in written, (row.action, row.data)


def test_approving_publishes_and_is_audited(statement: Statement, member: User) -> None:
    comment = _held(statement)
    assert moderation.approve(comment, by=member)
    assert comment.state == State.PUBLISHED
    assert comment.reasons == "" and comment.published_at is not None
    assert (comment.moderated_by, comment.moderated_at is not None) == (member, True)
    assert not moderation.approve(comment, by=member)
    row = AuditLog.objects.get(action="comment.approved")
    assert (row.actor, row.statement, row.object_id) == (member, statement, comment.pk)
    assert row.data == {"organisation": statement.organisation_id, "was": "held"}
    _nothing_personal_in_the_audit_log()


def test_an_unconfirmed_comment_cannot_be_moderated(statement: Statement, member: User) -> None:
    comment = write(statement)
    for verb in (moderation.approve, moderation.reject, moderation.mark_spam):
        assert not verb(comment, by=member)
    assert Comment.objects.get().state == State.UNCONFIRMED


@pytest.mark.parametrize(
    ("verb", "state", "action"),
    [
        (moderation.reject, State.REJECTED, "comment.rejected"),
        (moderation.mark_spam, State.SPAM, "comment.spam"),
    ],
)
def test_rejecting_or_marking_spam_takes_a_comment_down(
    statement: Statement, member: User, verb: object, state: str, action: str
) -> None:
    open_policy(statement)
    comment = published(statement, name=NAME, email=EMAIL, text=TEXT)
    moderation.pin(comment, by=member)
    actions.report(comment, "abuse", "", client=a_client())
    assert verb(comment, by=member)  # type: ignore[operator]
    comment.refresh_from_db()
    assert (comment.state, comment.pinned_at, comment.moderated_by) == (state, None, member)
    assert not comment.reports.filter(settled=False).exists()
    assert not verb(comment, by=member)  # type: ignore[operator]
    assert [data for name, data in audit_rows() if name == action] == [
        {"organisation": statement.organisation_id, "was": "published"}
    ]
    # A moderator may change their mind.
    assert moderation.approve(comment, by=member)
    comment.refresh_from_db()
    assert comment.state == State.PUBLISHED
    _nothing_personal_in_the_audit_log()


def test_a_rejected_comment_can_be_marked_spam(statement: Statement, member: User) -> None:
    comment = _held(statement)
    assert moderation.reject(comment, by=member)
    assert moderation.mark_spam(comment, by=member)
    assert comment.state == State.SPAM


def test_pinning_shows_one_published_top_level_comment_first(
    statement: Statement, member: User
) -> None:
    open_policy(statement)
    comment = published(statement, name=NAME, email=EMAIL, text=TEXT)
    reply = published(statement, parent=comment, email="b@example.net")
    assert moderation.pin(comment, by=member)
    assert comment.pinned_at is not None
    assert not moderation.pin(reply, by=member)
    assert moderation.pin(comment, by=member, pinned=False)
    assert comment.pinned_at is None
    held = _held(Statement.objects.create(organisation=statement.organisation, slug="pre"))
    assert not moderation.pin(held, by=member)
    held.refresh_from_db()
    assert held.pinned_at is None
    assert [name for name, _data in audit_rows() if "pin" in name] == [
        "comment.pinned",
        "comment.unpinned",
    ]
    _nothing_personal_in_the_audit_log()


def test_hiding_a_commenter_hides_their_comments_in_the_organisation_only(
    statement: Statement, member: User
) -> None:
    open_policy(statement)
    other_statement = Statement.objects.create(
        organisation=statement.organisation, slug="other", default_language="en"
    )
    elsewhere = Statement.objects.create(
        organisation=Organisation.objects.create(name="Elsewhere", slug="elsewhere"),
        slug="elsewhere",
        default_language="en",
    )
    open_policy(elsewhere)
    first = published(statement, name=NAME, email=EMAIL, text=TEXT)
    moderation.pin(first, by=member)
    on_other = published(other_statement, name=NAME, email="Zoila.Quispe@Example.net")
    waiting = _held(other_statement)
    rejected = _held(other_statement)
    moderation.reject(rejected, by=member)
    unconfirmed = write(statement, name=NAME, email=EMAIL)
    theirs_elsewhere = published(elsewhere, name=NAME, email=EMAIL)
    someone_else = published(statement, email="other@example.net")
    assert moderation.hide_commenter(first, by=member) == 3
    states = {
        c.pk: c.state
        for c in Comment.objects.filter(
            pk__in=[
                first.pk,
                on_other.pk,
                waiting.pk,
                rejected.pk,
                unconfirmed.pk,
                theirs_elsewhere.pk,
                someone_else.pk,
            ]
        )
    }
    assert states == {
        first.pk: State.HIDDEN,
        on_other.pk: State.HIDDEN,
        waiting.pk: State.HIDDEN,
        rejected.pk: State.REJECTED,
        unconfirmed.pk: State.UNCONFIRMED,
        theirs_elsewhere.pk: State.PUBLISHED,
        someone_else.pk: State.PUBLISHED,
    }
    first.refresh_from_db()
    assert first.pinned_at is None
    (hidden,) = HiddenCommenter.objects.all()
    assert (hidden.organisation_id, hidden.email_canonical, hidden.name, hidden.hidden_by) == (
        statement.organisation_id,
        EMAIL,
        NAME,
        member,
    )
    # Hiding again hides what came since, and keeps one row.
    later = published(statement, name=NAME, email=EMAIL)
    assert later.state == State.PUBLISHED  # a moderator approved it
    assert moderation.hide_commenter(later, by=member) == 1
    assert HiddenCommenter.objects.count() == 1
    # Nothing is hidden for a comment with no address (the organisation's own).
    reply = moderation.reply_as_organisation(someone_else, "Thanks", by=member)
    assert moderation.hide_commenter(reply, by=member) == 0
    assert [data for name, data in audit_rows() if name == "comment.commenter_hidden"] == [
        {"organisation": statement.organisation_id, "comments": 3},
        {"organisation": statement.organisation_id, "comments": 1},
    ]
    _nothing_personal_in_the_audit_log()


def test_showing_a_commenter_again_returns_what_a_moderator_had_let_through(
    statement: Statement, member: User
) -> None:
    open_policy(statement)
    shown = published(statement, name=NAME, email=EMAIL, text=TEXT)
    reported = published(statement, name=NAME, email=EMAIL)
    moderation.set_moderation(statement.organisation, words="", reports_to_hold=1, by=member)
    actions.report(reported, "abuse", "", client=a_client())
    edited = published(statement, name=NAME, email=EMAIL)
    open_policy(statement, hold_links=True)
    actions.edit(edited, "Now with https://example.org")
    never = _held(Statement.objects.create(organisation=statement.organisation, slug="pre"))
    assert [Comment.objects.get(pk=c.pk).state for c in (shown, reported, edited, never)] == [
        State.PUBLISHED,
        State.HELD,
        State.HELD,
        State.HELD,
    ]
    assert moderation.hide_commenter(shown, by=member) == 4
    hidden = HiddenCommenter.objects.get()
    assert moderation.unhide_commenter(hidden, by=member) == 1
    after = {c.pk: (c.state, c.reasons) for c in Comment.objects.all()}
    assert after[shown.pk] == (State.PUBLISHED, "")
    # What waited for a moderator waits again, for the same reasons.
    assert after[reported.pk] == (State.HELD, "reported")
    assert after[edited.pk] == (State.HELD, "edited,link")
    assert after[never.pk] == (State.HELD, "pre")
    assert not HiddenCommenter.objects.exists()
    assert [data for name, data in audit_rows() if name == "comment.commenter_shown"] == [
        {"organisation": statement.organisation_id, "comments": 1}
    ]
    _nothing_personal_in_the_audit_log()


def test_a_held_form_is_released_with_a_new_link(statement: Statement, member: User) -> None:
    comment = write(
        statement, name=NAME, email=EMAIL, text=TEXT, client=a_client(hold_reason="honeypot")
    )
    assert not Job.objects.exists()
    assert moderation.release(comment, by=member)
    assert (comment.state, comment.reasons) == (State.UNCONFIRMED, "")
    (payload,) = jobs("comment_confirm")
    assert actions.for_confirm_token(payload["token"]) == comment
    assert actions.for_manage_token(payload["manage"]) == comment
    # Released once; a form that was never held is not "released".
    assert not moderation.release(comment, by=member)
    assert not moderation.release(write(statement), by=member)
    assert len(jobs("comment_confirm")) == 2
    assert [name for name, _data in audit_rows()] == ["comment.released"]
    _nothing_personal_in_the_audit_log()


def test_a_held_form_is_discarded_whole(statement: Statement, member: User) -> None:
    comment = write(
        statement, name=NAME, email=EMAIL, text=TEXT, client=a_client(hold_reason="too_fast")
    )
    assert moderation.discard(comment, by=member)
    assert not Comment.objects.exists()
    assert [name for name, _data in audit_rows()] == ["comment.discarded"]
    _nothing_personal_in_the_audit_log()


def test_discarding_an_unconfirmed_comment_drops_its_queued_email(
    statement: Statement, member: User
) -> None:
    comment = write(statement)
    assert jobs("comment_confirm")
    assert moderation.discard(comment, by=member)
    assert not Job.objects.filter(kind__startswith="mail.").exists()


def test_only_unconfirmed_forms_can_be_discarded(statement: Statement, member: User) -> None:
    comment = _held(statement)
    assert not moderation.discard(comment, by=member)
    assert Comment.objects.filter(pk=comment.pk).exists()


def test_replying_for_the_organisation_approves_the_comment_and_publishes_the_reply(
    statement: Statement, member: User
) -> None:
    comment = _held(statement, language="es")
    reply = moderation.reply_as_organisation(comment, "Gracias, compañera", by=member)
    comment.refresh_from_db()
    assert comment.state == State.PUBLISHED
    assert (reply.state, reply.parent_id, reply.by_organisation, reply.author) == (
        State.PUBLISHED,
        comment.pk,
        True,
        member,
    )
    assert (reply.name, reply.email, reply.language) == (
        statement.organisation.name,
        "",
        "es",
    )
    assert reply.published_at is not None and reply.confirmed_at is not None
    # A reply to the reply answers the first comment.
    again = moderation.reply_as_organisation(reply, "And more", by=member, language="en")
    assert (again.parent_id, again.language) == (comment.pk, "en")
    assert [name for name, _data in audit_rows() if name.startswith("comment.")] == [
        "comment.confirmed",
        "comment.approved",
        "comment.replied",
        "comment.replied",
    ]
    assert AuditLog.objects.filter(action="comment.replied", data__parent=comment.pk).count() == 2
    _nothing_personal_in_the_audit_log()


def test_every_moderators_action_is_audited_without_anything_personal(
    statement: Statement, member: User
) -> None:
    """A whole round of moderation, then the log read for the commenter's name, address and
    words."""
    moderation.set_policy(
        statement, mode="post", hold_first=True, hold_links=True, hold_words=True, by=member
    )
    moderation.set_moderation(statement.organisation, words="Puno", reports_to_hold=1, by=member)
    comment = _held(statement, organisation_name="Zoila's union")
    actions.edit(comment, TEXT + " again")
    moderation.approve(comment, by=member)
    moderation.pin(comment, by=member)
    actions.report(comment, "personal", "Zoila's address", client=a_client())
    moderation.reply_as_organisation(comment, "Seen", by=member)
    moderation.mark_spam(comment, by=member)
    moderation.hide_commenter(comment, by=member)
    moderation.unhide_commenter(HiddenCommenter.objects.get(), by=member)
    moderation.close(statement, by=member)
    actions.delete_own(comment)
    assert len(audit_rows()) >= 12
    _nothing_personal_in_the_audit_log()


def test_the_organisers_settings_are_kept_and_audited(
    statement: Statement, organiser: User
) -> None:
    assert policy_for(statement).pk is None
    assert actions.moderation_of(statement.organisation).reports_to_hold == 3
    moderation.set_policy(
        statement, mode="post", hold_first=False, hold_links=True, hold_words=False, by=organiser
    )
    moderation.close(statement, by=organiser)
    moderation.set_moderation(
        statement.organisation, words="uno\n\n dos \n", reports_to_hold=5, by=organiser
    )
    statement = Statement.objects.get(pk=statement.pk)
    policy = policy_for(statement)
    assert (policy.mode, policy.hold_first, policy.hold_links, policy.hold_words) == (
        "post",
        False,
        True,
        False,
    )
    assert policy.closed_at is not None and not policy.is_open and policy.is_shown
    kept = actions.moderation_of(statement.organisation_id)
    assert (kept.word_list(), kept.reports_to_hold) == (["uno", "dos"], 5)
    moderation.close(statement, by=organiser, closed=False)
    assert policy_for(Statement.objects.get(pk=statement.pk)).is_open
    rows = audit_rows()
    assert [name for name, _data in rows] == [
        "comment.policy",
        "comment.closed",
        "comment.moderation",
        "comment.reopened",
    ]
    # The list's size, never its words.
    assert rows[2][1] == {
        "organisation": statement.organisation_id,
        "words": 2,
        "reports_to_hold": 5,
    }
    assert AuditLog.objects.filter(actor=organiser).count() == 4


def test_a_comment_says_why_it_waits_in_words(statement: Statement) -> None:
    comment = _held(statement)
    assert comment.reason_labels() == ["every comment waits", "first comment from this address"]
    Comment.objects.filter(pk=comment.pk).update(reasons="pre,gone")
    comment.refresh_from_db()
    assert comment.reason_labels() == ["every comment waits", "gone"]
