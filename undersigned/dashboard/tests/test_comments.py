"""The organisers' side of comments: the moderation queue with its filters, each comment's
buttons and the bulk action, the reply as the organisation, hiding a commenter everywhere, the
list of all comments (pin, reject, publish again) and the forms held before confirmation
(released or discarded after a page that asks). Each change goes through the comments' verbs,
so each is in the audit log; no page shows a commenter's address."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from undersigned.audit.models import AuditLog
from undersigned.comments.models import Comment, HiddenCommenter, Report
from undersigned.jobs.models import Job
from undersigned.organisations.models import Organisation
from undersigned.statements.models import Statement, StatementVersion
from undersigned.updates.models import Update, UpdateVersion

State = Comment.State
QUEUE = "/dashboard/o/red-estudiantil/comments/"
LIST = QUEUE + "all/"
HELD = QUEUE + "held/"

_numbers = itertools.count(1)


def make_comment(statement: Statement, **fields: Any) -> Comment:
    """A comment written straight to the database: confirmed and waiting for a moderator,
    with an address of its own, unless told otherwise."""
    n = next(_numbers)
    now = timezone.now()
    values: dict[str, Any] = {
        "organisation_id": statement.organisation_id,
        "statement": statement,
        "language": "es",
        "name": f"Commenter {n}",
        "email": f"commenter{n}@secret.example",
        "email_canonical": f"commenter{n}@secret.example",
        "text": f"Words of solidarity number {n}",
        "state": State.HELD,
        "reasons": "pre",
        "created_at": now,
        "confirmed_at": now,
        "held_at": now,
    }
    values.update(fields)
    if values["state"] == State.PUBLISHED:
        values.setdefault("published_at", now)
        values["reasons"] = fields.get("reasons", "")
    return Comment.objects.create(**values)


def other_statement() -> Statement:
    """Another organisation's statement, with a comment of its own waiting."""
    other = Organisation.objects.create(name="Other Union", slug="other-union")
    statement = Statement.objects.create(
        organisation=other, slug="elsewhere", status="open", default_language="en"
    )
    StatementVersion.objects.create(statement=statement, language="en", title="Elsewhere")
    return statement


def actions_of(kind: str) -> list[AuditLog]:
    return list(AuditLog.objects.filter(action=kind).order_by("pk"))


def _state(comment: Comment) -> str:
    comment.refresh_from_db()
    return str(comment.state)


def test_the_queue_shows_what_waits_oldest_first_with_why(
    member_client: Client, statement: Statement
) -> None:
    earlier = timezone.now() - timezone.timedelta(hours=2)
    parent = make_comment(statement, state=State.PUBLISHED, text="The first words here")
    later = make_comment(statement, reasons="first,link", parent=parent, is_signatory=True)
    first = make_comment(statement, held_at=earlier, organisation_name="Miners' Union")
    reported = make_comment(statement, state=State.HELD, reasons="reported")
    Report.objects.create(comment=reported, reason="abuse", detail="Insults a person", client="x")
    make_comment(statement, state=State.REJECTED)
    make_comment(statement, state=State.UNCONFIRMED, reasons="", held_at=None)
    response = member_client.get(QUEUE)
    assert response.status_code == 200
    items = [item.comment for item in response.context["items"]]
    assert items == [first, later, reported]
    text = response.content.decode()
    assert "3 comments wait for a moderator." in text
    assert "Free them" in text or "Libertad para ellos" in text
    assert "Miners&#x27; Union" in text
    assert "first comment from this address; contains a link" in text
    assert "In reply to " + parent.name in text and "The first words here" in text
    assert "Signed the statement" in text
    assert "Abusive, hateful or threatening" in text and "Insults a person" in text
    assert "español (es)" in text
    assert "@secret.example" not in text


def test_a_comment_on_an_update_says_which(member_client: Client, statement: Statement) -> None:
    update = Update.objects.create(statement=statement, published_at=timezone.now())
    UpdateVersion.objects.create(update=update, language="es", title="Huelga el viernes")
    make_comment(statement, update=update)
    text = member_client.get(QUEUE).content.decode()
    assert "Huelga el viernes" in text


def test_the_text_is_shown_escaped_with_its_links_inert(
    member_client: Client, statement: Statement
) -> None:
    make_comment(statement, text="<script>alert(1)</script> see https://example.org/x")
    text = member_client.get(QUEUE).content.decode()
    assert "<script>alert(1)" not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert 'rel="nofollow ugc noopener noreferrer"' in text


def test_the_queue_filters_by_statement_and_by_reason(
    member_client: Client, statement: Statement
) -> None:
    second = Statement.objects.create(
        organisation=statement.organisation, slug="second", status="open", default_language="en"
    )
    on_first = make_comment(statement, reasons="pre,link")
    on_second = make_comment(second, reasons="first")
    both = member_client.get(QUEUE)
    assert [i.comment for i in both.context["items"]] == [on_first, on_second]
    only = member_client.get(QUEUE + "?statement=second")
    assert [i.comment for i in only.context["items"]] == [on_second]
    links = member_client.get(QUEUE + "?reason=link")
    assert [i.comment for i in links.context["items"]] == [on_first]
    # Not one of the choices: nothing listed, the filter's error said, never a 500.
    wrong = member_client.get(QUEUE + "?statement=nope&reason=%00")
    assert wrong.status_code == 200
    assert wrong.context["items"] == []
    assert "Select a valid choice" in wrong.content.decode()


def test_the_queue_pages_by_fifty(member_client: Client, statement: Statement) -> None:
    comments = [make_comment(statement) for _ in range(51)]
    first = member_client.get(QUEUE)
    assert len(first.context["items"]) == 50
    assert "Page 1 of 2" in first.content.decode()
    second = member_client.get(QUEUE + "?page=2")
    assert [item.comment for item in second.context["items"]] == comments[50:]
    assert member_client.get(QUEUE + "?page=x").status_code == 200


def test_one_button_approves_and_comes_back_to_the_same_filters(
    member_client: Client, member: User, statement: Statement
) -> None:
    comment = make_comment(statement)
    response = member_client.post(
        QUEUE + "?statement=free-them", {"comment": comment.pk, "action": "approve"}
    )
    assert response.status_code == 303
    assert response["Location"] == QUEUE + "?statement=free-them"
    assert _state(comment) == State.PUBLISHED
    (row,) = actions_of("comment.approved")
    assert (row.actor, row.object_id) == (member, comment.pk)
    page = member_client.get(response["Location"]).content.decode()
    assert "1 comment approved: it is published." in page


@pytest.mark.parametrize(
    ("action", "state", "audited"),
    [("reject", State.REJECTED, "comment.rejected"), ("spam", State.SPAM, "comment.spam")],
)
def test_the_bulk_action_applies_to_every_comment_chosen(
    member_client: Client, statement: Statement, action: str, state: str, audited: str
) -> None:
    chosen = [make_comment(statement), make_comment(statement)]
    left = make_comment(statement)
    response = member_client.post(QUEUE, {"comment": [c.pk for c in chosen], "action": action})
    assert response.status_code == 303
    assert [_state(c) for c in chosen] == [state, state]
    assert _state(left) == State.HELD
    assert sorted(row.object_id for row in actions_of(audited)) == sorted(c.pk for c in chosen)


def test_a_comment_another_moderator_dealt_with_is_left_and_said(
    member_client: Client, statement: Statement
) -> None:
    waiting = make_comment(statement)
    done = make_comment(statement, state=State.PUBLISHED)
    response = member_client.post(
        QUEUE, {"comment": [waiting.pk, done.pk], "action": "approve"}, follow=True
    )
    text = response.content.decode()
    assert "1 comment approved" in text
    assert "1 comment was left as it was" in text
    assert len(actions_of("comment.approved")) == 1


def test_bad_choices_are_errors_not_changes(member_client: Client, statement: Statement) -> None:
    comment = make_comment(statement)
    for data in (
        {},
        {"comment": comment.pk},
        {"comment": comment.pk, "action": "delete"},
        {"comment": "1;drop", "action": "approve"},
        {"action": "approve"},
    ):
        response = member_client.post(QUEUE, data)
        assert response.status_code == 400, data
        assert "Nothing changed:" in response.content.decode()
    assert _state(comment) == State.HELD
    assert member_client.post(QUEUE, {"comment": 10**20, "action": "approve"}).status_code == 400


def test_another_organisations_comment_is_not_found(
    member_client: Client, statement: Statement
) -> None:
    ours = make_comment(statement)
    theirs = make_comment(other_statement())
    response = member_client.post(QUEUE, {"comment": [ours.pk, theirs.pk], "action": "reject"})
    assert response.status_code == 404
    assert (_state(ours), _state(theirs)) == (State.HELD, State.HELD)
    for page in ("reply", "hide"):
        assert member_client.get(f"{QUEUE}{theirs.pk}/{page}/").status_code == 404
        assert member_client.post(f"{QUEUE}{theirs.pk}/{page}/", {"text": "x"}).status_code == 404
    assert member_client.get(f"{QUEUE}{10**9}/reply/").status_code == 404
    assert _state(theirs) == State.HELD
    assert not HiddenCommenter.objects.exists()


def test_approve_and_reply_publishes_both_under_the_organisations_name(
    member_client: Client, member: User, statement: Statement
) -> None:
    comment = make_comment(statement, text="¿Dónde es la marcha?")
    page = member_client.get(f"{QUEUE}{comment.pk}/reply/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "¿Dónde es la marcha?" in text
    assert "Approve and publish the reply" in text
    assert page.context["form"]["language"].value() == "es"
    response = member_client.post(
        f"{QUEUE}{comment.pk}/reply/", {"text": "En la plaza, a las seis.", "language": "es"}
    )
    assert response.status_code == 303
    assert response["Location"] == QUEUE
    assert _state(comment) == State.PUBLISHED
    reply = Comment.objects.get(parent=comment)
    assert (reply.by_organisation, reply.state, reply.name, reply.author) == (
        True,
        State.PUBLISHED,
        "Red Estudiantil",
        member,
    )
    assert (reply.text, reply.language, reply.email) == ("En la plaza, a las seis.", "es", "")
    assert [row.object_id for row in actions_of("comment.approved")] == [comment.pk]
    assert [row.object_id for row in actions_of("comment.replied")] == [reply.pk]


def test_a_held_reply_is_approved_and_answered_under_its_thread(
    member_client: Client, statement: Statement
) -> None:
    thread = make_comment(statement, state=State.PUBLISHED)
    held = make_comment(statement, parent=thread)
    response = member_client.post(
        f"{QUEUE}{held.pk}/reply/?from=list", {"text": "Thank you both.", "language": "en"}
    )
    assert response.status_code == 303
    assert response["Location"] == LIST
    assert _state(held) == State.PUBLISHED
    assert Comment.objects.get(by_organisation=True).parent == thread


def test_a_reply_needs_words_and_a_language_of_the_statement(
    member_client: Client, statement: Statement
) -> None:
    comment = make_comment(statement)
    for data in ({"text": "   ", "language": "es"}, {"text": "Yes", "language": "xx"}):
        response = member_client.post(f"{QUEUE}{comment.pk}/reply/", data)
        assert response.status_code == 400
    response = member_client.post(
        f"{QUEUE}{comment.pk}/reply/", {"text": "x" * 2001, "language": "es"}
    )
    assert response.status_code == 400
    assert _state(comment) == State.HELD
    assert not Comment.objects.filter(by_organisation=True).exists()


def test_a_rejected_comment_is_not_answered(member_client: Client, statement: Statement) -> None:
    comment = make_comment(statement, state=State.REJECTED)
    response = member_client.post(f"{QUEUE}{comment.pk}/reply/", {"text": "Hi", "language": "es"})
    assert response.status_code == 303
    assert not Comment.objects.filter(by_organisation=True).exists()


def test_hiding_a_commenter_asks_then_hides_all_their_comments(
    member_client: Client, member: User, statement: Statement
) -> None:
    comment = make_comment(statement, name="Troll")
    same = {"email": comment.email, "email_canonical": comment.email_canonical}
    published = make_comment(statement, state=State.PUBLISHED, name="Troll Two", **same)
    other = make_comment(statement, state=State.PUBLISHED)
    page = member_client.get(f"{QUEUE}{comment.pk}/hide/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "Hide Troll everywhere?" in text
    assert "2 comments from this commenter" in text
    assert "Troll Two" not in text and "@secret.example" not in text
    assert _state(comment) == State.HELD
    response = member_client.post(f"{QUEUE}{comment.pk}/hide/")
    assert response.status_code == 303
    assert (_state(comment), _state(published), _state(other)) == (
        State.HIDDEN,
        State.HIDDEN,
        State.PUBLISHED,
    )
    hidden = HiddenCommenter.objects.get()
    assert (hidden.name, hidden.hidden_by) == ("Troll", member)
    (row,) = actions_of("comment.commenter_hidden")
    assert row.data["comments"] == 2


def test_the_organisations_own_reply_has_no_commenter_to_hide(
    member_client: Client, statement: Statement
) -> None:
    reply = make_comment(
        statement, state=State.PUBLISHED, by_organisation=True, email="", email_canonical=""
    )
    response = member_client.post(f"{QUEUE}{reply.pk}/hide/")
    assert response.status_code == 303
    assert not HiddenCommenter.objects.exists()
    assert "Hide this commenter" not in member_client.get(LIST).content.decode()


def test_the_list_shows_every_confirmed_comment_with_what_can_be_done(
    member_client: Client, statement: Statement
) -> None:
    published = make_comment(statement, state=State.PUBLISHED, text="Published words")
    rejected = make_comment(statement, state=State.REJECTED, text="Rejected words")
    unconfirmed = make_comment(statement, state=State.UNCONFIRMED, text="Not confirmed")
    response = member_client.get(LIST)
    assert response.status_code == 200
    shown = [item.comment for item in response.context["items"]]
    assert shown == [rejected, published]
    assert unconfirmed not in shown
    text = response.content.decode()
    assert 'value="pin"' in text and "Publish again" in text
    only = member_client.get(LIST + "?state=rejected")
    assert [item.comment for item in only.context["items"]] == [rejected]
    found = member_client.get(LIST + "?q=published+WORDS")
    assert [item.comment for item in found.context["items"]] == [published]
    # The address is not searched: nobody learns who commented by trying one.
    assert member_client.get(LIST + "?q=secret.example").context["items"] == []
    assert member_client.get(LIST + "?state=nope").status_code == 200


def test_pin_unpin_reject_and_publish_again_from_the_list(
    member_client: Client, statement: Statement
) -> None:
    comment = make_comment(statement, state=State.PUBLISHED)
    for action, check in (
        ("pin", lambda c: c.pinned_at is not None),
        ("unpin", lambda c: c.pinned_at is None),
        ("reject", lambda c: c.state == State.REJECTED),
        ("approve", lambda c: c.state == State.PUBLISHED),
        ("spam", lambda c: c.state == State.SPAM),
    ):
        response = member_client.post(
            LIST + "?state=published", {"comment": comment.pk, "action": action}
        )
        assert response.status_code == 303
        assert response["Location"] == LIST + "?state=published"
        comment.refresh_from_db()
        assert check(comment), action
    assert [
        row.action for row in AuditLog.objects.filter(action__startswith="comment.").order_by("pk")
    ] == [
        "comment.pinned",
        "comment.unpinned",
        "comment.rejected",
        "comment.approved",
        "comment.spam",
    ]


def test_a_reply_cannot_be_pinned(member_client: Client, statement: Statement) -> None:
    parent = make_comment(statement, state=State.PUBLISHED)
    reply = make_comment(statement, state=State.PUBLISHED, parent=parent)
    member_client.post(LIST, {"comment": reply.pk, "action": "pin"})
    reply.refresh_from_db()
    assert reply.pinned_at is None
    assert not actions_of("comment.pinned")


def test_a_held_form_is_released_after_a_page_that_asks(
    member_client: Client, member: User, statement: Statement
) -> None:
    held = make_comment(statement, state=State.UNCONFIRMED, reasons="too_fast", held_at=None)
    plain = make_comment(statement, state=State.UNCONFIRMED, reasons="", held_at=None)
    page = member_client.get(HELD)
    assert [item.comment for item in page.context["items"]] == [held]
    assert "sent too fast" in page.content.decode()
    asked = member_client.post(HELD, {"comment": held.pk, "action": "release"})
    assert asked.status_code == 200
    assert "Release this form?" in asked.content.decode()
    held.refresh_from_db()
    assert held.reasons == "too_fast"
    assert not Job.objects.filter(kind="mail.comment_confirm").exists()
    done = member_client.post(HELD, {"comment": held.pk, "action": "release", "confirmed": "1"})
    assert done.status_code == 303
    held.refresh_from_db()
    assert (held.state, held.reasons) == (State.UNCONFIRMED, "")
    (job,) = Job.objects.filter(kind="mail.comment_confirm")
    assert job.payload["comment"] == held.pk
    (row,) = actions_of("comment.released")
    assert (row.actor, row.object_id) == (member, held.pk)
    # A form nobody held is not this page's to release or discard.
    member_client.post(HELD, {"comment": plain.pk, "action": "discard", "confirmed": "1"})
    assert Comment.objects.filter(pk=plain.pk).exists()


def test_held_forms_are_discarded_in_bulk_after_a_page_that_asks(
    member_client: Client, statement: Statement
) -> None:
    forms = [
        make_comment(statement, state=State.UNCONFIRMED, reasons=reason, held_at=None)
        for reason in ("honeypot", "rate")
    ]
    ids = [c.pk for c in forms]
    asked = member_client.post(HELD, {"comment": ids, "action": "discard"})
    assert "Discard these 2 forms?" in asked.content.decode()
    assert Comment.objects.filter(pk__in=ids).count() == 2
    done = member_client.post(HELD, {"comment": ids, "action": "discard", "confirmed": "1"})
    assert done.status_code == 303
    assert not Comment.objects.filter(pk__in=ids).exists()
    assert sorted(row.object_id for row in actions_of("comment.discarded")) == sorted(ids)
    theirs = make_comment(other_statement(), state=State.UNCONFIRMED, reasons="rate")
    assert member_client.post(HELD, {"comment": theirs.pk, "action": "discard"}).status_code == 404
    response = member_client.post(
        HELD, {"comment": theirs.pk, "action": "discard", "confirmed": "1"}
    )
    assert response.status_code == 404
    assert Comment.objects.filter(pk=theirs.pk).exists()


def test_the_queue_has_keys_and_works_without_them(
    member_client: Client, statement: Statement
) -> None:
    comment = make_comment(statement)
    text = member_client.get(QUEUE).content.decode()
    assert '<script src="/static/js/comment-queue.js" defer></script>' in text
    assert "data-comment-keys-help hidden" in text
    for key, action in (("a", "approve"), ("r", "reject"), ("s", "spam")):
        assert f'value="{action}" ' in text and f'data-key="{key}"' in text
    # The bulk form's checkboxes, outside it, belong to it.
    assert f'form="bulk" name="comment" value="{comment.pk}"' in text


@pytest.mark.parametrize("persona", ["viewer", "outsider"])
def test_viewers_and_outsiders_open_no_comment_page(
    request: pytest.FixtureRequest, statement: Statement, persona: str
) -> None:
    comment = make_comment(statement)
    client: Client = request.getfixturevalue(f"{persona}_client")
    refused = 403 if persona == "viewer" else 404
    for url in (
        QUEUE,
        LIST,
        HELD,
        QUEUE + "settings/",
        f"{QUEUE}{comment.pk}/reply/",
        f"{QUEUE}{comment.pk}/hide/",
        "/dashboard/s/free-them/comments/",
    ):
        assert client.get(url).status_code == refused, url
        assert client.post(url, {"comment": comment.pk, "action": "approve"}).status_code in (
            refused,
            405,
        ), url
    assert _state(comment) == State.HELD
