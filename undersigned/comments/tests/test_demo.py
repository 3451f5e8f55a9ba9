"""The demo has approved comments in both languages, an organisers' answer, a comment on the
update, and one waiting for a moderator."""

from __future__ import annotations

from django.core.management import call_command

from undersigned.comments.models import Comment
from undersigned.statements.demo import SLUG


def test_the_demo_has_published_comments_and_one_waiting(db: None) -> None:
    call_command("load_demo", verbosity=0)
    call_command("load_demo", verbosity=0)  # safe to run again
    comments = Comment.objects.filter(statement__slug=SLUG)
    published = comments.filter(state=Comment.State.PUBLISHED)
    assert {c.language for c in published} == {"en", "es"}
    assert published.filter(by_organisation=True, parent__isnull=False).count() == 1
    assert published.filter(update__isnull=False).count() == 1
    assert published.filter(is_signatory=True).count() == 2
    waiting = comments.filter(state=Comment.State.HELD)
    assert waiting.count() == 1
    assert "link" in waiting.get().reason_list()
