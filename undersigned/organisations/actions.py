"""Changes to organisations and their members: each in one transaction, each audited (keys and
roles only, never an address)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from undersigned.abuse import quota
from undersigned.audit.models import record
from undersigned.lib.emails import canonical_email
from undersigned.lib.tokens import hash_token, new_token
from undersigned.mailings import outbox
from undersigned.organisations.emails import INVITATION
from undersigned.organisations.models import Invitation, Membership, Organisation

OWNER = Membership.Role.OWNER


class MembershipError(Exception):
    """A change the rules refuse; the message is for the person who asked."""


class LastOwner(MembershipError):
    pass


class AlreadyInvited(MembershipError):
    pass


class AlreadyMember(MembershipError):
    pass


class TooManyInvitations(MembershipError):
    """The organisation has sent INVITATIONS_PER_ORGANISATION_PER_DAY in the last 24 hours."""


def _unique_slug(name: str) -> str:
    base = slugify(name)[:70].strip("-") or "organisation"
    slug, n = base, 1
    while Organisation.objects.filter(slug=slug).exists():
        n += 1
        slug = f"{base}-{n}"
    return slug


def create_organisation(user: Any, name: str, website: str = "") -> Organisation:
    """A new organisation, owned by the person who made it."""
    with transaction.atomic():
        organisation = Organisation.objects.create(
            name=name, slug=_unique_slug(name), website=website
        )
        Membership.objects.create(organisation=organisation, user=user, role=OWNER)
        record("organisation.created", actor=user, object_id=organisation.pk)
    return organisation


def create_invited_organisation(
    name: str, email: str, *, by: Any, language: str
) -> tuple[Organisation, Invitation]:
    """A new organisation with no member yet, and an invitation to `email` to own it: how a
    campaign brings in a partner that has no account here."""
    with transaction.atomic():
        organisation = Organisation.objects.create(name=name, slug=_unique_slug(name))
        record("organisation.created", actor=by, object_id=organisation.pk, invited=True)
        invitation = invite(organisation, by, email, OWNER, language)
    return organisation, invitation


def update_organisation(organisation: Organisation, by: Any, fields: list[str]) -> None:
    """Save what an owner changed of the organisation (already set on it)."""
    with transaction.atomic():
        organisation.save(update_fields=fields)
        record("organisation.changed", actor=by, object_id=organisation.pk, fields=sorted(fields))


def _is_member(organisation: Organisation, email: str) -> bool:
    return (
        Membership.objects.filter(organisation=organisation)
        .filter(user__email__iexact=email)
        .exists()
        or Membership.objects.filter(
            organisation=organisation, user__username__iexact=email
        ).exists()
    )


def invite(organisation: Organisation, by: Any, email: str, role: str, language: str) -> Invitation:
    """Invite `email` as `role`; the email is queued in the same transaction. One pending
    invitation per address and organisation: an expired one is replaced, a live one refused.

    So that invitations cannot flood mailboxes, an organisation sends at most
    INVITATIONS_PER_ORGANISATION_PER_DAY in any 24 hours (past it, nothing is sent or changed),
    and each one counts against the address's daily cap of emails, as sign forms do. Past the
    cap the invitation is made but not emailed, and nothing says so: whoever invites must not
    learn how many emails an address had today.
    """
    email = email.strip().lower()
    with transaction.atomic():
        # One invitation of an organisation at a time, so that the count below is exact.
        Organisation.objects.select_for_update(no_key=True).filter(pk=organisation.pk).first()
        if _is_member(organisation, email):
            raise AlreadyMember
        pending = list(
            Invitation.objects.select_for_update().filter(
                organisation=organisation, email=email, accepted_at=None, revoked_at=None
            )
        )
        if any(old.usable() for old in pending):
            raise AlreadyInvited
        # Revoked, accepted and expired ones were sent too.
        sent = Invitation.objects.filter(
            organisation=organisation, created_at__gt=timezone.now() - dt.timedelta(days=1)
        ).count()
        if sent >= settings.INVITATIONS_PER_ORGANISATION_PER_DAY:
            raise TooManyInvitations
        emailed = quota.take([quota.key_for(canonical_email(email))]) == [True]
        for old in pending:
            old.delete()
        token = new_token()
        invitation = Invitation.objects.create(
            organisation=organisation,
            email=email,
            role=role,
            token_hash=hash_token(token),
            language=language,
            invited_by=by,
        )
        if emailed:
            outbox.enqueue(INVITATION, {"invitation": invitation.pk, "token": token})
        record(
            "invitation.sent",
            actor=by,
            object_id=invitation.pk,
            organisation=organisation.pk,
            role=role,
        )
    return invitation


def revoke_invitation(invitation: Invitation, by: Any) -> None:
    with transaction.atomic():
        invitation.revoked_at = timezone.now()
        invitation.email = ""
        invitation.save(update_fields=("revoked_at", "email"))
        record(
            "invitation.revoked",
            actor=by,
            object_id=invitation.pk,
            organisation=invitation.organisation_id,
        )


def invitation_for_token(token: str) -> Invitation | None:
    """The pending, unexpired invitation this link's token belongs to, if any."""
    invitation = (
        Invitation.objects.select_related("organisation")
        .filter(token_hash=hash_token(token))
        .first()
    )
    return invitation if invitation is not None and invitation.usable() else None


def accept_invitation(invitation: Invitation, user: AbstractBaseUser) -> Membership | None:
    """Make `user` a member with the invited role (someone already a member keeps their role).
    None if the invitation was used, revoked or expired meanwhile."""
    with transaction.atomic():
        locked = Invitation.objects.select_for_update().filter(pk=invitation.pk).first()
        if locked is None or not locked.usable():
            return None
        membership, created = Membership.objects.get_or_create(
            organisation_id=locked.organisation_id, user_id=user.pk, defaults={"role": locked.role}
        )
        locked.accepted_at = timezone.now()
        locked.email = ""
        locked.save(update_fields=("accepted_at", "email"))
        record(
            "invitation.accepted",
            actor=user,
            object_id=locked.pk,
            organisation=locked.organisation_id,
            role=membership.role,
            new_member=created,
        )
    return membership


def _refuse_last_owner(membership: Membership) -> None:
    """Raise LastOwner if `membership` holds the organisation's only owner role. Locks the
    owners' rows so that two owners cannot both step down at once."""
    if membership.role != OWNER:
        return
    owners = list(
        Membership.objects.select_for_update()
        .filter(organisation_id=membership.organisation_id, role=OWNER)
        .values_list("pk", flat=True)
    )
    if owners == [membership.pk] or not owners:
        raise LastOwner


def change_role(membership: Membership, role: str, by: Any) -> None:
    with transaction.atomic():
        if role == membership.role:
            return
        if role != OWNER:
            _refuse_last_owner(membership)
        previous = membership.role
        membership.role = role
        membership.save(update_fields=("role",))
        record(
            "member.role_changed",
            actor=by,
            object_id=membership.user_id,
            organisation=membership.organisation_id,
            before=previous,
            after=role,
        )


def remove_member(membership: Membership, by: Any) -> None:
    with transaction.atomic():
        _refuse_last_owner(membership)
        membership.delete()
        record(
            "member.removed",
            actor=by,
            object_id=membership.user_id,
            organisation=membership.organisation_id,
        )


def leave(membership: Membership) -> None:
    with transaction.atomic():
        _refuse_last_owner(membership)
        membership.delete()
        record(
            "member.left",
            actor=membership.user,
            object_id=membership.user_id,
            organisation=membership.organisation_id,
        )
