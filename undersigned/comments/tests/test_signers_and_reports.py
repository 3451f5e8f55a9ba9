"""What a comment says of its writer follows their signature: withdrawn or erased, the badge
goes, and a statement whose people are erased keeps its comments without an address. Readers'
reports count per network, and take down a few comments an hour at most."""

from __future__ import annotations

from undersigned.comments import actions, moderation, queries
from undersigned.comments.models import Comment, Moderation
from undersigned.comments.tests.conftest import a_client, open_policy, published, write
from undersigned.conftest import make_signature
from undersigned.statements import privacy
from undersigned.statements.models import Statement

State = Comment.State


def _signed_commenter(statement: Statement) -> Comment:
    signature = make_signature(
        statement, 1, email="rosa@example.net", email_canonical="rosa@example.net"
    )
    open_policy(statement)
    comment = published(statement, email="rosa@example.net", wants_signatory=True)
    assert comment.is_signatory
    comment.signature = signature  # type: ignore[attr-defined]
    return comment


def test_a_withdrawn_signature_takes_the_badge_off_its_writers_comments(
    statement: Statement,
) -> None:
    comment = _signed_commenter(statement)
    other = published(statement, email="other@example.net", wants_signatory=True)
    privacy.withdraw(comment.signature)  # type: ignore[attr-defined]
    comment.refresh_from_db()
    assert not comment.is_signatory
    assert comment.state == State.PUBLISHED
    other.refresh_from_db()
    assert not other.is_signatory  # never signed


def test_erasing_a_statements_people_leaves_its_comments_without_an_address(
    statement: Statement,
) -> None:
    comment = _signed_commenter(statement)
    unconfirmed = write(statement, email="late@example.net")
    assert privacy.statements_due_for_erasure().count() == 0  # not closed yet
    privacy.erase_signers(statement, reason="retention")
    comment.refresh_from_db()
    assert (comment.email, comment.email_canonical, comment.is_signatory) == ("", "", False)
    assert comment.state == State.PUBLISHED and comment.text
    assert not Comment.objects.filter(pk=unconfirmed.pk).exists()
    assert not comment.tokens.exists()


def test_readers_of_one_network_count_once(statement: Statement) -> None:
    Moderation.objects.create(organisation=statement.organisation, reports_to_hold=2)
    comment = published(statement)
    network = a_client()
    actions.report(comment, "abuse", "", client=network)
    actions.report(comment, "abuse", "", client=network)
    comment.refresh_from_db()
    assert comment.state == State.PUBLISHED
    actions.report(comment, "abuse", "", client=a_client())
    comment.refresh_from_db()
    assert comment.state == State.HELD


def test_reports_take_down_a_few_comments_an_hour_at_most(statement: Statement) -> None:
    Moderation.objects.create(organisation=statement.organisation, reports_to_hold=1)
    comments = [
        published(statement, email=f"c{n}@example.net")
        for n in range(actions.REPORT_HOLDS_PER_HOUR + 2)
    ]
    for comment in comments:
        actions.report(comment, "spam", "", client=a_client())
    held = Comment.objects.filter(state=State.HELD).count()
    assert held == actions.REPORT_HOLDS_PER_HOUR
    # The rest are reported all the same, for the moderators.
    assert all(comment.reports.exists() for comment in comments)


def test_the_count_leaves_out_replies_under_a_comment_not_shown(statement: Statement) -> None:
    open_policy(statement)
    shown = published(statement, email="a@example.net")
    gone = published(statement, email="b@example.net")
    for parent in (shown, gone):
        published(statement, email="r@example.net", parent=parent)
    assert queries.shown(statement).total == 4
    assert moderation.reject(gone, by=None)
    assert queries.shown(statement).total == 2
