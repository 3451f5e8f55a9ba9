"""How comments are moderated, from the dashboard: the organisation's word list and reports,
each moderator's digest, the hidden commenters shown again, a statement's comment policy,
closing and reopening; an erasure request blanks the address's comments; the audit log names
every comment action; no dashboard page shows a commenter's address."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.test import Client

from undersigned.audit.models import AuditLog
from undersigned.comments import moderation
from undersigned.comments.models import (
    Comment,
    CommentPolicy,
    DigestSubscription,
    HiddenCommenter,
    Moderation,
)
from undersigned.dashboard.audit import ACTIONS
from undersigned.dashboard.tests.test_comments import QUEUE, make_comment, other_statement
from undersigned.statements.models import Statement

State = Comment.State
SETTINGS = QUEUE + "settings/"
STATEMENT = "/dashboard/s/free-them/comments/"


def test_the_word_list_and_reports_are_saved_through_the_domain(
    member_client: Client, member: User, statement: Statement
) -> None:
    page = member_client.get(SETTINGS)
    assert page.status_code == 200
    assert page.context["moderation"]["reports_to_hold"].value() == 3
    response = member_client.post(
        SETTINGS,
        {
            "form": "moderation",
            "words": "  asesino \n\nAsesino\nvendido   a la patronal\n",
            "reports_to_hold": "2",
        },
    )
    assert response.status_code == 303
    assert response["Location"] == SETTINGS
    moderation = Moderation.objects.get(organisation=statement.organisation)
    assert moderation.word_list() == ["asesino", "vendido a la patronal"]
    assert moderation.reports_to_hold == 2
    row = AuditLog.objects.get(action="comment.moderation")
    assert (row.actor, row.data["words"], row.data["reports_to_hold"]) == (member, 2, 2)


@pytest.mark.parametrize(
    "data",
    [
        {"form": "moderation", "words": "", "reports_to_hold": "0"},
        {"form": "moderation", "words": "", "reports_to_hold": "many"},
        {"form": "moderation", "words": "x" * 101, "reports_to_hold": "3"},
        {
            "form": "moderation",
            "words": "\n".join(f"w{n}" for n in range(501)),
            "reports_to_hold": "3",
        },
        {"form": "nothing"},
        {},
    ],
)
def test_bad_settings_are_form_errors(
    member_client: Client, statement: Statement, data: dict[str, str]
) -> None:
    response = member_client.post(SETTINGS, data)
    assert response.status_code == 400
    assert not Moderation.objects.exists()
    assert not AuditLog.objects.filter(action="comment.moderation").exists()


def test_a_moderator_asks_for_the_digest_in_their_interface_language(
    member_client: Client, member: User, statement: Statement
) -> None:
    member_client.cookies["django_language"] = "es"
    response = member_client.post(SETTINGS, {"form": "digest", "digest": "on"})
    assert response.status_code == 303
    subscription = DigestSubscription.objects.get()
    assert (subscription.user, subscription.organisation, subscription.language) == (
        member,
        statement.organisation,
        "es",
    )
    assert member_client.get(SETTINGS).context["digest"]["digest"].value() is True
    member_client.post(SETTINGS, {"form": "digest"})
    assert not DigestSubscription.objects.exists()


def test_hidden_commenters_are_listed_by_name_and_shown_again(
    member_client: Client, organiser: User, statement: Statement
) -> None:
    comment = make_comment(statement, state=State.PUBLISHED, name="Troll")
    waiting = make_comment(
        statement, email=comment.email, email_canonical=comment.email_canonical, name="Troll"
    )
    moderation.hide_commenter(comment, by=organiser)
    page = member_client.get(SETTINGS)
    text = page.content.decode()
    assert "Troll" in text and "organiser" in text
    assert comment.email not in text and "secret.example" not in text
    hidden = HiddenCommenter.objects.get()
    response = member_client.post(f"{QUEUE}hidden/{hidden.pk}/show/")
    assert response.status_code == 303
    assert response["Location"] == SETTINGS
    comment.refresh_from_db()
    waiting.refresh_from_db()
    assert (comment.state, waiting.state) == (State.PUBLISHED, State.HELD)
    assert not HiddenCommenter.objects.exists()
    row = AuditLog.objects.get(action="comment.commenter_shown")
    assert row.data["comments"] == 1
    assert "Troll is no longer hidden: 1 comment is shown again." in (
        member_client.get(SETTINGS).content.decode()
    )
    # Gone, or another organisation's: not found.
    assert member_client.post(f"{QUEUE}hidden/{hidden.pk}/show/").status_code == 404
    theirs = HiddenCommenter.objects.create(
        organisation=other_statement().organisation, email_canonical="x@example.org", name="X"
    )
    assert member_client.post(f"{QUEUE}hidden/{theirs.pk}/show/").status_code == 404
    assert member_client.get(f"{QUEUE}hidden/{theirs.pk}/show/").status_code == 405


def test_a_statements_policy_is_set_through_the_domain(
    member_client: Client, member: User, statement: Statement
) -> None:
    page = member_client.get(STATEMENT)
    assert page.status_code == 200
    assert page.context["form"]["mode"].value() == CommentPolicy.Mode.PRE
    response = member_client.post(
        STATEMENT, {"mode": "post", "hold_first": "on", "hold_words": "on"}
    )
    assert response.status_code == 303
    assert response["Location"] == STATEMENT
    policy = CommentPolicy.objects.get(statement=statement)
    assert (policy.mode, policy.hold_first, policy.hold_links, policy.hold_words) == (
        "post",
        True,
        False,
        True,
    )
    row = AuditLog.objects.get(action="comment.policy")
    assert (row.actor, row.statement, row.data["mode"]) == (member, statement, "post")
    assert member_client.post(STATEMENT, {"mode": "sometimes"}).status_code == 400
    policy.refresh_from_db()
    assert policy.mode == "post"


def test_comments_close_and_reopen(member_client: Client, statement: Statement) -> None:
    assert "Close comments" in member_client.get(STATEMENT).content.decode()
    response = member_client.post(STATEMENT + "close/")
    assert response.status_code == 303
    assert CommentPolicy.objects.get(statement=statement).closed_at is not None
    page = member_client.get(STATEMENT).content.decode()
    assert "Comments are closed: no new ones are taken" in page
    assert "Reopen comments" in page
    # Twice is said, not done twice.
    member_client.post(STATEMENT + "close/")
    assert AuditLog.objects.filter(action="comment.closed").count() == 1
    member_client.post(STATEMENT + "reopen/")
    assert CommentPolicy.objects.get(statement=statement).closed_at is None
    assert AuditLog.objects.filter(action="comment.reopened").count() == 1
    assert member_client.get(STATEMENT + "close/").status_code == 405


def test_the_statement_page_counts_and_links_to_its_comments(
    member_client: Client, statement: Statement
) -> None:
    make_comment(statement)
    make_comment(statement)
    make_comment(statement, state=State.PUBLISHED)
    make_comment(statement, state=State.SPAM)
    text = member_client.get(STATEMENT).content.decode()
    assert f'href="{QUEUE}?statement=free-them"' in text and "2 waiting" in text
    assert f'href="{QUEUE}all/?statement=free-them&amp;state=published"' in text
    assert "1 published" in text and "1 rejected or spam" in text


def test_the_navigation_counts_what_waits_for_moderators_only(
    member_client: Client, viewer_client: Client, statement: Statement
) -> None:
    make_comment(statement)
    make_comment(statement)
    make_comment(other_statement())
    organisation = member_client.get("/dashboard/o/red-estudiantil/").content.decode()
    assert f'<a href="{QUEUE}">Comments (2 waiting)</a>' in organisation
    overview = member_client.get("/dashboard/s/free-them/").content.decode()
    assert f'<a href="{STATEMENT}">Comments (2 waiting)</a>' in overview
    for url in ("/dashboard/o/red-estudiantil/", "/dashboard/s/free-them/"):
        assert "Comments" not in viewer_client.get(url).content.decode()


def test_an_erasure_request_blanks_the_addresss_comments(
    member_client: Client, statement: Statement
) -> None:
    theirs = make_comment(
        statement,
        state=State.PUBLISHED,
        email="Rosa@Example.org",
        email_canonical="rosa@example.org",
        name="Rosa Quispe",
        text="Rosa's words",
    )
    reply = make_comment(statement, state=State.PUBLISHED, parent=theirs)
    elsewhere = make_comment(
        other_statement(), email="rosa@example.org", email_canonical="rosa@example.org"
    )
    HiddenCommenter.objects.create(
        organisation=statement.organisation, email_canonical="rosa@example.org", name="Rosa"
    )
    found = member_client.post(
        "/dashboard/o/red-estudiantil/erasure/", {"step": "find", "email": "rosa@example.org"}
    ).content.decode()
    assert "Its comments on your pages lose their words and name" in found
    done = member_client.post(
        "/dashboard/o/red-estudiantil/erasure/", {"step": "erase", "email": "rosa@example.org"}
    )
    assert done.status_code == 302
    theirs.refresh_from_db()
    assert (theirs.state, theirs.name, theirs.email, theirs.text) == (State.DELETED, "", "", "")
    reply.refresh_from_db()
    assert reply.state == State.PUBLISHED and reply.parent_id == theirs.pk
    elsewhere.refresh_from_db()
    assert elsewhere.email == "rosa@example.org"
    assert not HiddenCommenter.objects.exists()
    row = AuditLog.objects.get(action="erasure.requested")
    assert "comments" not in row.data
    page = member_client.get(QUEUE + "all/").content.decode()
    assert "Rosa" not in page and "Deleted by its writer, or erased on request" in page


def test_the_erasure_request_counts_the_comments_it_blanked(
    organiser: User, statement: Statement
) -> None:
    from undersigned.dashboard.privacy import erase_on_request

    make_comment(statement, email_canonical="ana@example.org")
    make_comment(statement, state=State.PUBLISHED, email_canonical="ana@example.org")
    erased = erase_on_request(statement.organisation, "ana@example.org", organiser)
    assert erased.comments == 2


def test_every_comment_action_has_a_name_in_the_audit_log() -> None:
    written: set[str] = set()
    for module in ("actions.py", "moderation.py", "retention.py"):
        source = (Path(__file__).parents[2] / "comments" / module).read_text()
        written |= set(re.findall(r'"(comment\.[a-z_]+)"', source))
    assert {"comment.approved", "comment.commenter_hidden", "comment.purged"} <= written
    assert written - set(ACTIONS) == set()


def test_no_comment_page_shows_a_commenters_address(
    organiser_client: Client, organiser: User, statement: Statement
) -> None:
    """Every dashboard page about comments, with comments in every state, a report and a
    hidden commenter: none holds an address, not even in an attribute."""
    parent = make_comment(statement, state=State.PUBLISHED, email="parent@secret.example")
    held = make_comment(statement, parent=parent, reasons="reported,link")
    make_comment(statement, state=State.UNCONFIRMED, reasons="honeypot")
    for state in (State.REJECTED, State.SPAM, State.HIDDEN):
        make_comment(statement, state=state)
    troll = make_comment(statement, state=State.PUBLISHED)
    moderation.hide_commenter(troll, by=organiser)
    moderation.set_moderation(statement.organisation, words="x", reports_to_hold=1, by=organiser)
    pages = [
        QUEUE,
        QUEUE + "all/",
        QUEUE + "held/",
        SETTINGS,
        STATEMENT,
        f"{QUEUE}{held.pk}/reply/",
        f"{QUEUE}{held.pk}/hide/",
        "/dashboard/o/red-estudiantil/audit/",
    ]
    held_forms = Comment.objects.filter(state=State.UNCONFIRMED).values_list("pk", flat=True)
    confirm = organiser_client.post(
        QUEUE + "held/", {"comment": list(held_forms), "action": "release"}
    )
    assert confirm.status_code == 200
    bodies = [confirm.content.decode()]
    for url in pages:
        response = organiser_client.get(url)
        assert response.status_code == 200, url
        bodies.append(response.content.decode())
    for body in bodies:
        assert "secret.example" not in body
        assert not re.search(r"[\w.+-]+@[\w-]+\.[\w.-]+", body.replace("organiser@", ""))
