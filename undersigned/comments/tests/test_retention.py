"""What comments keep of people, and for how long: unconfirmed ones go after UNCONFIRMED_DAYS,
rejected ones and spam after COMMENT_REJECTED_DAYS, and an erasure request blanks an
address's comments in one organisation."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.conf import settings
from django.contrib.auth.models import User
from django.utils import timezone

from undersigned.audit.models import AuditLog
from undersigned.comments import actions, moderation, retention
from undersigned.comments import jobs as jobs_module
from undersigned.comments.models import Comment, CommentToken, HiddenCommenter, Report
from undersigned.comments.tests.conftest import (
    a_client,
    jobs,
    open_policy,
    published,
    write,
)
from undersigned.jobs import queue, scrub
from undersigned.jobs.models import Job
from undersigned.mailings.models import DemoMail
from undersigned.organisations.models import Organisation
from undersigned.statements.models import Statement

pytestmark = pytest.mark.django_db

State = Comment.State


def _states() -> dict[int, str]:
    return dict(Comment.objects.values_list("pk", "state"))


def test_unconfirmed_comments_go_after_the_unconfirmed_days(statement: Statement) -> None:
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        old = write(statement, email="old@example.net")
        kept_old = published(statement, email="kept@example.net")
    with time_machine.travel(start + dt.timedelta(days=2), tick=False):
        young = write(statement, email="young@example.net")
    days = dt.timedelta(days=settings.UNCONFIRMED_DAYS)
    retention.purge(start + days - dt.timedelta(minutes=1))
    assert set(_states()) == {old.pk, kept_old.pk, young.pk}
    retention.purge(start + days + dt.timedelta(minutes=1))
    assert _states() == {kept_old.pk: State.PUBLISHED, young.pk: State.UNCONFIRMED}
    assert not CommentToken.objects.filter(comment_id=old.pk).exists()
    (row,) = AuditLog.objects.filter(action="comment.purged")
    # Comments counted, not their link tokens.
    assert row.data == {"unconfirmed": 1, "rejected": 0}
    assert Job.objects.filter(kind=scrub.KIND).exists()


def test_rejected_comments_and_spam_go_after_the_rejected_days(statement: Statement) -> None:
    open_policy(statement)
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        rejected = published(statement, email="r@example.net")
        reply = published(statement, email="reply@example.net", parent=rejected)
        spam = published(statement, email="s@example.net")
        held = published(statement, email="h@example.net")
        deleted = published(statement, email="d@example.net")
        moderation.reject(rejected, by=None)
        moderation.mark_spam(spam, by=None)
        moderation.set_moderation(statement.organisation, words="", reports_to_hold=1, by=None)
        actions.report(held, "abuse", "", client=a_client())
        actions.delete_own(deleted)
    with time_machine.travel(start + dt.timedelta(days=5), tick=False):
        later = published(statement, email="l@example.net")
        moderation.reject(later, by=None)
    days = dt.timedelta(days=settings.COMMENT_REJECTED_DAYS)
    retention.purge(start + days - dt.timedelta(minutes=1))
    assert rejected.pk in _states() and spam.pk in _states()
    retention.purge(start + days + dt.timedelta(minutes=1))
    # The replies under a rejected comment go with it.
    assert _states() == {
        held.pk: State.HELD,
        deleted.pk: State.DELETED,
        later.pk: State.REJECTED,
    }
    assert reply.pk not in _states()
    (row,) = AuditLog.objects.filter(action="comment.purged")
    assert row.data == {"unconfirmed": 0, "rejected": 3}


def test_purging_with_nothing_to_purge_writes_nothing(statement: Statement) -> None:
    published(statement)
    retention.purge(timezone.now() + dt.timedelta(days=365))
    assert not AuditLog.objects.filter(action="comment.purged").exists()


def test_an_erasure_blanks_an_addresss_comments_in_one_organisation_only(
    statement: Statement,
) -> None:
    open_policy(statement)
    elsewhere = Statement.objects.create(
        organisation=Organisation.objects.create(name="Elsewhere", slug="elsewhere"),
        slug="elsewhere",
        default_language="en",
    )
    open_policy(elsewhere)
    shown = published(statement, email="Ana@Example.net", organisation_name="CGT")
    reply = published(statement, email="berta@example.net", name="Berta", parent=shown)
    actions.report(shown, "abuse", "", client=a_client())
    moderation.pin(shown, by=None)
    theirs_reply = published(statement, email="ana@example.net", parent=reply)
    rejected = published(statement, email="ana@example.net")
    moderation.reject(rejected, by=None)
    unconfirmed = write(statement, email="ana@example.net", notify_replies=True)
    unconfirmed_job = jobs("comment_confirm")[-1]
    same_elsewhere = published(elsewhere, email="ana@example.net")
    other_person = published(statement, email="carla@example.net")
    moderation.hide_commenter(rejected, by=None)
    HiddenCommenter.objects.create(
        organisation=elsewhere.organisation, email_canonical="ana@example.net", name="Ana"
    )
    DemoMail.objects.create(to="Ana@Example.net", subject="Confirm your comment", body="...")
    DemoMail.objects.create(to="carla@example.net", subject="Confirm your comment", body="...")
    assert retention.erase(statement.organisation_id, "ana@example.net") == 3
    found = {c.pk: c for c in Comment.objects.all()}
    assert unconfirmed.pk not in found
    for pk in (shown.pk, theirs_reply.pk, rejected.pk):
        comment = found[pk]
        assert comment.state == State.DELETED
        assert (comment.name, comment.organisation_name, comment.text) == ("", "", "")
        assert (comment.email, comment.email_canonical, comment.pinned_at) == ("", "", None)
        assert not comment.notify_replies and comment.confirm_hash is None
    # Others' replies stay, under it; the address's comments elsewhere are not this one's.
    assert (found[reply.pk].state, found[reply.pk].parent_id) == (State.PUBLISHED, shown.pk)
    assert found[same_elsewhere.pk].state == State.PUBLISHED
    assert found[same_elsewhere.pk].email == "ana@example.net"
    assert found[other_person.pk].state == State.PUBLISHED
    assert list(HiddenCommenter.objects.values_list("organisation_id", flat=True)) == [
        elsewhere.organisation_id
    ]
    assert not CommentToken.objects.filter(comment_id__in=[shown.pk, unconfirmed.pk]).exists()
    assert not Report.objects.exists()
    assert unconfirmed_job not in jobs("comment_confirm")
    assert list(DemoMail.objects.values_list("to", flat=True)) == ["carla@example.net"]
    assert Job.objects.filter(kind=scrub.KIND).exists()
    # Erased once: nothing left to erase.
    assert retention.erase(statement.organisation_id, "ana@example.net") == 0


def test_the_worker_purges_and_sends_digests_as_housekeeping(
    statement: Statement, member: User
) -> None:
    assert {jobs_module.purge, jobs_module.digests} <= {func for _s, func in queue._PERIODIC}
    with time_machine.travel(timezone.now() - dt.timedelta(days=60), tick=False):
        write(statement, email="old@example.net")
    moderation.subscribe_digest(statement.organisation, member, wanted=True)
    User.objects.filter(pk=member.pk).update(date_joined=timezone.now() - dt.timedelta(days=1))
    actions.confirm(write(statement))
    jobs_module.purge()
    assert list(Comment.objects.values_list("email", flat=True)) == ["ana@example.net"]
    jobs_module.digests()
    assert len(jobs("comment_digest")) == 1
