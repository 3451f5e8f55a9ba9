"""The comments' emails as the outbox sends them: in the comment's language, to its writer only,
naming nobody else's address, and nothing for a comment gone or moderated meanwhile."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.urls import reverse
from django.utils import timezone

from undersigned.comments import actions, moderation, retention
from undersigned.comments.models import Comment
from undersigned.comments.tests.conftest import (
    confirm_token,
    jobs,
    open_policy,
    published,
    write,
)
from undersigned.events.tests.conftest import link, send_emails
from undersigned.statements.models import Statement
from undersigned.updates.models import Update, UpdateVersion

pytestmark = pytest.mark.django_db

_ADDRESS = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")


def _html(message: Any) -> str:
    return str(message.alternatives[0][0])


def _everything(message: Any) -> str:
    return "\n".join(
        [message.subject, message.body, _html(message), message.from_email, *message.to]
        + [f"{key}: {value}" for key, value in message.extra_headers.items() if key != "Message-ID"]
    )


def _addresses(message: Any) -> set[str]:
    return set(_ADDRESS.findall(_everything(message))) - {message.from_email.split("<")[-1][:-1]}


def test_the_confirmation_is_in_the_comments_language_with_its_two_links(
    statement: Statement,
) -> None:
    comment = write(
        statement, language="es", email="lucia@example.net", name="Lucía", text="¡Fuerza!"
    )
    token = confirm_token(comment)
    (message,) = send_emails()
    assert message.to == ["lucia@example.net"]
    assert '<html lang="es"' in _html(message)
    # The title of the version it was written on.
    assert "Libertad para ellos" in message.subject and "Libertad para ellos" in message.body
    assert "Free them" not in _everything(message)
    assert "Lucía" in message.body
    # Not the words: anyone can type anyone's address, and the site would carry their words
    # to it under the organisation's name. The page the link opens shows them.
    assert "¡Fuerza!" not in _everything(message)
    assert link(message, r"/c/confirm/[-\w]+/") == f"/c/confirm/{token}/"
    manage = link(message, r"/c/manage/[-\w]+/").split("/")[-2]
    assert actions.for_manage_token(manage) == comment
    assert f"{settings.SITE_URL}/c/confirm/{token}/" in _html(message)
    assert _addresses(message) == {"lucia@example.net"}
    assert message.extra_headers["Auto-Submitted"] == "auto-generated"


def test_a_language_with_no_version_and_no_translation_falls_back_to_the_default(
    statement: Statement,
) -> None:
    write(statement, language="qu", email="sumaq@example.net")
    (message,) = send_emails()
    assert '<html lang="en"' in _html(message)
    assert "Free them" in message.subject


def test_a_comment_on_an_update_is_confirmed_under_the_updates_title(
    statement: Statement,
) -> None:
    update = Update.objects.create(statement=statement, published_at=timezone.now())
    UpdateVersion.objects.create(update=update, language="en", title="We won", body="b")
    UpdateVersion.objects.create(update=update, language="es", title="Ganamos", body="b")
    write(statement, update=update, language="es")
    (message,) = send_emails()
    assert "Ganamos" in message.subject


def test_a_reply_links_to_the_page_of_the_update_in_the_comments_language(
    statement: Statement,
) -> None:
    open_policy(statement)
    update = Update.objects.create(statement=statement, published_at=timezone.now())
    UpdateVersion.objects.create(update=update, language="en", title="We won", body="b")
    UpdateVersion.objects.create(update=update, language="es", title="Ganamos", body="b")
    parent = published(statement, update=update, language="es", notify_replies=True)
    send_emails()
    published(
        statement,
        update=update,
        parent=parent,
        language="en",
        email="other@example.org",
        name="Otra",
    )
    (message,) = [m for m in send_emails() if m.to == ["ana@example.net"]]
    assert '<html lang="es"' in _html(message)
    assert "Ganamos" in message.subject and "Otra" in message.subject
    assert (
        link(message, r"/s/[-\w]+/\w+/updates/\d+/#comment-\d+")
        == f"/s/free-them/es/updates/{update.pk}/#comment-{parent.pk}"
    )
    assert _addresses(message) == {"ana@example.net"}


@pytest.mark.parametrize("meanwhile", ["deleted", "purged", "confirmed", "released"])
def test_no_confirmation_is_sent_for_a_comment_changed_meanwhile(
    statement: Statement, meanwhile: str, member: User
) -> None:
    comment = write(statement)
    if meanwhile == "deleted":
        actions.delete_own(comment)
    elif meanwhile == "purged":
        retention.purge(timezone.now() + timezone.timedelta(days=settings.UNCONFIRMED_DAYS + 1))
    elif meanwhile == "confirmed":
        actions.confirm(comment)
    else:
        # A new link replaced the queued one: only the new one is sent.
        Comment.objects.filter(pk=comment.pk).update(reasons="honeypot")
        moderation.release(comment, by=member)
        assert len(jobs("comment_confirm")) == 2
        token = jobs("comment_confirm")[-1]["token"]
    sent = send_emails()
    if meanwhile == "released":
        (message,) = sent
        assert token in message.body
    else:
        assert sent == []


def test_a_digest_names_no_commenter(statement: Statement, member: User) -> None:
    moderation.subscribe_digest(statement.organisation, member, wanted=True, language="en")
    # Comments held after the moderator joined.
    User.objects.filter(pk=member.pk).update(date_joined=timezone.now() - timezone.timedelta(1))
    write(statement, name="Secret Name", email="secret@example.net", text="Secret words")
    actions.confirm(Comment.objects.get())
    send_emails()
    assert moderation.send_digests() == 1
    (message,) = send_emails()
    assert message.to == ["member@example.com"]
    assert _addresses(message) == {"member@example.com"}
    for secret in ("Secret", "secret"):
        assert secret not in _everything(message)
    assert "Free them: 1" in message.body
    queue = reverse("dashboard:comments", args=(statement.organisation.slug,))
    assert f"{settings.SITE_URL}{queue}" in message.body
    assert f'href="{settings.SITE_URL}{queue}"' in _html(message)
