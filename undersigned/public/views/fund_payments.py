"""A fund's card payments: the form that sends the donor to the payment provider's page, the
page they come back to, and the provider's webhook, the only thing that records a payment
(undersigned.funds.payments).
"""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST, require_safe

from undersigned.funds import payments
from undersigned.funds.forms import CardForm
from undersigned.funds.models import Contribution, Fund
from undersigned.funds.providers import InvalidNotice, Provider, provider
from undersigned.lib import formtoken, money
from undersigned.public.views import formguard
from undersigned.public.views.funds import (
    RATE_KIND,
    form_subject,
    fund_version,
    public_fund,
    refused,
    render_fund,
)

# A webhook event from the provider is a few kilobytes; a larger body is refused unread.
WEBHOOK_MAX_BYTES = 64 * 1024


def _near(amount: int, fund: Fund, adapter: Provider) -> int:
    """An amount the provider takes, in the fund's range, nearest to `amount` (the smaller of
    two as near); `amount` cut to whole units if there is none within a unit of it."""
    unit = int(10 ** money.exponent(fund.currency))
    for distance in range(1, unit + 1):
        for candidate in (amount - distance, amount + distance):
            if fund.min_amount <= candidate <= fund.max_amount and adapter.accepts(
                candidate, fund.currency
            ):
                return candidate
    return amount - amount % unit


@csrf_exempt  # The form carries its own token instead, as the sign form: see lib/formtoken.py.
@require_POST
def fund_give(request: HttpRequest, pk: str, language: str) -> HttpResponse:
    """The card form: on to the provider's page (303), where the donor pays. Nothing counts
    until the provider's webhook says the money came."""
    fund = public_fund(request, pk)
    version = fund_version(fund, language)
    if not formtoken.same_origin(request):
        return refused(request, fund, version)
    post = request.POST
    token = formtoken.check(post.get("form_token", ""), form_subject(fund))
    if token is formtoken.TokenState.INVALID:
        return refused(request, fund, version)
    adapter = provider()
    if adapter is None or not fund.online_open:
        raise Http404
    if not fund.takes_gifts():
        return render_fund(request, fund, version, status=409)
    form = CardForm(post, fund=fund)
    if form.is_valid() and not adapter.accepts(form.cleaned_data["amount"], fund.currency):
        # An amount the provider would round, or refuse (3.455 dinars, where it takes 3.450).
        amount = form.cleaned_data["amount"]
        near = money.format_money(_near(amount, fund, adapter), fund.currency, version.language)
        form.add_error(
            "amount",
            _("Card payments cannot take this exact amount. Round it, to %(amount)s for instance.")
            % {"amount": near},
        )
    if token is formtoken.TokenState.EXPIRED and form.is_valid():
        # An old page: shown again with a fresh token, nothing begun.
        form.add_error(
            None,
            _("This page was open for a long time. Check your details and press the button again."),
        )
    if not form.is_valid():
        return render_fund(request, fund, version, card_form=form, status=400)
    cleaned = form.cleaned_data
    try:
        url = payments.begin_checkout(
            fund,
            version.language,
            cleaned["amount"],
            name=cleaned.get("name") or "",
            show_name=bool(cleaned.get("show_name")),
            # No address on the form: its proof of work is over none.
            client=formguard.client(request, RATE_KIND, fund.pk, ""),
        )
    except payments.PaymentUnavailable as error:
        return render(
            request,
            "funds/card_unavailable.html",
            {"fund": fund, "version": version, "held": error.held},
            status=429 if error.held else 503,
        )
    response = HttpResponse(status=303)
    response["Location"] = url
    return response


@require_safe
def fund_thanks(request: HttpRequest, pk: str, language: str) -> HttpResponse:
    """Where the provider sends the donor back: thanks, and whether the payment is confirmed
    yet. It records nothing (anyone can open this address)."""
    fund = public_fund(request, pk)
    version = fund_version(fund, language)
    session = request.GET.get("session", "")
    state = (
        Contribution.objects.filter(fund=fund, provider_session=session)
        .values_list("state", flat=True)
        .first()
        if session
        else None
    )
    adapter = provider()
    return render(
        request,
        "funds/thanks.html",
        {
            "fund": fund,
            "version": version,
            "organisation": fund.organisation,
            "received": state == Contribution.State.RECEIVED,
            "provider_label": adapter.label if adapter else _("the payment provider"),
        },
    )


@csrf_exempt  # Sent by the provider, which signs each event instead (funds.providers).
@require_POST
def fund_webhook(request: HttpRequest) -> HttpResponse:
    """The provider's events: 400 to one without a valid, recent signature; 503 to one that
    came before the event it follows (payments.Retry), which the provider sends again later;
    200 to the rest, a replay or a kind the ledger has no use for included (the provider
    would resend them)."""
    adapter = provider()
    if adapter is None or adapter.name != "stripe":
        raise Http404
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > WEBHOOK_MAX_BYTES:
        return HttpResponse("Too large.", content_type="text/plain", status=413)
    body = request.body
    if len(body) > WEBHOOK_MAX_BYTES:
        return HttpResponse("Too large.", content_type="text/plain", status=413)
    try:
        notice = adapter.notice(body, request.headers)
    except InvalidNotice:
        return HttpResponse("No valid signature.", content_type="text/plain", status=400)
    try:
        payments.apply(notice)
    except payments.Retry:
        return HttpResponse("Too early: send it again.", content_type="text/plain", status=503)
    return HttpResponse("OK", content_type="text/plain")
