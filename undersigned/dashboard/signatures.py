"""A statement's signatures as the dashboard sees them: search and filters, keyset pages,
hiding and paper entry. Views are in dashboard/views/signatures.py."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from django import forms
from django.db import transaction
from django.db.models import Model, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from undersigned.audit.models import record
from undersigned.dashboard.export import FULL, PRESETS
from undersigned.lib.emails import canonical_email
from undersigned.statements.forms import PAPER_CONSENT_VERSION
from undersigned.statements.models import Signature, Statement
from undersigned.statements.queries import forget_cached

PAGE_SIZE = 50

# state filter -> the states it shows
STATES: dict[str, tuple[str, ...]] = {
    "confirmed": (Signature.State.CONFIRMED,),
    "pending": (Signature.State.PENDING, Signature.State.AWAITING_APPROVAL),
    "held": (Signature.State.HELD,),
    "rejected": (Signature.State.REJECTED,),
}


class FilterForm(forms.Form):
    """The list's search and filters, from the query string (so also the export's)."""

    q = forms.CharField(label=_("Search name, email or organisation"), required=False)
    state = forms.ChoiceField(
        label=_("State"),
        required=False,
        choices=(
            ("", _("all")),
            ("confirmed", _("confirmed")),
            ("pending", _("pending (email or approval)")),
            ("held", _("held as suspect")),
            ("rejected", _("rejected")),
        ),
    )
    kind = forms.ChoiceField(
        label=_("Signed"),
        required=False,
        choices=(("", _("all")), *Signature.Kind.choices),
    )
    channel = forms.ChoiceField(
        label=_("Channel"), required=False, choices=(("", _("all")), *Signature.Channel.choices)
    )

    def filters(self) -> dict[str, str]:
        """The valid filters given, for links and the audit log (never the search text)."""
        if not self.is_valid():
            return {}
        return {
            name: str(self.cleaned_data[name])
            for name in ("state", "kind", "channel")
            if self.cleaned_data.get(name)
        }

    def apply(self, rows: QuerySet[Signature], *, search_email: bool) -> QuerySet[Signature]:
        """`rows` narrowed to the filters. The email is searched only by those who may see it:
        otherwise a viewer could find out who signed by trying addresses."""
        if not self.is_valid():
            return rows.none()
        data = self.cleaned_data
        if data["state"]:
            rows = rows.filter(state__in=STATES[data["state"]])
        if data["kind"]:
            rows = rows.filter(kind=data["kind"])
        if data["channel"]:
            rows = rows.filter(channel=data["channel"])
        text = str(data["q"]).strip()
        if text:
            found = Q(name__icontains=text) | Q(organisation_name__icontains=text)
            if search_email:
                found |= Q(email__icontains=text)
            rows = rows.filter(found)
        return rows


class ExportForm(FilterForm):
    """The export's choices on top of the list's filters, from the query string too."""

    preset = forms.ChoiceField(label=_("Columns"), required=False, choices=PRESETS)
    updates = forms.BooleanField(label=_("Only those who opted in to updates"), required=False)

    def preset_chosen(self) -> str:
        return str(self.cleaned_data["preset"] or FULL) if self.is_valid() else FULL

    def filters(self) -> dict[str, str]:
        filters = super().filters()
        if self.is_valid() and self.cleaned_data["updates"]:
            filters["updates"] = "yes"
        return filters

    def apply(self, rows: QuerySet[Signature], *, search_email: bool) -> QuerySet[Signature]:
        rows = super().apply(rows, search_email=search_email)
        if self.is_valid() and self.cleaned_data["updates"]:
            rows = rows.filter(wants_updates=True)
        return rows


Row = TypeVar("Row", bound=Model)


@dataclass
class Page(Generic[Row]):
    rows: list[Row]
    # Cursors: the id of the row the next (older) page starts below, the previous above.
    older: int | None
    newer: int | None


def _cursor(value: str | None) -> int | None:
    if value and value.isdigit() and len(value) < 19:
        return int(value)
    return None


def page_of(rows: QuerySet[Row], before: str | None, after: str | None) -> Page[Row]:
    """Newest first, found by position (the id next to the page) rather than OFFSET, so the
    last page of a million rows costs what the first does (see queries.signatory_page). Also
    the audit log's pages (dashboard/audit.py)."""
    newer_than = _cursor(after)
    older_than = _cursor(before)
    if newer_than is not None:
        found = list(rows.filter(pk__gt=newer_than).order_by("id")[: PAGE_SIZE + 1])
        page = found[:PAGE_SIZE][::-1]
        return Page(
            rows=page,
            older=page[-1].pk if page else None,
            newer=page[0].pk if page and len(found) > PAGE_SIZE else None,
        )
    if older_than is not None:
        rows = rows.filter(pk__lt=older_than)
    found = list(rows.order_by("-id")[: PAGE_SIZE + 1])
    page = found[:PAGE_SIZE]
    return Page(
        rows=page,
        older=page[-1].pk if len(found) > PAGE_SIZE else None,
        newer=page[0].pk if page and older_than is not None else None,
    )


def hide(statement: Statement, signature_id: int, *, actor: Any) -> bool:
    """Take a signature off the public list; it still counts. True if it changed."""
    with transaction.atomic():
        changed = (
            Signature.objects.filter(statement=statement, pk=signature_id)
            .exclude(display=Signature.Display.HIDDEN)
            .update(display=Signature.Display.HIDDEN)
        )
        if changed:
            record("signature.hidden", actor=actor, statement=statement, object_id=signature_id)
    forget_cached(statement)
    return bool(changed)


def set_logo(
    statement: Statement, signature_id: int, picture_id: int | None, *, actor: Any
) -> None:
    """Show an organisation's signature with one of the running organisation's pictures as its
    logo (None: without a logo)."""
    with transaction.atomic():
        Signature.objects.filter(statement=statement, pk=signature_id).update(logo_id=picture_id)
        record(
            "signature.logo_set",
            actor=actor,
            statement=statement,
            object_id=signature_id,
            picture=picture_id,
        )
    forget_cached(statement)


def enter_paper(statement: Statement, data: dict[str, Any], *, actor: Any) -> Signature:
    """Record a paper signature, counted at once (the sheet is the signer's confirmation) and
    listed as the signer chose. Raises IntegrityError if its address signed meanwhile."""
    now = timezone.now()
    email = str(data.get("email") or "")
    kind = data.get("kind") or Signature.Kind.INDIVIDUAL
    with transaction.atomic():
        signature = Signature.objects.create(
            statement=statement,
            language=statement.default_language,
            kind=kind,
            name=data["name"],
            email=email,
            # Unique per statement like an address, but never one: no address starts with '#'.
            email_canonical=canonical_email(email) if email else f"#paper-{uuid.uuid4().hex}",
            country=data.get("country") or "",
            postcode=data.get("postcode") or "",
            organisation_name=data.get("organisation_name") or "",
            organisation_role=data.get("organisation_role") or "",
            display=data.get("display") or Signature.Display.HIDDEN,
            wants_updates=bool(email and data.get("wants_updates")),
            consent_version=PAPER_CONSENT_VERSION,
            consent_at=now,
            created_at=now,
            confirmed_at=now,
            # Typed in by an editor, who has approved it by doing so.
            approved_at=now if kind == Signature.Kind.ORGANISATION else None,
            state=Signature.State.CONFIRMED,
            channel=Signature.Channel.PAPER,
        )
        record("signature.paper_entered", actor=actor, statement=statement, object_id=signature.pk)
    forget_cached(statement)
    return signature
