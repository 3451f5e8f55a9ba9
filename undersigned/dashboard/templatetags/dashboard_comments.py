"""The number of comments waiting for a moderator, for the dashboard's navigation: shown to
those who moderate (editors and owners), None for anyone else, whose link is then left out."""

from __future__ import annotations

from typing import Any

from django import template

from undersigned.comments.models import Comment
from undersigned.organisations.models import Membership, Organisation
from undersigned.statements.models import Statement

register = template.Library()


@register.simple_tag(takes_context=True)
def comments_waiting(
    context: template.Context, organisation: Organisation, statement: Statement | None = None
) -> int | None:
    """How many of the organisation's comments (or the statement's) wait, if the person
    looking may moderate them."""
    request = context.get("request")
    user: Any = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return None
    # The page's own membership where it has one (most have, from the access helper).
    membership = context.get("membership")
    if not (
        isinstance(membership, Membership)
        and membership.organisation_id == organisation.pk
        and membership.user_id == user.pk
    ):
        membership = Membership.objects.filter(organisation=organisation, user_id=user.pk).first()
    if membership is None or not membership.can(Membership.Role.EDITOR):
        return None
    waiting = Comment.objects.filter(organisation=organisation, state=Comment.State.HELD)
    if statement is not None:
        waiting = waiting.filter(statement=statement)
    return waiting.count()
