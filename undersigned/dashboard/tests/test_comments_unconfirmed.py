"""A comment nobody confirmed names an address anyone may have typed: moderators can release
or discard a form held as a robot's, and learn nothing else from it. Nor do they publish words
they did not read."""

from __future__ import annotations

import datetime as dt

from django.test import Client
from django.utils import timezone

from undersigned.comments.models import Comment, HiddenCommenter
from undersigned.dashboard.tests.test_comments import HELD, QUEUE, make_comment
from undersigned.statements.models import Statement

State = Comment.State


def _probe(statement: Statement, email: str) -> Comment:
    """What anyone gets by typing an address into the public form without a browser."""
    return make_comment(
        statement,
        email=email,
        email_canonical=email,
        state=State.UNCONFIRMED,
        reasons="no_proof",
        confirmed_at=None,
        held_at=None,
    )


def test_hiding_the_writer_of_a_comment_nobody_confirmed_is_not_found(
    member_client: Client, statement: Statement
) -> None:
    make_comment(statement, email="victim@secret.example", email_canonical="victim@secret.example")
    probe = _probe(statement, "victim@secret.example")
    url = f"{QUEUE}{probe.pk}/hide/"
    assert member_client.get(url).status_code == 404
    assert member_client.post(url).status_code == 404
    assert not HiddenCommenter.objects.exists()
    assert Comment.objects.filter(state=State.HELD).count() == 1


def test_the_held_forms_confirmation_shows_only_held_forms(
    member_client: Client, statement: Statement
) -> None:
    unconfirmed = make_comment(
        statement, state=State.UNCONFIRMED, reasons="", confirmed_at=None, text="Not held at all"
    )
    response = member_client.post(HELD, {"comment": [str(unconfirmed.pk)], "action": "release"})
    assert response.status_code == 404
    assert b"Not held at all" not in response.content


def test_a_comment_edited_since_the_queue_was_read_is_not_approved(
    member_client: Client, statement: Statement
) -> None:
    comment = make_comment(statement)
    read_at = timezone.now()
    Comment.objects.filter(pk=comment.pk).update(
        text="Words the moderator never read", edited_at=read_at + dt.timedelta(seconds=5)
    )
    data = {"comment": str(comment.pk), "action": "approve", "read_at": read_at.isoformat()}
    assert member_client.post(QUEUE, data).status_code == 303
    comment.refresh_from_db()
    assert comment.state == State.HELD
    # Read again, it can be.
    data["read_at"] = (read_at + dt.timedelta(seconds=10)).isoformat()
    member_client.post(QUEUE, data)
    comment.refresh_from_db()
    assert comment.state == State.PUBLISHED
