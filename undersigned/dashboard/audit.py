"""An organisation's audit log as its owners read it: which rows are the organisation's, what
each action is called, and which of a row's data are shown. The log holds no personal data by
design (undersigned.audit.models.record); names of people are shown only for the
organisation's current members. The view is in dashboard/views/audit.py."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.db.models import Q, QuerySet
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from undersigned.audit.models import AuditLog
from undersigned.organisations.models import Organisation
from undersigned.statements.models import Statement

ACTIONS: dict[str, Promise] = {
    "access.denied": _("Access refused"),
    "organisation.created": _("Organisation created"),
    "organisation.changed": _("Organisation's details changed"),
    "invitation.sent": _("Invitation sent"),
    "invitation.revoked": _("Invitation revoked"),
    "invitation.accepted": _("Invitation accepted"),
    "member.role_changed": _("Member's role changed"),
    "member.removed": _("Member removed"),
    "member.left": _("Member left"),
    "erasure.requested": _("Erasure request handled"),
    "statement.created": _("Statement created"),
    "statement.copied": _("Statement copied"),
    "statement.published": _("Statement published"),
    "statement.closed": _("Statement closed"),
    "statement.reopened": _("Statement reopened"),
    "statement.settings": _("Settings changed"),
    "statement.version_added": _("Language version added"),
    "statement.version_edited": _("Language version edited"),
    "statement.signatories_hidden": _("Signatory list hidden"),
    "statement.signatories_shown": _("Signatory list shown again"),
    "statement.keep_count_changed": _("Keeping the count after erasure changed"),
    "statement.paused": _("Signing paused"),
    "statement.resumed": _("Signing opened again"),
    "signature.confirmed": _("Signature confirmed by its signer"),
    "signature.withdrawn": _("Signature withdrawn by its signer"),
    "signature.display_changed": _("Signer changed how they are listed"),
    "signature.hidden": _("Signature hidden from the public list"),
    "signature.logo_set": _("Organisation's logo chosen"),
    "signature.paper_entered": _("Paper signature entered"),
    "signature.approved": _("Organisation's signature approved"),
    "signature.rejected": _("Organisation's signature rejected"),
    "signatures.exported": _("Signatures exported"),
    "signatures.erased": _("Signers erased"),
    "signatures.invalidated": _("Signatures invalidated in bulk"),
    "signatures.released": _("Held signatures released"),
    "signatures.rejected": _("Held signatures rejected"),
    "follower.confirmed": _("Follower confirmed"),
    "follower.unsubscribed": _("Follower unsubscribed"),
    "followers.erased": _("Followers erased"),
    "update.saved": _("Update saved"),
    "update.published": _("Update published"),
    "update.deleted": _("Update deleted"),
    "update.mailing_requested": _("Update emailed"),
    "source.created": _("Source created"),
    "source.renamed": _("Source renamed"),
    "source.deleted": _("Source deleted"),
    "picture.uploaded": _("Picture uploaded"),
    "picture.deleted": _("Picture deleted"),
    "partner.added": _("Partner added"),
    "partner.removed": _("Partner removed"),
    "partner.signers_exported": _("Partner exported its signers"),
    "fund.created": _("Fund created"),
    "fund.edited": _("Fund's settings changed"),
    "fund.published": _("Fund published"),
    "fund.closed": _("Fund closed"),
    "fund.reopened": _("Fund reopened"),
    "fund.deleted": _("Fund deleted"),
    "fund.version_added": _("Fund's language version added"),
    "fund.version_edited": _("Fund's language version edited"),
    "fund.version_deleted": _("Fund's language version deleted"),
    "contribution.added": _("Money received entered"),
    "contribution.received": _("Money marked received"),
    "contribution.pledged": _("Pledge confirmed by its pledger"),
    "contribution.lapsed": _("Pledge or transfer marked lapsed"),
    "contribution.voided": _("Ledger line voided"),
    "contribution.released": _("Held pledge or transfer released"),
    "contributions.exported": _("Ledger exported"),
    "comment.confirmed": _("Comment confirmed by its writer"),
    "comment.edited": _("Comment edited by its writer"),
    "comment.deleted": _("Comment deleted by its writer"),
    "comment.approved": _("Comment approved"),
    "comment.rejected": _("Comment rejected"),
    "comment.spam": _("Comment marked as spam"),
    "comment.replied": _("Comment answered as the organisation"),
    "comment.pinned": _("Comment pinned"),
    "comment.unpinned": _("Comment unpinned"),
    "comment.commenter_hidden": _("Commenter hidden everywhere"),
    "comment.commenter_shown": _("Hidden commenter shown again"),
    "comment.reported": _("Comment back in the queue after readers' reports"),
    "comment.released": _("Held comment form released"),
    "comment.discarded": _("Held comment form discarded"),
    "comment.policy": _("Comment settings of a statement changed"),
    "comment.closed": _("Comments closed"),
    "comment.reopened": _("Comments reopened"),
    "comment.moderation": _("Moderation settings changed"),
    "comment.purged": _("Old comments deleted"),
    "comment.addresses_erased": _("Commenters' addresses erased with the statement's people"),
}

# Names of the data fields shown, in the order shown (JSON keeps no order on PostgreSQL); any
# other field comes after them, under its own name.
FIELDS: dict[str, Promise] = {
    "reason": _("reason"),
    "before": _("before"),
    "after": _("now"),
    "was": _("was"),
    "code": _("code"),
    "role": _("role"),
    "new_member": _("new member"),
    "fields": _("fields"),
    "filters": _("filters"),
    "searched": _("searched"),
    "columns": _("columns"),
    "format": _("file format"),
    "criteria": _("criteria"),
    "count": _("how many"),
    "counted": _("counted"),
    "deleted": _("deleted"),
    "kept_in_count": _("kept in the count"),
    "signatures": _("signatures erased"),
    "followers": _("followings deleted"),
    "keep_count": _("keep the count"),
    "view": _("page"),
    "fund": _("fund"),
    "amount": _("amount (minor units)"),
    "currency": _("currency"),
    "method": _("method"),
    "state": _("state"),
    "reasons": _("why it waits"),
    "parent": _("in reply to comment"),
    "comments": _("comments"),
    "reports": _("reports"),
    "mode": _("comments"),
    "hold_first": _("hold first comments"),
    "hold_links": _("hold links"),
    "hold_words": _("hold listed words"),
    "words": _("words in the list"),
    "reports_to_hold": _("reports before the queue"),
}
# Data not worth showing on the organisation's own log: its own key.
HIDDEN_FIELDS = frozenset(("organisation",))


def rows_of(organisation: Organisation) -> QuerySet[AuditLog]:
    """The rows about the organisation's statements, and those about the organisation itself
    (no statement; its key in the data, or as the object of an organisation.* action)."""
    statements = Statement.objects.filter(organisation=organisation).values("pk")
    return AuditLog.objects.filter(
        Q(statement__in=statements)
        | Q(statement__isnull=True, data__organisation=organisation.pk)
        | Q(statement__isnull=True, action__startswith="organisation.", object_id=organisation.pk)
    ).select_related("statement", "actor")


class AuditFilterForm(forms.Form):
    statement = forms.ChoiceField(label=_("Statement"), required=False)
    person = forms.ChoiceField(label=_("Person"), required=False)

    def __init__(
        self, *args: Any, statements: list[Statement], members: dict[int, str], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        statement = cast(forms.ChoiceField, self.fields["statement"])
        person = cast(forms.ChoiceField, self.fields["person"])
        statement.choices = [("", _("all statements")), *((s.slug, s.slug) for s in statements)]
        person.choices = [("", _("everyone")), *((str(pk), name) for pk, name in members.items())]
        self.statements = {s.slug: s for s in statements}

    def apply(self, rows: QuerySet[AuditLog]) -> QuerySet[AuditLog]:
        if not self.is_valid():
            return rows.none()
        data = self.cleaned_data
        if data["statement"]:
            rows = rows.filter(statement=self.statements[data["statement"]])
        if data["person"]:
            rows = rows.filter(actor_id=int(data["person"]))
        return rows


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return str(_("yes") if value else _("no"))
    if isinstance(value, list):
        return ", ".join(_value(item) for item in value)
    if isinstance(value, dict):
        return ", ".join(f"{key}: {_value(item)}" for key, item in sorted(value.items()))
    return str(value)


def details(row: AuditLog, members: dict[int, str]) -> list[tuple[str, str]]:
    """(field, value) of the row's data worth showing, and the member a member.* row is about."""
    shown = []
    if row.action.startswith("member.") and row.object_id in members:
        shown.append((str(_("member")), members[row.object_id]))
    data = row.data if isinstance(row.data, dict) else {}
    known = [key for key in FIELDS if key in data]
    for key in [*known, *sorted(set(data) - set(known) - HIDDEN_FIELDS)]:
        shown.append((str(FIELDS.get(key, key)), _value(data[key])))
    return shown


def action_label(action: str) -> str:
    label = ACTIONS.get(action)
    return str(label) if label is not None else action
