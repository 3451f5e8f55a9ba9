"""Readers report a published comment: one report per reader, and once the organisation's
number of readers reported it, it returns to the queue; a moderator's decision settles them."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine

from undersigned.comments import actions, moderation
from undersigned.comments.models import Comment, Report
from undersigned.comments.tests.conftest import a_client, audit_rows, open_policy, published
from undersigned.statements.models import Statement

pytestmark = pytest.mark.django_db

State = Comment.State


@pytest.fixture
def comment(statement: Statement) -> Comment:
    open_policy(statement)
    moderation.set_moderation(statement.organisation, words="", reports_to_hold=3, by=None)
    return published(statement)


def _state(comment: Comment) -> str:
    comment.refresh_from_db()
    return str(comment.state)


def test_a_comment_returns_to_the_queue_after_enough_readers_report_it(
    comment: Comment,
) -> None:
    actions.report(comment, "abuse", "Insults", client=a_client())
    actions.report(comment, "spam", "", client=a_client())
    assert _state(comment) == State.PUBLISHED
    actions.report(comment, "other", "", client=a_client())
    assert _state(comment) == State.HELD
    assert comment.reason_list() == ["reported"]
    assert comment.held_at is not None and comment.published_at is not None
    assert Report.objects.filter(comment=comment).count() == 3
    assert [data for name, data in audit_rows() if name == "comment.reported"] == [
        {"organisation": comment.organisation_id, "reports": 3}
    ]
    # A held comment takes no more reports.
    actions.report(comment, "other", "", client=a_client())
    assert Report.objects.filter(comment=comment).count() == 3


def test_one_reader_counts_once(comment: Comment) -> None:
    reader = a_client()
    for reason in ("abuse", "spam", "other", "personal"):
        actions.report(comment, reason, "", client=reader)
    assert Report.objects.filter(comment=comment).count() == 1
    assert _state(comment) == State.PUBLISHED


def test_approving_settles_the_reports_so_it_takes_as_many_new_ones(comment: Comment) -> None:
    readers = [a_client() for _ in range(3)]
    for reader in readers:
        actions.report(comment, "abuse", "", client=reader)
    assert _state(comment) == State.HELD
    assert moderation.approve(comment, by=None)
    assert _state(comment) == State.PUBLISHED
    assert not comment.reports.filter(settled=False).exists()
    # The same readers again count for nothing; new ones count from zero.
    for reader in readers:
        actions.report(comment, "abuse", "", client=reader)
    actions.report(comment, "abuse", "", client=a_client())
    actions.report(comment, "abuse", "", client=a_client())
    assert _state(comment) == State.PUBLISHED
    actions.report(comment, "abuse", "", client=a_client())
    assert _state(comment) == State.HELD


def test_reports_from_a_client_held_or_past_the_limits_count_for_nothing(
    comment: Comment, settings: Any
) -> None:
    actions.report(comment, "abuse", "", client=a_client(hold_reason="honeypot"))
    actions.report(comment, "abuse", "", client=a_client(hold_reason="too_fast"))
    assert not Report.objects.exists()
    settings.SIGN_RATE_LIMITS = "1/60"
    busy = a_client()
    other = published(comment.statement, email="other@example.net")
    with time_machine.travel(dt.datetime(2026, 11, 23, 10, 0, 5, tzinfo=dt.UTC), tick=False):
        actions.report(other, "abuse", "", client=busy)
        actions.report(comment, "abuse", "", client=busy)
    assert list(Report.objects.values_list("comment_id", flat=True)) == [other.pk]
    assert _state(comment) == State.PUBLISHED


def test_only_published_comments_can_be_reported(statement: Statement) -> None:
    held = published(statement)
    moderation.reject(held, by=None)
    actions.report(held, "abuse", "", client=a_client())
    assert not Report.objects.exists()


def test_one_report_is_enough_where_the_organisation_says_so(comment: Comment) -> None:
    moderation.set_moderation(comment.organisation, words="", reports_to_hold=1, by=None)
    actions.report(comment, "personal", "My address is in it", client=a_client())
    assert _state(comment) == State.HELD


def test_a_report_threshold_of_zero_still_needs_a_report(comment: Comment) -> None:
    moderation.set_moderation(comment.organisation, words="", reports_to_hold=0, by=None)
    assert _state(comment) == State.PUBLISHED
    actions.report(comment, "spam", "", client=a_client())
    assert _state(comment) == State.HELD


def test_the_report_keeps_only_a_hash_of_the_reader(comment: Comment) -> None:
    reader = a_client()
    actions.report(comment, "other", "Off topic", client=reader)
    report = Report.objects.get()
    assert (report.reason, report.detail, report.client, report.settled) == (
        "other",
        "Off topic",
        reader.rate_key,
        False,
    )
