"""A fund's ledger as CSV or .xlsx, for its organisation's editors and owners (donors' names
and addresses are in it), with the ledger page's filters; each export is in the audit log."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponseBase
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from undersigned.audit.models import record
from undersigned.dashboard.access import EDITOR
from undersigned.dashboard.views.fund_entry_forms import LedgerFilterForm
from undersigned.dashboard.views.funds import fund_for
from undersigned.funds.models import Contribution, Fund
from undersigned.lib import csvexport, money, xlsxexport
from undersigned.lib.csvsafe import neutralise

State = Contribution.State


EXPORT_HEADER = (
    "id",
    "entered_at",
    "received_on",
    "state",
    "method",
    "amount",
    "currency",
    "original_amount",
    "original_currency",
    "rate",
    "rate_date",
    "reference",
    "transfer_code",
    "donor_name",
    "donor_email",
    "named",
    "event",
    "note",
    "void_reason",
)


def _major(minor: int | None, currency: str) -> str:
    """An amount in major units as a decimal string, as spreadsheets read it: "1240.50"."""
    if minor is None or not currency:
        return ""
    return str(money.to_major(minor, currency))


def _cells(entry: Contribution, fund: Fund) -> tuple[str, ...]:
    """A line's cells as they are, every one text."""
    return (
        entry.created_at.isoformat(),
        entry.received_on.isoformat() if entry.received_on else "",
        entry.state,
        entry.method,
        _major(entry.amount, fund.currency),
        fund.currency,
        _major(entry.original_amount, entry.original_currency),
        entry.original_currency,
        format(entry.rate.normalize(), "f") if entry.rate is not None else "",
        entry.rate_date.isoformat() if entry.rate_date else "",
        entry.reference,
        entry.transfer_code or "",
        entry.donor_name,
        entry.donor_email,
        "yes" if entry.show_name else "no",
        str(entry.event_id or ""),
        entry.note,
        entry.void_reason,
    )


@login_required
@require_safe
def export(request: HttpRequest, pk: int, spreadsheet: bool = False) -> HttpResponseBase:
    """The ledger's lines matching its filters as CSV, or as .xlsx for `spreadsheet` (its own
    address): amounts in major units as decimal text with the currency. Pledges nobody
    confirmed are left out, as unconfirmed signatures are. A CSV cell a spreadsheet could run
    as a formula is neutralised; in the .xlsx every cell is text."""
    fund, _membership = fund_for(request, pk, EDITOR)
    form = LedgerFilterForm(request.GET)
    rows = form.apply(fund.contributions.exclude(state=State.PENDING))
    record(
        "contributions.exported",
        actor=request.user,
        object_id=fund.pk,
        organisation=fund.organisation_id,
        filters=form.filters(),
        searched=bool(form.is_valid() and form.cleaned_data["q"]),
        format="xlsx" if spreadsheet else "csv",
    )

    def fetch(last: int, size: int) -> list[tuple[object, ...]]:
        found = rows.filter(pk__gt=last).order_by("pk")[:size]
        if spreadsheet:
            return [(entry.pk, str(entry.pk), *_cells(entry, fund)) for entry in found]
        return [
            (entry.pk, str(entry.pk), *(neutralise(cell) for cell in _cells(entry, fund)))
            for entry in found
        ]

    name = f"fund-{fund.pk}-ledger"
    if spreadsheet:
        cells = (row[1:] for chunk in csvexport.keyset_chunks(fetch) for row in chunk)
        book = xlsxexport.workbook(EXPORT_HEADER, cells, title=_("Ledger"))
        return xlsxexport.download(book, f"{name}.xlsx")
    return csvexport.download(csvexport.keyset_rows(EXPORT_HEADER, fetch), f"{name}.csv")
