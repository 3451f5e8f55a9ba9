"""The links emailed to a commenter: confirming (a button, only its POST confirms), then
published or waiting by the statement's policy; changing the words within the edit window,
deleting, no more emails about replies; unknown links; the tokens blanked in log lines."""

from __future__ import annotations

import datetime as dt
import re

import time_machine
from django.test import Client
from django.utils import timezone

from undersigned.comments import actions
from undersigned.comments.models import Comment, CommentPolicy
from undersigned.events.tests.conftest import link, send_emails
from undersigned.lib.logfilter import redact
from undersigned.public.tests.test_comments import (
    URL,
    comment_data,
    html,
    published,
    set_policy,
)
from undersigned.statements.models import Statement


def _write(client: Client, statement: Statement, url: str = URL, **overrides: str) -> Comment:
    """A comment sent from the page; its confirm and manage links read from its email."""
    assert client.post(url, comment_data(statement, **overrides)).status_code == 303
    return Comment.objects.latest("pk")


def _links(client: Client, statement: Statement, url: str = URL, **overrides: str) -> list[str]:
    _write(client, statement, url, **overrides)
    [message] = send_emails()
    return [link(message, r"/c/confirm/[-\w]+/"), link(message, r"/c/manage/[-\w]+/")]


def test_the_link_shows_a_button_and_only_its_post_confirms(
    client: Client, statement: Statement
) -> None:
    confirm, _manage = _links(client, statement)
    page = client.get(confirm)
    assert page.status_code == 200 and "no-store" in page["Cache-Control"]
    text = page.content.decode()
    assert "Desde Arequipa: estamos con ustedes." in text and "Confirm my comment" in text
    assert "rosa@" not in text
    assert Comment.objects.get().state == Comment.State.UNCONFIRMED
    answer = client.post(confirm)
    assert answer.status_code == 200
    assert "Your comment waits for the moderators" in answer.content.decode()
    comment = Comment.objects.get()
    assert comment.state == Comment.State.HELD and comment.confirmed_at is not None
    # Used: the link now says it does not work.
    again = client.get(confirm)
    assert again.status_code == 404 and "This link does not work" in again.content.decode()


def test_published_at_once_where_the_statement_allows_it_and_shown_at_once(
    client: Client, statement: Statement, still_page_store: float
) -> None:
    set_policy(statement, mode=CommentPolicy.Mode.POST, hold_first=False, hold_links=True)
    client.get("/s/free-them/es/")  # stored by the page cache
    confirm, _manage = _links(client, statement, "/s/free-them/es/comments/")
    answer = client.post(confirm).content.decode()
    comment = Comment.objects.get()
    assert comment.state == Comment.State.PUBLISHED
    assert f'href="/s/free-them/es/#comment-{comment.pk}"' in answer
    # The confirmation dropped this process's stored pages of the statement.
    assert "Desde Arequipa" in html(client, "/s/free-them/es/")
    english = html(client, "/s/free-them/en/")
    assert "Desde Arequipa" in english and "Written in español (es)" in english


def test_a_comment_with_a_link_waits_under_post_moderation(
    client: Client, statement: Statement
) -> None:
    set_policy(statement, mode=CommentPolicy.Mode.POST, hold_first=False, hold_links=True)
    confirm, _manage = _links(client, statement, text="Read https://example.org/spam now")
    client.post(confirm)
    comment = Comment.objects.get()
    assert comment.state == Comment.State.HELD and comment.reasons == "link"


def test_a_signer_who_asked_is_shown_as_one(client: Client, statement: Statement) -> None:
    from undersigned.conftest import make_signature

    set_policy(statement, mode=CommentPolicy.Mode.POST, hold_first=False)
    make_signature(statement, 1, email="rosa@example.net", email_canonical="rosa@example.net")
    confirm, _manage = _links(client, statement, wants_signatory="on")
    client.post(confirm)
    assert Comment.objects.get().is_signatory
    assert "Signed the statement" in html(client, "/s/free-them/en/")


def test_an_unknown_or_expired_link_gets_a_friendly_page(
    client: Client, statement: Statement
) -> None:
    for url in ("/c/confirm/not-a-real-token-000000/", "/c/manage/not-a-real-token-000000/"):
        for response in (client.get(url), client.post(url)):
            assert response.status_code == 404
            assert "This link does not work" in response.content.decode()
    confirm, _manage = _links(client, statement)
    with time_machine.travel(timezone.now() + dt.timedelta(days=8)):
        assert client.get(confirm).status_code == 404
        assert client.post(confirm).status_code == 404
    assert Comment.objects.get().state == Comment.State.UNCONFIRMED


def test_the_writer_changes_the_words_within_the_window(
    client: Client, statement: Statement
) -> None:
    confirm, manage = _links(client, statement)
    page = html(client, manage)
    assert "until you confirm your comment, and for 15 minutes after" in page
    client.post(confirm)
    page = html(client, manage)
    assert "Waiting for the moderators." in page and "15 more minutes" in page
    response = client.post(manage, {"action": "edit", "text": "Better words."})
    assert (response.status_code, response["Location"]) == (303, f"{manage}?done=edited")
    assert Comment.objects.get().text == "Better words."
    assert "Your changes are saved." in html(client, response["Location"])
    invalid = client.post(manage, {"action": "edit", "text": "x" * 2001})
    assert invalid.status_code == 400 and Comment.objects.get().text == "Better words."


def test_after_the_window_the_words_stay_and_the_comment_may_still_be_deleted(
    client: Client, statement: Statement
) -> None:
    confirm, manage = _links(client, statement)
    client.post(confirm)
    with time_machine.travel(timezone.now() + dt.timedelta(minutes=16)):
        page = html(client, manage)
        assert 'name="text"' not in page and "The time to change your words has passed" in page
        response = client.post(manage, {"action": "edit", "text": "Too late."})
        assert response.status_code == 409
        assert Comment.objects.get().text == "Desde Arequipa: estamos con ustedes."
        assert "Delete my comment" in page


def test_a_published_comment_changed_is_shown_changed_at_once(
    client: Client, statement: Statement, still_page_store: float
) -> None:
    set_policy(statement, mode=CommentPolicy.Mode.POST, hold_first=False)
    confirm, manage = _links(client, statement)
    client.post(confirm)
    assert "Desde Arequipa" in html(client, "/s/free-them/en/")
    client.post(manage, {"action": "edit", "text": "Desde Lima, también."})
    page = html(client, "/s/free-them/en/")
    assert "Desde Lima, también." in page and "edited" in page


def test_deleting_asks_first_then_leaves_nothing_of_the_writer(
    client: Client, statement: Statement, still_page_store: float
) -> None:
    set_policy(statement, mode=CommentPolicy.Mode.POST, hold_first=False)
    confirm, manage = _links(client, statement)
    client.post(confirm)
    assert "Desde Arequipa" in html(client, "/s/free-them/en/")
    asked = client.post(manage, {"action": "delete"})
    assert asked.status_code == 200 and "Yes, delete it" in asked.content.decode()
    assert Comment.objects.get().state == Comment.State.PUBLISHED
    done = client.post(manage, {"action": "delete", "confirm": "yes"})
    assert done.status_code == 200 and "Your comment is deleted" in done.content.decode()
    comment = Comment.objects.get()
    assert comment.state == Comment.State.DELETED
    assert (comment.name, comment.email, comment.text) == ("", "", "")
    # Gone from the page at once, and the link no longer works.
    assert "Desde Arequipa" not in html(client, "/s/free-them/en/")
    assert client.get(manage).status_code == 404


def test_the_writer_stops_the_emails_about_replies(client: Client, statement: Statement) -> None:
    _confirm, manage = _links(client, statement, notify_replies="on")
    assert Comment.objects.get().notify_replies
    assert "Stop emailing me replies" in html(client, manage)
    response = client.post(manage, {"action": "stop_replies"})
    assert response.status_code == 303
    assert not Comment.objects.get().notify_replies
    page = html(client, response["Location"])
    assert "We will not email you about replies any more." in page
    assert "Stop emailing me replies" not in page


def test_the_pages_of_the_links_are_in_the_comments_language(
    client: Client, statement: Statement
) -> None:
    confirm, manage = _links(client, statement, "/s/free-them/es/comments/")
    assert '<html lang="es"' in html(client, confirm)
    assert '<html lang="es"' in html(client, manage)


def test_an_unknown_action_changes_nothing(client: Client, statement: Statement) -> None:
    _confirm, manage = _links(client, statement)
    assert client.post(manage, {"action": "nonsense"}).status_code == 400
    assert client.post(manage, {}).status_code == 400
    assert Comment.objects.get().state == Comment.State.UNCONFIRMED


def test_the_links_need_the_sites_own_csrf_token(statement: Statement) -> None:
    client = Client(enforce_csrf_checks=True)
    comment = published(statement, 1)
    token = actions._manage_token(comment)
    response = client.post(f"/c/manage/{token}/", {"action": "delete", "confirm": "yes"})
    assert response.status_code == 403
    assert Comment.objects.get().state == Comment.State.PUBLISHED


def test_the_tokens_of_the_links_are_blanked_in_log_lines() -> None:
    token = "Zk3v0aQ9x_LmN2pR7tUvWx"
    assert redact(f"Not Found: /c/confirm/{token}/") == "Not Found: /c/confirm/[token]/"
    assert redact(f"POST /c/manage/{token}/ 303") == "POST /c/manage/[token]/ 303"
    # Pages named "manage" hold no secret.
    assert redact("/s/free-them/manage/signatures.csv") == "/s/free-them/manage/signatures.csv"
    assert not re.search(token, redact(f"https://x.example/c/manage/{token}/?done=edited"))
