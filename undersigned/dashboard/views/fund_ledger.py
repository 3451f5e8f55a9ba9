"""A fund's ledger, for its organisation's editors and owners only (donors' names and addresses
are in it): the lines with filters (their export is in views/fund_exports.py); money the
organisers received themselves; voiding a line with a reason; pledges to mark received or
lapsed, and held ones to release; the bank transfers expected, and matching a line of the bank
statement to one. Every change goes through the ledger's verbs (undersigned.funds.actions),
which write the audit log; one that emails a donor or voids a line is asked about on a page of
its own first."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from undersigned.dashboard.access import EDITOR, organisation_for
from undersigned.dashboard.signatures import page_of
from undersigned.dashboard.views.fund_entry_forms import (
    EntryForm,
    LapseForm,
    LedgerFilterForm,
    MatchForm,
    ReasonForm,
    ReceiveForm,
)
from undersigned.dashboard.views.fund_forms import (
    event_label,
)
from undersigned.dashboard.views.funds import fund_for, language, shown, title_of
from undersigned.funds import actions
from undersigned.funds.models import Contribution, Fund
from undersigned.lib import money
from undersigned.organisations.models import Membership

State = Contribution.State
Method = Contribution.Method
# The most rows each list of the pledges and transfers pages shows; the ledger has them all.
SHOWN = 500
# States whose money is still to come: what "mark received" takes.
WAITING = (State.PLEDGED, State.EXPECTED, State.LAPSED)


def entry_for(request: HttpRequest, pk: int, role: str = EDITOR) -> tuple[Contribution, Membership]:
    """A ledger line, for an editor or owner of its fund's organisation (404 for anyone
    else, 403 for a viewer)."""
    entry = (
        Contribution.objects.select_related("fund__organisation", "fund__statement", "event")
        .filter(pk=pk)
        .first()
    )
    if entry is None:
        raise Http404
    _organisation, membership = organisation_for(request, entry.fund.organisation.slug, role)
    return entry, membership


@dataclasses.dataclass(frozen=True, slots=True)
class Line:
    """A ledger line as the pages show it: its amounts written out."""

    entry: Contribution
    amount: str
    # The amount in the currency it was given in, and the rate: "€100.00 at 0.8571 (1 Dec)".
    original: str
    # The day its money came, else the day it was entered.
    day: dt.date
    # The event it was collected or pledged at: its title and day.
    event: str


def line_of(entry: Contribution, fund: Fund) -> Line:
    original = ""
    if entry.original_currency and entry.original_amount is not None and entry.rate:
        original = _("%(amount)s at %(rate)s (%(day)s)") % {
            "amount": money.format_money(
                entry.original_amount, entry.original_currency, language()
            ),
            "rate": formats.number_format(entry.rate.normalize()),
            "day": formats.date_format(entry.rate_date, "SHORT_DATE_FORMAT")
            if entry.rate_date
            else "",
        }
    return Line(
        entry=entry,
        amount=shown(entry.amount, fund.currency) if entry.amount else _("not said"),
        original=original,
        day=entry.received_on or timezone.localdate(entry.created_at),
        event=event_label(entry.event) if entry.event else "",
    )


def _context(fund: Fund, **more: Any) -> dict[str, Any]:
    return {"fund": fund, "title": title_of(fund), "can_edit": True, **more}


def _back(entry: Contribution) -> HttpResponse:
    """Where a change to a pledge or a transfer returns to: the list it was on."""
    if entry.transfer_code:
        return redirect("dashboard:fund_transfers", entry.fund_id)
    if entry.pledged_at is not None or entry.state == State.PENDING:
        return redirect("dashboard:fund_pledges", entry.fund_id)
    return redirect("dashboard:fund_ledger", entry.fund_id)


@login_required
@require_safe
def ledger(request: HttpRequest, pk: int) -> HttpResponse:
    fund, _membership = fund_for(request, pk, EDITOR)
    form = LedgerFilterForm(request.GET)
    rows = form.apply(
        fund.contributions.select_related("event").prefetch_related("event__versions")
    )
    page = page_of(rows, request.GET.get("before"), request.GET.get("after"))
    query = request.GET.copy()
    for name in ("before", "after"):
        query.pop(name, None)
    return render(
        request,
        "dashboard/funds/ledger.html",
        _context(
            fund,
            form=form,
            page=page,
            lines=[line_of(entry, fund) for entry in page.rows],
            query=query.urlencode(),
            filters=[
                (name, value)
                for name in LedgerFilterForm.base_fields
                for value in request.GET.getlist(name)
            ],
        ),
    )


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def entry_new(request: HttpRequest, pk: int) -> HttpResponse:
    """Money the organisers received themselves: cash collected at an event, a cheque, a bank
    transfer that quoted no reference."""
    fund, _membership = fund_for(request, pk, EDITOR)
    form = EntryForm(request.POST if request.method == "POST" else None, fund=fund)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        entry = actions.add_entry(
            fund,
            method=data["method"],
            amount=data["amount"],
            received_on=data["received_on"],
            by=request.user,
            reference=data["reference"],
            donor_name=data["donor_name"],
            donor_email=data["donor_email"],
            show_name=bool(data.get("show_name")),
            note=data["note"].strip(),
            event=data["event"],
            conversion=data["conversion"],
            send_receipt=data["send_receipt"],
        )
        messages.success(
            request,
            _("Entered: %(amount)s, %(method)s.")
            % {"amount": shown(entry.amount, fund.currency), "method": entry.get_method_display()},
        )
        if "another" in request.POST:
            return redirect("dashboard:fund_entry_new", fund.pk)
        return redirect("dashboard:fund_ledger", fund.pk)
    return render(
        request,
        "dashboard/funds/entry_new.html",
        _context(fund, form=form),
        status=400 if request.method == "POST" else 200,
    )


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def entry_void(request: HttpRequest, pk: int) -> HttpResponse:
    """Take a line out of the totals, with the reason: it stays in the ledger, marked void."""
    entry, _membership = entry_for(request, pk, EDITOR)
    fund = entry.fund
    if entry.state == State.VOID:
        messages.error(request, _("This line is void already."))
        return redirect("dashboard:fund_ledger", fund.pk)
    form = ReasonForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        if actions.void(entry, form.cleaned_data["reason"], by=request.user):
            messages.success(
                request,
                _("The line of %(amount)s is void: it no longer counts.")
                % {"amount": shown(entry.amount, fund.currency)},
            )
        else:
            messages.error(request, _("This line is void already."))
        return redirect("dashboard:fund_ledger", fund.pk)
    return render(
        request,
        "dashboard/funds/void.html",
        _context(fund, line=line_of(entry, fund), form=form),
        status=400 if request.method == "POST" else 200,
    )


def _people(rows: QuerySet[Contribution], fund: Fund) -> list[Line]:
    return [line_of(entry, fund) for entry in rows[:SHOWN]]


@login_required
@require_safe
def pledges(request: HttpRequest, pk: int) -> HttpResponse:
    """Pledges confirmed and waiting for their money, those held for review, those not yet
    confirmed, and those that lapsed (whose money may still come)."""
    fund, _membership = fund_for(request, pk, EDITOR)
    rows = (
        fund.contributions.filter(transfer_code__isnull=True)
        .select_related("event")
        .prefetch_related("event__versions")
    )
    return render(
        request,
        "dashboard/funds/pledges.html",
        _context(
            fund,
            pledged=_people(rows.filter(state=State.PLEDGED).order_by("pledged_at", "pk"), fund),
            held=_people(
                rows.filter(state=State.PENDING).exclude(hold_reason="").order_by("pk"), fund
            ),
            unconfirmed=_people(
                rows.filter(state=State.PENDING, hold_reason="").order_by("-pk"), fund
            ),
            lapsed=_people(
                rows.filter(state=State.LAPSED, pledged_at__isnull=False).order_by("-lapsed_at"),
                fund,
            ),
            shown=SHOWN,
            unconfirmed_days=settings.UNCONFIRMED_DAYS,
        ),
    )


def _receipt_to(entry: Contribution) -> str:
    """The address a receipt goes to when the money is marked received, if one does."""
    return entry.donor_email if entry.donor_email and entry.receipt_sent_at is None else ""


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def entry_receive(request: HttpRequest, pk: int) -> HttpResponse:
    """A pledge's or an expected transfer's money came: how, when and how much. The page
    says whether the donor is emailed a receipt, and the POST of its button does it."""
    entry, _membership = entry_for(request, pk, EDITOR)
    fund = entry.fund
    if entry.state not in WAITING:
        messages.error(request, _("This line is not waiting for money."))
        return _back(entry)
    form = ReceiveForm(request.POST if request.method == "POST" else None, entry=entry)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if actions.receive(
            entry,
            method=data["method"],
            received_on=data["received_on"],
            amount=data["amount"],
            reference=data["reference"],
            conversion=data["conversion"],
            by=request.user,
        ):
            messages.success(
                request,
                _("Marked received: %(amount)s.") % {"amount": shown(entry.amount, fund.currency)},
            )
        else:
            messages.error(request, _("This line is not waiting for money."))
        return _back(entry)
    return render(
        request,
        "dashboard/funds/receive.html",
        _context(fund, line=line_of(entry, fund), form=form, receipt_to=_receipt_to(entry)),
        status=400 if request.method == "POST" else 200,
    )


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def entry_lapse(request: HttpRequest, pk: int) -> HttpResponse:
    """A pledge or an expected transfer whose money will not come: it leaves the pledged
    total. It can still be marked received if the money comes after all."""
    entry, _membership = entry_for(request, pk, EDITOR)
    fund = entry.fund
    if entry.state not in (State.PLEDGED, State.EXPECTED):
        messages.error(request, _("Only a pledge or a transfer still expected can lapse."))
        return _back(entry)
    form = LapseForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        if actions.lapse(entry, form.cleaned_data["reason"], by=request.user):
            messages.success(
                request, _("Marked lapsed: it no longer counts as pledged or expected.")
            )
        else:
            messages.error(request, _("Only a pledge or a transfer still expected can lapse."))
        return _back(entry)
    return render(
        request,
        "dashboard/funds/lapse.html",
        _context(fund, line=line_of(entry, fund), form=form),
        status=400 if request.method == "POST" else 200,
    )


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def entry_release(request: HttpRequest, pk: int) -> HttpResponse:
    """A held pledge from a real person: its confirmation email goes now, once asked. A held
    transfer's details go to the address it gave."""
    entry, _membership = entry_for(request, pk, EDITOR)
    fund = entry.fund
    back = "dashboard:fund_transfers" if entry.state == State.EXPECTED else "dashboard:fund_pledges"
    if entry.state not in (State.PENDING, State.EXPECTED) or not entry.hold_reason:
        messages.error(request, _("This is not held."))
        return redirect(back, fund.pk)
    if request.method == "POST":
        actions.release(entry, by=request.user)
        if entry.state == State.PENDING:
            messages.success(request, _("Released: the pledger is sent the link to confirm."))
        else:
            messages.success(request, _("Released: the donor is sent the account details."))
        return redirect(back, fund.pk)
    return render(
        request, "dashboard/funds/release.html", _context(fund, line=line_of(entry, fund))
    )


def _found(form: MatchForm, fund: Fund) -> Contribution | None:
    """The transfer the statement line's reference names, or None with the form's error."""
    entry = actions.expected_transfer(form.cleaned_data["reference"])
    if entry is None or entry.fund_id != fund.pk:
        form.add_error(
            "reference",
            _(
                "No transfer to this fund has this reference. Check it against the statement, "
                "or enter the money in the ledger as a bank transfer."
            ),
        )
        return None
    if entry.state == State.RECEIVED:
        day = entry.received_on or timezone.localdate(entry.changed_at)
        form.add_error(
            "reference",
            _("This transfer was marked received already, on %(day)s.")
            % {"day": formats.date_format(day, "DATE_FORMAT")},
        )
        return None
    if entry.state not in WAITING:
        form.add_error("reference", _("This transfer is void."))
        return None
    return entry


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def transfers(request: HttpRequest, pk: int) -> HttpResponse:
    """The bank transfers whose reference donors were given, and the form that matches a line
    of the bank statement to one: the reference as the bank shows it, the amount, the day.
    What it found is shown before it is marked received (the donor may be emailed)."""
    fund, _membership = fund_for(request, pk, EDITOR)
    form = MatchForm(request.POST if request.method == "POST" else None, fund=fund)
    found: Contribution | None = None
    if request.method == "POST" and form.is_valid():
        found = _found(form, fund)
        if found is not None and request.POST.get("confirmed"):
            data = form.cleaned_data
            if actions.receive(
                found,
                method=Method.BANK,
                received_on=data["received_on"],
                amount=data["amount"],
                reference=data["reference"],
                by=request.user,
            ):
                messages.success(
                    request,
                    _("Transfer %(code)s marked received: %(amount)s.")
                    % {"code": found.transfer_code, "amount": shown(found.amount, fund.currency)},
                )
            else:
                messages.error(request, _("This line is not waiting for money."))
            return redirect("dashboard:fund_transfers", fund.pk)
    rows = fund.contributions.filter(transfer_code__isnull=False, method=Method.BANK)
    return render(
        request,
        "dashboard/funds/transfers.html",
        _context(
            fund,
            form=form,
            found=line_of(found, fund) if found else None,
            statement_amount=shown(form.cleaned_data["amount"], fund.currency) if found else "",
            receipt_to=_receipt_to(found) if found else "",
            expected=_people(rows.filter(state=State.EXPECTED).order_by("-pk"), fund),
            lapsed=_people(rows.filter(state=State.LAPSED).order_by("-lapsed_at", "-pk"), fund),
            shown=SHOWN,
            transfer_days=settings.FUND_TRANSFER_DAYS,
        ),
        status=400 if request.method == "POST" and not form.is_valid() else 200,
    )
