"""A fighting fund's public pages: the fund in each language with its thermometer and the ways
to give (a pledge, a bank transfer's reference, a card payment through
undersigned.public.views.fund_payments), the pages after each form, and a transfer's details
with its EPC QR code. The thermometer's figures and images are in
undersigned.public.views.thermometer.

As with the sign and RSVP forms, what a visitor sees never depends on whether an address gave
or pledged before: a pledge is stored and answered the same way for every address, and only
the emails differ (undersigned.funds.actions.pledge).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from undersigned.funds import actions, epc
from undersigned.funds.forms import CardForm, PledgeForm, TransferForm
from undersigned.funds.models import Contribution, Fund, FundVersion
from undersigned.funds.providers import provider
from undersigned.lib import formtoken, headers, money
from undersigned.lib.languages import direction, ui_language
from undersigned.lib.pagecache import public_cache
from undersigned.public.views import formguard
from undersigned.public.views.statements import PAGE_SECONDS
from undersigned.public.views.thermometer import figures

# Donors named on a fund's page, the latest first: names only, never amounts.
DONORS_SHOWN = 50
# What the anti-abuse counters count a fund's forms under (the card form's too).
RATE_KIND = "fund"

# The payment provider, under a name of the page's own that tests replace with a fake.
_card_provider = provider


def public_fund(request: HttpRequest, pk: int | str) -> Fund:
    """A published fund, or a draft for its organisation's members; else 404."""
    fund = (
        Fund.objects.select_related("organisation", "statement")
        .prefetch_related("versions", "statement__versions")
        .filter(pk=pk)
        .first()
    )
    if fund is None or (not fund.is_published and not fund.organisation.has_member(request.user)):
        raise Http404
    return fund


def fund_version(fund: Fund, language: str) -> FundVersion:
    """The fund's version in `language`, the interface switched to it; 404 without one."""
    version = next((v for v in fund.versions.all() if v.language == language), None)
    if version is None:
        raise Http404
    translation.activate(ui_language(version.language, fund.default_language))
    return version


def form_subject(fund: Fund) -> str:
    """What the fund's form tokens are issued for: one for all its forms, the card's too."""
    return f"fund-{fund.pk}"


def _donors(fund: Fund) -> list[str]:
    """The names of the latest donors who asked to be named, if the fund lists donors: names
    only, so that nobody's gift is weighed against another's."""
    if not fund.show_donors:
        return []
    return list(
        Contribution.objects.filter(fund=fund, state=Contribution.State.RECEIVED, show_name=True)
        .exclude(donor_name="")
        .order_by("-received_on", "-created_at", "-pk")
        .values_list("donor_name", flat=True)[:DONORS_SHOWN]
    )


def _grouped_iban(iban: str) -> str:
    """An IBAN as banks print it, in groups of four: easier to read out and to type."""
    plain = "".join(iban.split()).upper()
    return " ".join(plain[i : i + 4] for i in range(0, len(plain), 4))


def _context(fund: Fund, version: FundVersion, **extra: Any) -> dict[str, Any]:
    statement = fund.statement
    statement_version = None
    if statement is not None and statement.status != statement.Status.DRAFT:
        statement_version = statement.version_for(version.language)
    return {
        "fund": fund,
        "version": version,
        "versions": list(fund.versions.all()),
        "organisation": fund.organisation,
        "statement": statement if statement_version else None,
        "statement_version": statement_version,
        "direction": direction(version.language),
        "iban": _grouped_iban(fund.bank_iban),
        **extra,
    }


def render_fund(
    request: HttpRequest,
    fund: Fund,
    version: FundVersion,
    *,
    card_form: CardForm | None = None,
    status: int = 200,
    pledge_form: PledgeForm | None = None,
    transfer_form: TransferForm | None = None,
) -> HttpResponse:
    """The fund's page in `version`'s language: its forms while it takes gifts (each as posted,
    where one is given, with its errors). With status 409 it says the gift was refused because
    the fund takes no more of that kind."""
    context = _context(
        fund,
        version,
        figures=figures(fund, version.language),
        donors=_donors(fund),
        refused=status == 409,
    )
    adapter = None
    if fund.takes_gifts():
        adapter = _card_provider() if fund.online_open else None
        if adapter is not None:
            context["card_form"] = card_form or CardForm(fund=fund)
            context["provider"] = adapter
        if fund.takes_transfers:
            context["transfer_form"] = transfer_form or TransferForm(fund=fund)
        if fund.pledges_open:
            context["pledge_form"] = pledge_form or PledgeForm(fund=fund)
        # One token for every form: each shows it came from this page.
        context["form_token"] = formtoken.issue(form_subject(fund))
        context["proof_bits"] = settings.SIGN_PROOF_BITS
    response = render(request, "funds/fund.html", context, status=status)
    if adapter is not None:
        # The card form's answer sends the browser on to the provider's page, a redirect that
        # browsers hold to the page's form-action.
        headers.allow(response, form_action=[f"https://{adapter.host}"])
    return response


@require_safe
def fund_default(request: HttpRequest, pk: str) -> HttpResponse:
    """The fund in the reader's language where it has a version, else its default."""
    fund = public_fund(request, pk)
    wanted = translation.get_language_from_request(request)
    versions = {v.language.lower(): v.language for v in fund.versions.all()}
    language = versions.get(wanted.lower()) or next(
        (tag for low, tag in versions.items() if low.split("-")[0] == wanted.split("-")[0]),
        None,
    )
    version = fund.version_for(language or fund.default_language)
    if version is None:
        raise Http404
    return redirect("fund", pk, version.language)


@require_safe
@public_cache(PAGE_SECONDS)
def fund_page(request: HttpRequest, pk: str, language: str) -> HttpResponse:
    fund = public_fund(request, pk)
    return render_fund(request, fund, fund_version(fund, language))


def _see_other(name: str, *args: Any) -> HttpResponse:
    """After a form: the browser GETs the next page (303 See Other)."""
    response = redirect(name, *args)
    response.status_code = 303
    return response


def refused(request: HttpRequest, fund: Fund, version: FundVersion) -> HttpResponse:
    """A form of the fund's from another site, or with a forged token: 403."""
    return render(request, "funds/form_refused.html", _context(fund, version), status=403)


def _token_state(request: HttpRequest, fund: Fund) -> formtoken.TokenState:
    return formtoken.check(request.POST.get("form_token", ""), form_subject(fund))


def _expired(form: PledgeForm | TransferForm, token: formtoken.TokenState) -> None:
    """An old page, or one made with a key since changed: what was typed is shown again with a
    fresh token, nothing is stored. A missing or forged token is refused (403)."""
    if token is not formtoken.TokenState.VALID and form.is_valid():
        form.add_error(
            None,
            _("This page was open for a long time. Check your details and press the button again."),
        )


@csrf_exempt  # The form carries its own token instead, as the sign form: see lib/formtoken.py.
@require_POST
def pledge(request: HttpRequest, pk: str, language: str) -> HttpResponse:
    """A promise of an amount, confirmed from the emailed link."""
    fund = public_fund(request, pk)
    version = fund_version(fund, language)
    if not formtoken.same_origin(request):
        return refused(request, fund, version)
    if not (fund.takes_gifts() and fund.pledges_open):
        return render_fund(request, fund, version, status=409)
    token = _token_state(request, fund)
    form = PledgeForm(request.POST, fund=fund)
    _expired(form, token)
    if not form.is_valid():
        status = 403 if token is formtoken.TokenState.INVALID else 400
        return render_fund(request, fund, version, pledge_form=form, status=status)
    cleaned = form.cleaned_data
    actions.pledge(
        fund,
        version.language,
        cleaned["name"],
        cleaned["email"],
        cleaned["amount"],
        show_name=cleaned["show_name"],
        client=formguard.client(request, RATE_KIND, fund.pk, cleaned["email"]),
    )
    return _see_other("fund_check_email", fund.pk, version.language)


@require_safe
def check_email(request: HttpRequest, pk: str, language: str) -> HttpResponse:
    fund = public_fund(request, pk)
    return render(request, "funds/check_email.html", _context(fund, fund_version(fund, language)))


@require_http_methods(["GET", "HEAD", "POST"])
def pledge_confirm(request: HttpRequest, pk: str, token: str) -> HttpResponse:
    """GET shows a button; only its POST confirms, because mail scanners open links. A link
    unknown, expired or used already gets a page that says so, and tells nothing more."""
    fund = (
        Fund.objects.select_related("organisation", "statement")
        .prefetch_related("versions", "statement__versions")
        .filter(pk=pk)
        .first()
    )
    entry = actions.pledge_for_token(fund, token) if fund else None
    if fund is None or entry is None:
        return render(request, "funds/link_unknown.html", status=404)
    version = fund.version_for(entry.language)
    if version is None:
        raise Http404
    translation.activate(ui_language(version.language, fund.default_language))
    if request.method == "POST":
        actions.confirm_pledge(entry)
        return _see_other("fund_pledged", fund.pk, version.language)
    amount = money.format_money(entry.amount, fund.currency, version.language)
    return render(
        request,
        "funds/confirm.html",
        _context(fund, version, entry=entry, amount=amount, token=token),
    )


@require_safe
def pledged(request: HttpRequest, pk: str, language: str) -> HttpResponse:
    fund = public_fund(request, pk)
    return render(request, "funds/pledged.html", _context(fund, fund_version(fund, language)))


@csrf_exempt  # The form carries its own token instead, as the sign form: see lib/formtoken.py.
@require_POST
def transfer(request: HttpRequest, pk: str, language: str) -> HttpResponse:
    """A reference to quote on a bank transfer, on a page of its own with the account's
    details (and by email, where an address is given)."""
    fund = public_fund(request, pk)
    version = fund_version(fund, language)
    if not formtoken.same_origin(request):
        return refused(request, fund, version)
    if not (fund.takes_gifts() and fund.takes_transfers):
        return render_fund(request, fund, version, status=409)
    token = _token_state(request, fund)
    form = TransferForm(request.POST, fund=fund)
    _expired(form, token)
    if not form.is_valid():
        status = 403 if token is formtoken.TokenState.INVALID else 400
        return render_fund(request, fund, version, transfer_form=form, status=status)
    cleaned = form.cleaned_data
    entry = actions.expect_transfer(
        fund,
        version.language,
        cleaned.get("amount") or 0,
        name=cleaned.get("name") or "",
        email=cleaned.get("email") or "",
        show_name=cleaned["show_name"],
        client=formguard.client(request, RATE_KIND, fund.pk, cleaned.get("email") or ""),
    )
    return _see_other("fund_transfer_details", fund.pk, version.language, entry.transfer_code)


@require_safe
def transfer_details(request: HttpRequest, pk: str, language: str, code: str) -> HttpResponse:
    """Where to send the money, and the reference to quote: whoever has the address sees the
    account (public anyway) and the amount, never the donor's name or address."""
    fund = public_fund(request, pk)
    version = fund_version(fund, language)
    entry = actions.expected_transfer(code)
    if entry is None or entry.fund_id != fund.pk or entry.state == Contribution.State.VOID:
        raise Http404
    amount = ""
    if entry.amount:
        amount = money.format_money(entry.amount, fund.currency, version.language)
    qr = ""
    if fund.has_epc_qr:
        payload = epc.epc_payload(
            name=fund.bank_holder,
            iban=fund.bank_iban,
            bic=fund.bank_bic,
            # An amount the standard cannot carry is left for the donor to type.
            amount=entry.amount if 0 < entry.amount <= epc.MAX_AMOUNT else None,
            reference=entry.transfer_code or "",
        )
        qr = epc.qr_svg(
            payload,
            _("QR code of the transfer to %(holder)s with the reference %(reference)s")
            % {"holder": fund.bank_holder, "reference": entry.transfer_code},
        )
    return render(
        request,
        "funds/transfer.html",
        _context(fund, version, entry=entry, amount=amount, qr=qr, code=entry.transfer_code),
    )
