"""What the dashboard does for signers' privacy beyond a statement's switches
(undersigned.statements.privacy): erasure requests, where someone who cannot use their own link
asks the organisation to erase them. Audited with counts, never an address. Views are in
dashboard/views/privacy.py."""

from __future__ import annotations

from dataclasses import dataclass

from django import forms
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from undersigned.audit.models import record
from undersigned.comments import retention as comments
from undersigned.dashboard.statement_actions import User
from undersigned.events import actions as events
from undersigned.events.models import Attendee
from undersigned.funds import retention as funds
from undersigned.funds.models import Contribution
from undersigned.lib.emails import canonical_email
from undersigned.organisations.models import Organisation
from undersigned.statements.models import Signature, Statement
from undersigned.statements.privacy import erase_signers
from undersigned.updates import actions as updates
from undersigned.updates.models import Follower


class KeepCountForm(forms.Form):
    keep_count_after_erasure = forms.BooleanField(
        label=_("Keep the count after erasure"),
        required=False,
        help_text=Statement._meta.get_field("keep_count_after_erasure").help_text,
    )


class ErasureForm(forms.Form):
    email = forms.EmailField(
        label=_("The person's email address"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "off"}),
    )

    def clean_email(self) -> str:
        """The canonical address, as signatures and followers are found by."""
        return canonical_email(self.cleaned_data["email"])


def signatures_of(organisation: Organisation, email_canonical: str) -> list[Signature]:
    """The address's signatures on the organisation's statements, not erased yet, with their
    statements; no more than the organisation's editors see in its signature lists."""
    return list(
        Signature.objects.filter(
            statement__organisation=organisation,
            email_canonical=email_canonical,
            erased_at__isnull=True,
        )
        .select_related("statement")
        .only("state", "created_at", "statement")
        .order_by("statement__slug", "pk")
    )


@dataclass
class Erased:
    signatures: int
    followers: int
    attendees: int
    donors: int = 0
    comments: int = 0


def erase_on_request(organisation: Organisation, email_canonical: str, actor: User) -> Erased:
    """Erase the address's signatures on the organisation's statements, each as its statement
    keeps the count after erasure, and delete its followings of them, its places at the
    organisation's events, its name on the funds' ledgers and its comments' words and name on
    the organisation's pages; audited with counts."""
    erased = 0
    found = Signature.objects.filter(
        statement__organisation=organisation, email_canonical=email_canonical
    )
    statements = Statement.objects.filter(pk__in=found.values("statement")).order_by("pk")
    for statement in statements:
        erased += erase_signers(
            statement,
            found.filter(statement=statement),
            reason="request",
            actor=actor,
        )
    with transaction.atomic():
        # Whether the address followed anything is not the organisers' to learn, from the page
        # or from the audit log: the request's row counts signatures only.
        followers = updates.erase(
            Follower.objects.filter(
                statement__organisation=organisation, email_canonical=email_canonical
            )
        )
        attendees = events.erase(
            Attendee.objects.filter(
                event__organisation=organisation, email_canonical=email_canonical
            )
        )
        # The amounts given stay in the funds' ledgers, without a name or an address.
        donors = funds.erase(
            Contribution.objects.filter(
                fund__organisation=organisation, email_canonical=email_canonical
            )
        )
        # The comments stay as "deleted", so that replies to them keep their place. Their
        # number is not on the page or in the log: moderators never learn whose address wrote
        # which comment.
        erased_comments = comments.erase(organisation.pk, email_canonical)
        record("erasure.requested", actor=actor, organisation=organisation.pk, signatures=erased)
    return Erased(
        signatures=erased,
        followers=followers,
        attendees=attendees,
        donors=donors,
        comments=erased_comments,
    )
