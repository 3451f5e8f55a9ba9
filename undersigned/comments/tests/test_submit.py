"""Writing a comment: kept unconfirmed with the consent it was given, its link emailed (tokens'
hashes only kept), nothing emailed for a form robots send or past the limits, and the same
work whatever the address did before."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from undersigned.comments import actions, moderation
from undersigned.comments.models import Comment, CommentToken
from undersigned.comments.tests.conftest import (
    a_client,
    audit_rows,
    confirmed,
    jobs,
    published,
    write,
)
from undersigned.conftest import make_signature
from undersigned.jobs.models import Job
from undersigned.lib.tokens import hash_token
from undersigned.statements.models import Statement
from undersigned.updates.models import Update

pytestmark = pytest.mark.django_db


def test_a_comment_waits_unconfirmed_with_its_consent_and_its_link_is_emailed(
    statement: Statement,
) -> None:
    comment = write(
        statement,
        language="es",
        name="Lucía Mamani",
        email="Lucia.Mamani@Example.NET",
        organisation_name="Sindicato de Arequipa",
        notify_replies=True,
    )
    comment.refresh_from_db()
    assert comment.state == Comment.State.UNCONFIRMED
    assert (comment.organisation_id, comment.statement_id, comment.update_id) == (
        statement.organisation_id,
        statement.pk,
        None,
    )
    assert (comment.language, comment.name, comment.organisation_name) == (
        "es",
        "Lucía Mamani",
        "Sindicato de Arequipa",
    )
    assert comment.email == "Lucia.Mamani@Example.NET"
    assert comment.email_canonical == "lucia.mamani@example.net"
    assert comment.consent_version == actions.CONSENT_VERSION
    assert comment.consent_at is not None
    assert comment.notify_replies and not comment.is_signatory
    assert comment.reasons == "" and comment.published_at is None
    (payload,) = jobs("comment_confirm")
    assert set(payload) == {"comment", "token", "manage"}
    assert payload["comment"] == comment.pk
    # Only the tokens' hashes are kept with the comment.
    assert comment.confirm_hash == hash_token(payload["token"])
    (kept,) = CommentToken.objects.filter(comment=comment)
    assert kept.token_hash == hash_token(payload["manage"])
    values = set(Comment.objects.filter(pk=comment.pk).values().get().values())
    values |= set(CommentToken.objects.values_list("token_hash", flat=True))
    assert payload["token"] not in values and payload["manage"] not in values
    assert actions.for_confirm_token(payload["token"]) == comment
    assert actions.for_manage_token(payload["manage"]) == comment
    assert actions.for_confirm_token(payload["manage"]) is None
    assert actions.for_manage_token(payload["token"]) is None


def test_a_comment_on_an_update_belongs_to_its_statement(statement: Statement) -> None:
    update = Update.objects.create(statement=statement, published_at=timezone.now())
    comment = write(statement, update=update)
    assert (comment.statement_id, comment.update_id) == (statement.pk, update.pk)


@pytest.mark.parametrize("reason", ["honeypot", "too_fast", "no_proof"])
def test_a_form_robots_send_is_kept_held_and_nobody_is_emailed(
    statement: Statement, reason: str
) -> None:
    comment = write(statement, client=a_client(hold_reason=reason))
    comment.refresh_from_db()
    assert (comment.state, comment.reasons) == (Comment.State.UNCONFIRMED, reason)
    assert not Job.objects.exists()
    assert not CommentToken.objects.exists()


def test_a_client_past_the_rate_limits_is_held_and_emails_nobody(
    statement: Statement, settings: Any
) -> None:
    settings.SIGN_RATE_LIMITS = "2/60"
    same = a_client()
    with time_machine.travel(dt.datetime(2026, 11, 23, 10, 0, 5, tzinfo=dt.UTC), tick=False):
        first = write(statement, client=same, email="one@example.net")
        second = write(statement, client=same, email="two@example.net")
        third = write(statement, client=same, email="three@example.net")
        other = write(statement, client=a_client(), email="four@example.net")
    assert [c.reasons for c in (first, second, third, other)] == ["", "", "rate", ""]
    assert [p["comment"] for p in jobs("comment_confirm")] == [first.pk, second.pk, other.pk]
    # A new window counts again.
    with time_machine.travel(dt.datetime(2026, 11, 23, 10, 1, 5, tzinfo=dt.UTC), tick=False):
        assert write(statement, client=same, email="five@example.net").reasons == ""


def test_the_emails_a_client_makes_the_site_send_are_capped_too(
    statement: Statement, settings: Any
) -> None:
    settings.CLIENT_EMAIL_LIMITS = "1/60"
    with time_machine.travel(dt.datetime(2026, 11, 23, 10, 0, 5, tzinfo=dt.UTC), tick=False):
        first = write(statement, client=a_client(email_key="browser"), email="one@example.net")
        second = write(statement, client=a_client(email_key="browser"), email="two@example.net")
    assert (first.reasons, second.reasons) == ("", "rate")
    assert len(jobs("comment_confirm")) == 1


def test_an_address_is_emailed_no_more_than_its_daily_cap(
    statement: Statement, settings: Any
) -> None:
    settings.EMAILS_PER_ADDRESS_PER_DAY = 2
    with time_machine.travel(dt.datetime(2026, 11, 23, 10, 0, tzinfo=dt.UTC), tick=False):
        kept = [write(statement, email=email) for email in ("v@gmail.com", "V+1@gmail.com")]
        kept.append(write(statement, email="v.+2@googlemail.com"))
        other = write(statement, email="w@gmail.com")
    # Each is kept, as the form says; the third to the same mailbox is not emailed.
    assert Comment.objects.filter(state=Comment.State.UNCONFIRMED).count() == 4
    assert [p["comment"] for p in jobs("comment_confirm")] == [kept[0].pk, kept[1].pk, other.pk]
    assert not kept[2].tokens.exists()
    with time_machine.travel(dt.datetime(2026, 11, 24, 10, 0, tzinfo=dt.UTC), tick=False):
        tomorrow = write(statement, email="v@gmail.com")
    assert jobs("comment_confirm")[-1]["comment"] == tomorrow.pk


def _writing(statement: Statement, email: str) -> tuple[list[str], dict[str, int]]:
    """The queries one comment's writing makes, and the rows it adds."""
    before = {
        "comments": Comment.objects.count(),
        "tokens": CommentToken.objects.count(),
        "jobs": Job.objects.count(),
    }
    with CaptureQueriesContext(connection) as queries:
        write(statement, email=email, name="Same Name", client=a_client())
    after = {
        "comments": Comment.objects.count(),
        "tokens": CommentToken.objects.count(),
        "jobs": Job.objects.count(),
    }
    return [q["sql"] for q in queries.captured_queries], {
        key: after[key] - before[key] for key in before
    }


def test_writing_looks_nothing_up_by_address_and_does_the_same_for_any(
    statement: Statement,
) -> None:
    """Whether an address signed or commented before cannot be learned from the form: the
    same queries, the same rows, the same answer."""
    make_signature(statement, 1, email="known@example.net", email_canonical="known@example.net")
    published(statement, email="known@example.net")
    Job.objects.all().delete()
    known, known_rows = _writing(statement, "known@example.net")
    new, new_rows = _writing(statement, "new@example.net")
    assert known_rows == new_rows == {"comments": 1, "tokens": 1, "jobs": 1}
    assert len(known) == len(new)
    # The address is written, never looked for.
    for sql in known:
        if "known@example.net" in sql:
            assert sql.lstrip().upper().startswith("INSERT"), sql
    answer = Comment.objects.order_by("pk").last()
    assert answer is not None and not answer.is_signatory


def test_a_reply_to_a_reply_answers_the_comment_it_replied_to(statement: Statement) -> None:
    top = published(statement)
    reply = published(statement, parent=top, email="b@example.net")
    again = write(statement, parent=reply, email="c@example.net")
    assert (reply.parent_id, again.parent_id) == (top.pk, top.pk)
    assert again.parent_id is not None and top.parent_id is None


# Confirming


def test_a_premoderated_statement_holds_every_confirmed_comment(statement: Statement) -> None:
    """Without a policy, a statement takes comments pre-moderated."""
    published(statement, email="before@example.net")
    comment = write(statement, email="before@example.net")
    assert actions.confirm(comment) == Comment.State.HELD
    comment.refresh_from_db()
    assert comment.state == Comment.State.HELD
    assert comment.reason_list() == ["pre"]
    assert comment.confirmed_at is not None and comment.held_at is not None
    assert comment.confirm_hash is None and comment.published_at is None
    assert Comment.objects.filter(state=Comment.State.HELD, pk=comment.pk).exists()


def test_post_mode_holds_the_first_comment_from_an_address_then_publishes(
    statement: Statement,
) -> None:
    moderation.set_policy(
        statement, mode="post", hold_first=True, hold_links=True, hold_words=True, by=None
    )
    first = confirmed(statement, email="Ana@Example.net")
    assert (first.state, first.reason_list()) == (Comment.State.HELD, ["first"])
    # Held, it does not make the address known yet.
    assert confirmed(statement, email="ana@example.net").reason_list() == ["first"]
    moderation.approve(first, by=None)
    second = confirmed(statement, email="ANA@example.net")
    assert second.state == Comment.State.PUBLISHED
    assert second.published_at is not None and second.reasons == ""
    # Another address is new.
    assert confirmed(statement, email="otra@example.net").reason_list() == ["first"]


def test_post_mode_knows_an_address_from_the_organisations_other_statements(
    statement: Statement,
) -> None:
    other = Statement.objects.create(
        organisation=statement.organisation, slug="other", default_language="en"
    )
    moderation.set_policy(
        statement, mode="post", hold_first=True, hold_links=False, hold_words=False, by=None
    )
    published(other, email="ana@example.net")
    assert confirmed(statement, email="ana@example.net").state == Comment.State.PUBLISHED


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"text": "Read https://example.org"}, "link"),
        ({"text": "Buy at cheap-pills.com now"}, "link"),
        ({"text": "Write to me: x@example.org"}, "link"),
        ({"organisation_name": "www.example.org"}, "link"),
        ({"text": "You are all CERDOS"}, "words"),
        ({"name": "Cerdos Unidos"}, "words"),
        ({"organisation_name": "Los cerdos"}, "words"),
        ({"text": "Asesinó"}, "words"),
    ],
)
def test_post_mode_holds_links_and_listed_words(
    statement: Statement, fields: dict[str, str], reason: str
) -> None:
    moderation.set_policy(
        statement, mode="post", hold_first=False, hold_links=True, hold_words=True, by=None
    )
    moderation.set_moderation(
        statement.organisation, words="cerdos\n\n  asesino \n", reports_to_hold=3, by=None
    )
    comment = confirmed(statement, **fields)
    assert (comment.state, comment.reason_list()) == (Comment.State.HELD, [reason])


def test_rules_turned_off_hold_nothing(statement: Statement) -> None:
    moderation.set_policy(
        statement, mode="post", hold_first=False, hold_links=False, hold_words=False, by=None
    )
    moderation.set_moderation(statement.organisation, words="cerdos", reports_to_hold=3, by=None)
    comment = confirmed(statement, text="cerdos at https://example.org")
    assert comment.state == Comment.State.PUBLISHED


def test_a_hidden_commenters_new_comment_waits(statement: Statement) -> None:
    moderation.set_policy(
        statement, mode="post", hold_first=False, hold_links=False, hold_words=False, by=None
    )
    earlier = published(statement, email="troll@example.net")
    moderation.hide_commenter(earlier, by=None)
    comment = confirmed(statement, email="Troll@example.net")
    assert (comment.state, comment.reason_list()) == (Comment.State.HELD, ["hidden"])


def test_comments_confirmed_once_comments_are_closed_wait(statement: Statement) -> None:
    moderation.set_policy(
        statement, mode="post", hold_first=False, hold_links=False, hold_words=False, by=None
    )
    comment = write(statement)
    moderation.close(statement, by=None)
    statement.refresh_from_db()
    assert actions.confirm(comment) == Comment.State.HELD
    comment.refresh_from_db()
    assert "pre" in comment.reason_list()
    moderation.close(statement, by=None, closed=False)
    assert confirmed(statement, email="later@example.net").state == Comment.State.PUBLISHED


def test_a_comment_written_while_comments_were_on_waits_once_they_are_off(
    statement: Statement,
) -> None:
    comment = write(statement)
    moderation.set_policy(
        statement, mode="off", hold_first=False, hold_links=False, hold_words=False, by=None
    )
    statement.refresh_from_db()
    assert actions.confirm(comment) == Comment.State.HELD


def test_a_signatory_is_marked_only_when_the_same_address_signed_and_confirmed(
    statement: Statement,
) -> None:
    other = Statement.objects.create(
        organisation=statement.organisation, slug="other", default_language="en"
    )
    make_signature(
        statement, 1, email="Ana.Garcia@gmail.com", email_canonical="anagarcia@gmail.com"
    )
    make_signature(
        statement,
        2,
        email="pending@example.net",
        email_canonical="pending@example.net",
        state="pending",
        confirmed_at=None,
    )
    make_signature(other, 3, email="elsewhere@example.net", email_canonical="elsewhere@example.net")
    signed = confirmed(statement, email="anagarcia+x@googlemail.com", wants_signatory=True)
    assert signed.is_signatory
    # Signed, but did not ask.
    assert not confirmed(statement, email="anagarcia@gmail.com").is_signatory
    for email in ("pending@example.net", "elsewhere@example.net", "nobody@example.net"):
        comment = confirmed(statement, email=email, wants_signatory=True)
        assert not comment.is_signatory, email
        assert comment.wants_signatory


def test_a_confirmation_link_lapses_after_the_unconfirmed_days(statement: Statement) -> None:
    start = dt.datetime(2026, 11, 23, 10, 0, tzinfo=dt.UTC)
    with time_machine.travel(start, tick=False):
        comment = write(statement)
    token = jobs("comment_confirm")[0]["token"]
    days = dt.timedelta(days=settings.UNCONFIRMED_DAYS)
    with time_machine.travel(start + days - dt.timedelta(minutes=1), tick=False):
        assert actions.for_confirm_token(token) == comment
    with time_machine.travel(start + days + dt.timedelta(minutes=1), tick=False):
        assert actions.for_confirm_token(token) is None
    assert actions.for_confirm_token("not-a-token") is None


def test_confirming_twice_changes_nothing_the_second_time(statement: Statement) -> None:
    comment = write(statement)
    token = jobs("comment_confirm")[0]["token"]
    assert actions.confirm(comment) == Comment.State.HELD
    confirmed_at = Comment.objects.get().confirmed_at
    assert actions.confirm(comment) == Comment.State.HELD
    assert Comment.objects.get().confirmed_at == confirmed_at
    assert actions.for_confirm_token(token) is None
    moderation.approve(comment, by=None)
    assert actions.confirm(comment) == Comment.State.PUBLISHED
    assert [action for action, _data in audit_rows()] == ["comment.confirmed", "comment.approved"]
