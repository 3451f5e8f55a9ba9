"""Comments' public pages: writing one (kept unconfirmed and its link emailed, the same answer
for every address, robots' forms held and sent nothing), the statement's and an update's
comments on every language version, keyset pages, the statement's policy (off, closed), and
what no page ever shows: an address, a script."""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from undersigned.comments.models import Comment, CommentPolicy
from undersigned.conftest import make_signature
from undersigned.events.tests.conftest import send_emails
from undersigned.jobs.models import Job
from undersigned.lib import proof
from undersigned.lib.formtoken import issue
from undersigned.statements.models import Statement
from undersigned.statements.queries import forget_all_cached
from undersigned.updates.models import Update, UpdateVersion

URL = "/s/free-them/en/comments/"
SENT = "/s/free-them/en/comments/sent/"
CONFIRM_JOB = "mail.comment_confirm"


def comment_data(statement: Statement, **overrides: Any) -> dict[str, Any]:
    """A comment form as a person's browser sends it: its page loaded a minute ago, the proof
    of work done over the address."""
    data: dict[str, Any] = {
        "form_token": issue(statement.pk, at=time.time() - 60),
        "name": "Rosa Quispe",
        "email": "rosa@example.net",
        "organisation_name": "Sindicato Minero de Arequipa",
        "text": "Desde Arequipa: estamos con ustedes.",
        "consent": "on",
    }
    data.update(overrides)
    if "proof" not in data and isinstance(data.get("email"), str):
        bits = settings.SIGN_PROOF_BITS
        data["proof"] = proof.solve(str(data["form_token"]), data["email"], bits)
    return {key: value for key, value in data.items() if value is not None}


def report_data(statement: Statement, **overrides: Any) -> dict[str, Any]:
    """A report form as a browser sends it: the proof of work is over an empty address."""
    data: dict[str, Any] = {
        "form_token": issue(statement.pk, at=time.time() - 60),
        "reason": "abuse",
        "detail": "",
    }
    data.update(overrides)
    if "proof" not in data:
        data["proof"] = proof.solve(str(data["form_token"]), "", settings.SIGN_PROOF_BITS)
    return data


def published(statement: Statement, n: int = 1, **fields: Any) -> Comment:
    """A published comment number `n`, written straight to the database; later numbers were
    published later."""
    at = timezone.now() - dt.timedelta(minutes=1000 - n)
    values: dict[str, Any] = {
        "organisation_id": statement.organisation_id,
        "statement": statement,
        "language": "en",
        "name": f"Commenter Number{n}",
        "email": f"c{n}@example.org",
        "email_canonical": f"c{n}@example.org",
        "text": f"Words number {n}.",
        "state": Comment.State.PUBLISHED,
        "created_at": at,
        "confirmed_at": at,
        "published_at": at,
    }
    values.update(fields)
    return Comment.objects.create(**values)


def set_policy(statement: Statement, **fields: Any) -> CommentPolicy:
    policy, _created = CommentPolicy.objects.update_or_create(statement=statement, defaults=fields)
    forget_all_cached()
    return policy


def make_update(statement: Statement, **fields: Any) -> Update:
    fields.setdefault("published_at", timezone.now())
    update = Update.objects.create(statement=statement, **fields)
    UpdateVersion.objects.create(update=update, language="en", title="News", body="Big news.")
    UpdateVersion.objects.create(update=update, language="es", title="Noticias", body="¡Noticias!")
    forget_all_cached()
    return update


def html(client: Client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return response.content.decode()


# Writing a comment


def test_a_comment_is_kept_unconfirmed_and_its_link_emailed(
    client: Client, statement: Statement
) -> None:
    response = client.post(URL, comment_data(statement))
    assert (response.status_code, response["Location"]) == (303, SENT)
    comment = Comment.objects.get()
    assert comment.state == Comment.State.UNCONFIRMED and comment.reasons == ""
    assert (comment.language, comment.update, comment.parent) == ("en", None, None)
    assert comment.organisation_name == "Sindicato Minero de Arequipa"
    assert comment.consent_version and comment.consent_at
    emails = send_emails()
    assert [message.to for message in emails] == [["rosa@example.net"]]
    assert "/c/confirm/" in emails[0].body and "/c/manage/" in emails[0].body
    page = html(client, SENT)
    assert "Check your email" in page and "rosa@" not in page


def test_the_answer_is_the_same_for_an_address_that_commented_or_signed_before(
    client: Client, statement: Statement
) -> None:
    published(statement, 1, email="rosa@example.net", email_canonical="rosa@example.net")
    make_signature(statement, 1, email="rosa@example.net", email_canonical="rosa@example.net")
    known = client.post(URL, comment_data(statement))
    unknown = client.post(URL, comment_data(statement, email="new@example.net"))
    assert (known.status_code, known["Location"]) == (unknown.status_code, unknown["Location"])
    assert Job.objects.filter(kind=CONFIRM_JOB).count() == 2


def test_a_comment_on_the_spanish_version_keeps_its_language(
    client: Client, statement: Statement
) -> None:
    response = client.post("/s/free-them/es/comments/", comment_data(statement))
    assert response["Location"] == "/s/free-them/es/comments/sent/"
    assert Comment.objects.get().language == "es"
    assert '<html lang="es"' in html(client, response["Location"])


@pytest.mark.parametrize(
    "bad",
    [
        {"name": ""},
        {"name": "Visit https://evil.example/"},
        {"name": "=HYPERLINK(1)"},
        {"email": "not-an-address"},
        {"consent": None},
        {"text": ""},
        {"text": "   \r\n  "},
        {"text": "x" * 2001},
        {"text": "x" * 100_000},
        {"text": "nul \x00 here"},
        {"organisation_name": "www.spam.example"},
        {"organisation_name": "x" * 201},
    ],
    ids=lambda bad: ",".join(f"{key}:{str(value)[:12]!r}" for key, value in bad.items()),
)
def test_an_invalid_form_is_shown_again_with_its_errors_and_nothing_kept(
    client: Client, statement: Statement, bad: dict[str, Any]
) -> None:
    response = client.post(URL, comment_data(statement, **bad))
    assert response.status_code == 400
    page = response.content.decode()
    assert "Please correct the fields marked below." in page
    assert Comment.objects.count() == 0 and Job.objects.filter(kind=CONFIRM_JOB).count() == 0


def test_a_comment_of_two_thousand_characters_fits_whatever_its_line_breaks(
    client: Client, statement: Statement
) -> None:
    text = ("y" * 98 + "\r\n") * 20  # 2,000 characters as the browser counts them
    response = client.post(URL, comment_data(statement, text=text))
    assert response.status_code == 303
    assert Comment.objects.get().text == text.replace("\r\n", "\n").strip()


def test_an_invalid_form_on_the_spanish_version_answers_in_spanish(
    client: Client, statement: Statement
) -> None:
    response = client.post("/s/free-them/es/comments/", comment_data(statement, consent=None))
    assert response.status_code == 400
    page = response.content.decode()
    assert '<html lang="es"' in page
    assert "Rosa Quispe" in page  # as typed


def test_characters_that_reorder_or_hide_text_are_dropped(
    client: Client, statement: Statement
) -> None:
    text = "Solidarity\u202e!olleh\u2066 \u200dfrom\tLima\ufeff"
    client.post(URL, comment_data(statement, text=text))
    assert Comment.objects.get().text == "Solidarity!olleh \u200dfrom Lima"


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"website": "http://spam.example"}, "honeypot"),
        ({"form_token": issue(1, at=time.time())}, "too_fast"),
        ({"proof": ""}, "no_proof"),
    ],
)
def test_a_robots_form_is_held_and_sent_nothing_with_the_same_answer(
    client: Client, statement: Statement, overrides: dict[str, Any], reason: str
) -> None:
    if "form_token" in overrides:
        overrides = {"form_token": issue(statement.pk, at=time.time())}
    response = client.post(URL, comment_data(statement, **overrides))
    assert (response.status_code, response["Location"]) == (303, SENT)
    comment = Comment.objects.get()
    assert comment.state == Comment.State.UNCONFIRMED and comment.reasons == reason
    assert Job.objects.filter(kind=CONFIRM_JOB).count() == 0


@pytest.mark.parametrize(
    ("overrides", "headers"),
    [
        ({}, {"HTTP_ORIGIN": "https://evil.example"}),
        ({"form_token": "1:forged:token"}, {}),
        ({"form_token": None}, {}),
        ({"form_token": issue("event-1", at=time.time() - 60)}, {}),
    ],
    ids=["other-site", "forged", "missing", "another-form's"],
)
def test_a_form_from_another_site_or_with_a_bad_token_is_refused(
    client: Client, statement: Statement, overrides: dict[str, Any], headers: dict[str, str]
) -> None:
    response = client.post(URL, comment_data(statement, **overrides), **headers)
    assert response.status_code == 403
    assert "could not be accepted" in response.content.decode()
    assert Comment.objects.count() == 0


def test_an_old_page_shows_the_form_again_as_typed_with_a_fresh_token(
    client: Client, statement: Statement
) -> None:
    old = issue(statement.pk, at=time.time() - 4 * 24 * 3600)
    response = client.post(URL, comment_data(statement, form_token=old))
    assert response.status_code == 400
    page = response.content.decode()
    assert "This page was open for a long time" in page
    assert 'value="Rosa Quispe"' in page and old not in page
    assert Comment.objects.count() == 0


def test_the_statement_page_links_to_the_comment_form_and_sets_no_cookie(
    client: Client, statement: Statement
) -> None:
    response = client.get("/s/free-them/en/")
    page = response.content.decode()
    assert '<section class="comments" id="comments"' in page
    # Its one form with a name and an address is the sign form: the comment form, with the
    # same fields, is a click away, where no signer takes it for the sign form.
    assert 'class="comment-form"' not in page
    assert 'href="/s/free-them/en/comments/#comment-form-heading"' in page
    assert page.count("js/sign.js") == 1
    assert "No comments yet. Be the first to write one." in page
    assert not response.cookies and response["Cache-Control"].startswith("public")
    # The comments come after the signers and the share links.
    assert page.index('id="share-heading"') < page.index('id="comments"')


def test_the_comments_page_carries_the_form_with_its_token_and_no_cookie(
    client: Client, statement: Statement
) -> None:
    response = client.get("/s/free-them/en/comments/")
    page = response.content.decode()
    assert 'action="/s/free-them/en/comments/"' in page and 'name="website"' in page
    assert 'data-proof-bits="6"' in page
    assert page.count("js/sign.js") == 1
    assert not response.cookies and response["Cache-Control"].startswith("public")


def test_a_form_posted_from_the_cached_comments_page_is_kept(
    client: Client, statement: Statement, still_page_store: float
) -> None:
    page = client.get("/s/free-them/en/comments/").content.decode()
    token = page.split('name="form_token" value="', 1)[1].split('"', 1)[0]
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(settings, "SIGN_MIN_SECONDS", 0)
        response = client.post(URL, comment_data(statement, form_token=token))
    assert response.status_code == 303
    assert Comment.objects.get().reasons == ""


# Showing comments


def test_a_comment_shows_on_both_versions_with_its_language_labelled(
    client: Client, statement: Statement
) -> None:
    published(
        statement,
        1,
        language="es",
        name="Rosa Quispe",
        organisation_name="Sindicato Minero",
        is_signatory=True,
        text="Estamos con ustedes.",
    )
    english = html(client, "/s/free-them/en/")
    assert "Rosa Quispe" in english and "Sindicato Minero" in english
    assert "Written in español (es)" in english
    assert '<div class="comment-text" lang="es" dir="auto"><p>Estamos con ustedes.</p>' in english
    assert "Signed the statement" in english and ">RQ</span>" in english
    spanish = html(client, "/s/free-them/es/")
    assert "Estamos con ustedes." in spanish and 'class="language"' not in spanish


def test_the_organisers_answer_and_pinned_comments_are_set_apart(
    client: Client, statement: Statement
) -> None:
    old = published(statement, 1, text="An old comment.", pinned_at=timezone.now())
    new = published(statement, 2, text="A new comment.")
    published(
        statement, 3, parent=new, name="Red Estudiantil", by_organisation=True, email="", text="Ok"
    )
    page = html(client, "/s/free-them/en/")
    assert page.index(f'id="comment-{old.pk}"') < page.index(f'id="comment-{new.pk}"')
    assert "Pinned" in page
    assert '<article class="comment by-organisation"' in page and "organisers" in page


def test_a_comment_is_escaped_and_its_links_followed_by_nobody(
    client: Client, statement: Statement
) -> None:
    published(
        statement,
        1,
        name='<img src=x onerror="alert(1)">',
        organisation_name="<b>Org</b>",
        text='<script>alert("x")</script> see https://example.org/a?b=1&c="x" now',
    )
    page = html(client, "/s/free-them/en/")
    assert "<script>alert" not in page and "&lt;script&gt;alert" in page
    assert "<img src=x" not in page and "<b>Org</b>" not in page
    assert 'rel="nofollow ugc noopener noreferrer"' in page
    assert 'onerror="alert' not in page


def test_no_address_is_on_any_public_page(client: Client, statement: Statement) -> None:
    update = make_update(statement)
    parent = published(
        statement,
        1,
        email="hidden.person@example.org",
        email_canonical="hidden.person@example.org",
        pinned_at=timezone.now(),
        notify_replies=True,
    )
    published(statement, 2, parent=parent, email="replier@example.org")
    on_update = published(statement, 3, update=update, email="updater@example.org")
    urls = [
        "/s/free-them/en/",
        "/s/free-them/es/",
        URL,
        "/s/free-them/es/comments/",
        f"/s/free-them/en/comments/{parent.pk}/reply/",
        f"/s/free-them/en/comments/{parent.pk}/report/",
        f"/s/free-them/en/comments/{on_update.pk}/reply/",
        f"/s/free-them/en/updates/{update.pk}/",
        f"/s/free-them/en/updates/{update.pk}/comments/",
        "/s/free-them/en/updates.atom",
        "/s/free-them/en/updates.json",
    ]
    for url in urls:
        page = client.get(url).content.decode()
        assert "@example.org" not in page and "hidden.person" not in page, url


def test_the_update_page_shows_its_comments_and_the_statement_page_its_own(
    client: Client, statement: Statement
) -> None:
    update = make_update(statement)
    published(statement, 1, text="On the statement.")
    published(statement, 2, update=update, text="On the update.")
    statement_page = html(client, "/s/free-them/en/")
    assert "On the statement." in statement_page and "On the update." not in statement_page
    update_page = html(client, f"/s/free-them/es/updates/{update.pk}/")
    assert "On the update." in update_page and "On the statement." not in update_page
    assert f'action="/s/free-them/es/updates/{update.pk}/comments/"' in update_page
    listed = html(client, f"/s/free-them/en/updates/{update.pk}/comments/")
    assert "On the update." in listed and "On the statement." not in listed
    response = client.post(
        f"/s/free-them/en/updates/{update.pk}/comments/", comment_data(statement)
    )
    assert response.status_code == 303
    assert Comment.objects.get(state=Comment.State.UNCONFIRMED).update == update


def test_an_unpublished_update_has_no_comments_page(client: Client, statement: Statement) -> None:
    draft = make_update(statement, published_at=None)
    other = Statement.objects.create(
        organisation=statement.organisation, slug="other", status=Statement.Status.OPEN
    )
    elsewhere = make_update(other)
    for pk in (draft.pk, elsewhere.pk, 999_999_999_999_999_999):
        assert client.get(f"/s/free-them/en/updates/{pk}/comments/").status_code == 404
        response = client.post(f"/s/free-them/en/updates/{pk}/comments/", comment_data(statement))
        assert response.status_code == 404
    assert Comment.objects.count() == 0


def test_a_deleted_comment_holds_its_replies_under_a_placeholder(
    client: Client, statement: Statement
) -> None:
    gone = published(statement, 1, state=Comment.State.DELETED, name="", email="", text="")
    published(statement, 2, parent=gone, text="A reply that stays.")
    published(statement, 3, state=Comment.State.DELETED, name="", email="", text="")
    page = html(client, "/s/free-them/en/")
    assert page.count("Deleted by its writer.") == 1
    assert "A reply that stays." in page
    # Nothing more to answer there.
    assert f"/comments/{gone.pk}/reply/" not in page


def test_held_rejected_and_unconfirmed_comments_are_not_shown(
    client: Client, statement: Statement
) -> None:
    for n, state in enumerate(("held", "rejected", "spam", "hidden", "unconfirmed"), start=1):
        published(statement, n, state=state, text=f"Not shown {state}.")
    page = html(client, "/s/free-them/en/")
    assert "Not shown" not in page
    assert "No comments yet. Be the first to write one." in page


# Pages of comments


def test_the_statement_page_shows_the_latest_and_links_to_the_rest(
    client: Client, statement: Statement
) -> None:
    for n in range(1, 26):
        published(statement, n)
    page = html(client, "/s/free-them/en/")
    assert "Words number 25." in page and "Words number 16." in page
    assert "Words number 15." not in page
    assert 'href="/s/free-them/en/comments/">All 25 comments</a>' in page


def _cursor(page: str, rel: str) -> str:
    """The cursor of the pager's link to the next (older) or previous (newer) page."""
    return page.split(f'rel="{rel}" href="?', 1)[1].split("=", 1)[1].split('"', 1)[0]


def test_the_comments_page_goes_back_in_keyset_pages(client: Client, statement: Statement) -> None:
    comments = [published(statement, n) for n in range(1, 46)]
    first = html(client, URL)
    assert "Words number 45." in first and "Words number 26." in first
    assert "Words number 25." not in first
    second = html(client, f"{URL}?before={_cursor(first, 'next')}")
    assert "Words number 25." in second and "Words number 6." in second
    assert "Words number 26." not in second and "Words number 5." not in second
    back = html(client, f"{URL}?after={_cursor(second, 'prev')}")
    assert "Words number 45." in back and "Words number 26." in back
    last = html(client, f"{URL}?before={_cursor(second, 'next')}")
    assert "Words number 1." in last and 'rel="next"' not in last
    assert len(comments) == 45


@pytest.mark.parametrize(
    "query",
    [
        "before=abc",
        "before=" + "9" * 40 + "-1",
        "after=1-" + "9" * 40,
        "before=-",
        "before=%C2%B2-1",
        "after=99999999999999999-999999999999999999",
        "before=1-",
        "before=1&before=2",
    ],
)
def test_a_cursor_typed_by_hand_is_never_an_error(
    client: Client, statement: Statement, query: str
) -> None:
    published(statement, 1)
    assert client.get(f"{URL}?{query}").status_code == 200


def test_the_statement_page_reads_comments_in_a_fixed_number_of_queries(
    client: Client, statement: Statement
) -> None:
    parent = published(statement, 0)
    published(statement, 1, parent=parent)
    forget_all_cached()
    with CaptureQueriesContext(connection) as few:
        client.get("/s/free-them/en/")
    for n in range(2, 40):
        comment = published(statement, n, pinned_at=timezone.now() if n % 10 == 0 else None)
        published(statement, 100 + n, parent=comment)
    forget_all_cached()
    with CaptureQueriesContext(connection) as many:
        client.get("/s/free-them/en/")
    assert len(many) == len(few)
    comments = [sql for sql in (query["sql"] for query in many) if 'FROM "comments_comment"' in sql]
    # The threads with the count of everything published, and their replies.
    assert len(comments) == 2


def test_the_comments_page_is_served_from_the_page_cache(
    client: Client, statement: Statement, still_page_store: float
) -> None:
    first = client.get(URL)
    assert first["Cache-Control"] == "public, max-age=2"
    published(statement, 1)  # behind the application's back
    with CaptureQueriesContext(connection) as queries:
        again = client.get(URL)
    assert len(queries) == 0 and again.content == first.content


# The statement's policy


def test_with_comments_off_nothing_shows_and_a_form_is_refused(
    client: Client, statement: Statement
) -> None:
    published(statement, 1, text="From before they were turned off.")
    set_policy(statement, mode=CommentPolicy.Mode.OFF)
    page = html(client, "/s/free-them/en/")
    assert 'id="comments"' not in page and "From before" not in page
    assert "css/comments.css" not in page
    assert client.get(URL).status_code == 404
    response = client.post(URL, comment_data(statement))
    assert response.status_code == 403 and "Comments are closed" in response.content.decode()
    assert Comment.objects.count() == 1


def test_closed_comments_stay_shown_without_a_form(client: Client, statement: Statement) -> None:
    comment = published(statement, 1, text="Said while open.")
    set_policy(statement, closed_at=timezone.now())
    for url in ("/s/free-them/en/", URL, f"/s/free-them/en/comments/{comment.pk}/reply/"):
        page = html(client, url)
        assert "Said while open." in page and "Comments are closed." in page
        assert 'name="text"' not in page and ">Reply</a>" not in page
    response = client.post(URL, comment_data(statement))
    assert response.status_code == 403
    assert Comment.objects.count() == 1


def test_a_draft_statement_takes_no_comments(
    organiser_client: Client, statement: Statement
) -> None:
    Statement.objects.filter(pk=statement.pk).update(status=Statement.Status.DRAFT)
    forget_all_cached()
    page = organiser_client.get("/s/free-them/en/").content.decode()
    assert 'id="comments"' not in page
    response = organiser_client.post(URL, comment_data(statement))
    assert response.status_code == 403 and Comment.objects.count() == 0
    assert Client().get(URL).status_code == 404
