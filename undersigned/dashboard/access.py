"""Who may do what in the dashboard. Every dashboard view starts with one of these: someone
outside the organisation gets 404 (nothing tells them it exists), a member whose role is too
low gets 403; both are written to the audit log."""

from __future__ import annotations

from typing import NoReturn

from django import forms
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest

from undersigned.audit.models import record
from undersigned.events.models import Event, Message
from undersigned.organisations.models import Membership, Organisation
from undersigned.statements.models import Partner, Statement

VIEWER = Membership.Role.VIEWER
EDITOR = Membership.Role.EDITOR
OWNER = Membership.Role.OWNER


def _refuse(request: HttpRequest, membership: Membership | None, **about: object) -> NoReturn:
    view = request.resolver_match.view_name if request.resolver_match else ""
    record("access.denied", actor=request.user, view=view, **about)  # type: ignore[arg-type]
    if membership is None:
        raise Http404
    raise PermissionDenied


def membership_in(request: HttpRequest, organisation: Organisation) -> Membership | None:
    if not request.user.is_authenticated:
        return None
    return Membership.objects.filter(organisation=organisation, user_id=request.user.pk).first()


def organisation_for(
    request: HttpRequest, slug: str, role: str = VIEWER
) -> tuple[Organisation, Membership]:
    organisation = Organisation.objects.filter(slug=slug).first()
    if organisation is None:
        raise Http404
    membership = membership_in(request, organisation)
    if membership is None or not membership.can(role):
        _refuse(request, membership, organisation=organisation.pk)
    return organisation, membership


def statement_for(
    request: HttpRequest, slug: str, role: str = VIEWER
) -> tuple[Statement, Membership]:
    statement = Statement.objects.select_related("organisation").filter(slug=slug).first()
    if statement is None:
        raise Http404
    membership = membership_in(request, statement.organisation)
    if membership is None or not membership.can(role):
        _refuse(request, membership, statement=statement)
    return statement, membership


def event_for(request: HttpRequest, pk: int, role: str = VIEWER) -> tuple[Event, Membership]:
    event = Event.objects.select_related("organisation", "statement").filter(pk=pk).first()
    if event is None:
        raise Http404
    membership = membership_in(request, event.organisation)
    if membership is None or not membership.can(role):
        _refuse(request, membership, organisation=event.organisation_id, event=event.pk)
    return event, membership


def message_for(request: HttpRequest, pk: int, role: str = EDITOR) -> tuple[Message, Membership]:
    """An organiser's email to an event's attendees, with its event."""
    message = (
        Message.objects.select_related("event__organisation", "event__statement")
        .filter(pk=pk)
        .first()
    )
    if message is None:
        raise Http404
    membership = membership_in(request, message.event.organisation)
    if membership is None or not membership.can(role):
        _refuse(request, membership, organisation=message.event.organisation_id, message=pk)
    return message, membership


def partner_for(
    request: HttpRequest, slug: str, organisation: str, role: str = VIEWER
) -> tuple[Partner, Membership]:
    """A statement's partner, for the members of the partner organisation: the statement's own
    organisation sees its partners elsewhere, and nobody sees another partner's signers."""
    partner = (
        Partner.objects.select_related("statement__organisation", "organisation", "source")
        .filter(statement__slug=slug, organisation__slug=organisation)
        .first()
    )
    if partner is None:
        raise Http404
    membership = membership_in(request, partner.organisation)
    if membership is None or not membership.can(role):
        _refuse(request, membership, statement=partner.statement, partner=partner.pk)
    return partner, membership


def read_only_below(membership: Membership, role: str, *forms_shown: forms.BaseForm) -> None:
    """Forms a member below `role` sees filled in but cannot change (a viewer's settings)."""
    if not membership.can(role):
        for form in forms_shown:
            for field in form.fields.values():
                field.disabled = True
