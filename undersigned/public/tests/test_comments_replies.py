"""Replies (one level: a reply to a reply answers the same comment) and readers' reports (one
per reader, the same answer whatever came of it, a comment back in the queue after enough)."""

from __future__ import annotations

from django.test import Client

from undersigned.comments.models import Comment, CommentPolicy, Report
from undersigned.events.tests.conftest import link, send_emails
from undersigned.public.tests.test_comments import (
    comment_data,
    html,
    make_update,
    published,
    report_data,
    set_policy,
)
from undersigned.statements.models import Statement


def _reply_url(comment: Comment, language: str = "en") -> str:
    return f"/s/free-them/{language}/comments/{comment.pk}/reply/"


def _report_url(comment: Comment, language: str = "en") -> str:
    return f"/s/free-them/{language}/comments/{comment.pk}/report/"


# Replies


def test_the_reply_page_shows_the_thread_and_the_form(client: Client, statement: Statement) -> None:
    parent = published(statement, 1, text="The first words.")
    published(statement, 2, parent=parent, text="An answer.")
    page = html(client, _reply_url(parent))
    assert "The first words." in page and "An answer." in page
    assert f'action="{_reply_url(parent)}"' in page and "Write a reply" in page
    assert 'name="website"' in page and "js/sign.js" in page


def test_a_reply_waits_for_its_link_then_shows_under_its_comment(
    client: Client, statement: Statement
) -> None:
    set_policy(statement, mode=CommentPolicy.Mode.POST, hold_first=False)
    parent = published(statement, 1, text="The first words.", notify_replies=True)
    response = client.post(_reply_url(parent), comment_data(statement, text="We agree."))
    assert (response.status_code, response["Location"]) == (303, "/s/free-them/en/comments/sent/")
    reply = Comment.objects.get(text="We agree.")
    assert reply.parent == parent and reply.state == Comment.State.UNCONFIRMED
    [message] = send_emails()
    client.post(link(message, r"/c/confirm/[-\w]+/"))
    reply.refresh_from_db()
    assert reply.state == Comment.State.PUBLISHED
    page = html(client, "/s/free-them/en/")
    replies = page.split('<ol class="comment-replies">', 1)[1]
    assert "We agree." in replies
    # Its parent's writer asked to hear of replies: told by email, never of the address.
    [told] = send_emails()
    assert told.to == [parent.email] and "rosa@" not in told.body


def test_a_reply_to_a_reply_answers_the_same_comment(client: Client, statement: Statement) -> None:
    parent = published(statement, 1)
    answer = published(statement, 2, parent=parent)
    assert client.get(_reply_url(answer)).status_code == 200
    client.post(_reply_url(answer), comment_data(statement, text="Me too."))
    assert Comment.objects.get(text="Me too.").parent == parent


def test_a_reply_on_an_update_stays_on_the_update(client: Client, statement: Statement) -> None:
    update = make_update(statement)
    parent = published(statement, 1, update=update)
    page = html(client, f"/s/free-them/en/updates/{update.pk}/")
    assert f'href="{_reply_url(parent)}"' in page
    client.post(_reply_url(parent), comment_data(statement, text="On the update too."))
    reply = Comment.objects.get(text="On the update too.")
    assert (reply.update, reply.parent) == (update, parent)


def test_an_invalid_reply_is_shown_again_with_its_errors(
    client: Client, statement: Statement
) -> None:
    parent = published(statement, 1)
    response = client.post(_reply_url(parent), comment_data(statement, consent=None))
    assert response.status_code == 400
    assert "Please correct the fields marked below." in response.content.decode()
    assert Comment.objects.count() == 1


def test_only_a_published_comment_of_the_statement_takes_replies(
    client: Client, statement: Statement
) -> None:
    held = published(statement, 1, state=Comment.State.HELD)
    other = Statement.objects.create(
        organisation=statement.organisation, slug="other", status=Statement.Status.OPEN
    )
    elsewhere = published(other, 2)
    for url in (
        _reply_url(held),
        _reply_url(elsewhere),
        "/s/free-them/en/comments/999999999999999999/reply/",
    ):
        assert client.get(url).status_code == 404, url
        assert client.post(url, comment_data(statement)).status_code == 404, url
    assert client.get("/s/free-them/en/comments/9999999999999999999/reply/").status_code == 404
    assert Comment.objects.count() == 2


# Reports


def test_the_report_form_asks_a_reason(client: Client, statement: Statement) -> None:
    comment = published(statement, 1, text="Some words.")
    page = html(client, _report_url(comment))
    assert "Some words." in page and 'name="reason"' in page and 'value="abuse"' in page
    assert 'name="website"' in page and 'data-proof-bits="6"' in page


def test_a_report_is_counted_once_per_reader_and_answered_the_same(
    client: Client, statement: Statement
) -> None:
    comment = published(statement, 1)
    for _ in range(2):
        response = client.post(_report_url(comment), report_data(statement))
        assert (response.status_code, response["Location"]) == (
            303,
            "/s/free-them/en/comments/reported/",
        )
    assert Report.objects.count() == 1
    assert "Thank you for your report" in html(client, response["Location"])
    comment.refresh_from_db()
    assert comment.state == Comment.State.PUBLISHED


def test_three_readers_send_a_comment_back_to_the_queue(
    client: Client, statement: Statement, still_page_store: float
) -> None:
    comment = published(statement, 1, text="Words three readers dislike.")
    assert "Words three readers dislike." in html(client, "/s/free-them/en/")
    for n in range(1, 4):
        data = report_data(statement, reason="spam", detail=f"Reader {n}")
        response = client.post(_report_url(comment), data, REMOTE_ADDR=f"198.51.{100 + n}.7")
        assert response.status_code == 303
    comment.refresh_from_db()
    assert comment.state == Comment.State.HELD and comment.reasons == "reported"
    assert "Words three readers dislike." not in html(client, "/s/free-them/en/")
    # A report of a comment no longer shown is answered the same, and counts for nothing.
    response = client.post(_report_url(comment), report_data(statement), REMOTE_ADDR="192.0.2.9")
    assert response.status_code == 303 and Report.objects.count() == 3
    assert client.get(_report_url(comment)).status_code == 404


def test_a_robots_report_counts_for_nothing(client: Client, statement: Statement) -> None:
    comment = published(statement, 1)
    response = client.post(_report_url(comment), report_data(statement, website="x"))
    assert response.status_code == 303 and Report.objects.count() == 0
    response = client.post(_report_url(comment), report_data(statement, proof=""))
    assert response.status_code == 303 and Report.objects.count() == 0


def test_a_bad_report_is_shown_again_or_refused(client: Client, statement: Statement) -> None:
    comment = published(statement, 1)
    for bad in ({"reason": "nonsense"}, {"reason": ""}, {"detail": "x" * 501}):
        response = client.post(_report_url(comment), report_data(statement, **bad))
        assert response.status_code == 400, bad
    forged = report_data(statement, form_token="forged")
    assert client.post(_report_url(comment), forged).status_code == 403
    other_site = client.post(
        _report_url(comment), report_data(statement), HTTP_ORIGIN="https://evil.example"
    )
    assert other_site.status_code == 403
    assert Report.objects.count() == 0


def test_closed_comments_may_still_be_reported(client: Client, statement: Statement) -> None:
    from django.utils import timezone

    comment = published(statement, 1)
    set_policy(statement, closed_at=timezone.now())
    assert client.get(_report_url(comment)).status_code == 200
    assert client.post(_report_url(comment), report_data(statement)).status_code == 303
    assert Report.objects.count() == 1
