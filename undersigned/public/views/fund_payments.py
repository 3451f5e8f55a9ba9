"""A fund's card payments: the form that sends the donor to the payment provider's page, the
page they come back to, and the provider's webhook, the only thing that records a payment
(undersigned.funds.payments).
"""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST, require_safe

from undersigned.funds import payments
from undersigned.funds.forms import CardForm
from undersigned.funds.models import Contribution, Fund, FundVersion
from undersigned.funds.providers import InvalidNotice, provider
from undersigned.lib import formtoken
from undersigned.lib.languages import ui_language
from undersigned.public.views import formguard
from undersigned.public.views.funds import RATE_KIND, public_fund, render_fund

# A webhook event from the provider is a few kilobytes; a larger body is refused unread.
WEBHOOK_MAX_BYTES = 64 * 1024


def _version(fund: Fund, language: str) -> FundVersion:
    """The fund's version in `language`, the interface switched to it; 404 without one."""
    version = next((v for v in fund.versions.all() if v.language == language), None)
    if version is None:
        raise Http404
    translation.activate(ui_language(version.language, fund.default_language))
    return version


def _form_subject(fund: Fund) -> str:
    return f"fund-{fund.pk}"


def _refused(request: HttpRequest, fund: Fund, version: FundVersion) -> HttpResponse:
    return render(
        request, "funds/form_refused.html", {"fund": fund, "version": version}, status=403
    )


@csrf_exempt  # The form carries its own token instead, as the sign form: see lib/formtoken.py.
@require_POST
def fund_give(request: HttpRequest, pk: str, language: str) -> HttpResponse:
    """The card form: on to the provider's page (303), where the donor pays. Nothing counts
    until the provider's webhook says the money came."""
    fund = public_fund(request, pk)
    version = _version(fund, language)
    if not formtoken.same_origin(request):
        return _refused(request, fund, version)
    post = request.POST
    token = formtoken.check(post.get("form_token", ""), _form_subject(fund))
    if token is formtoken.TokenState.INVALID:
        return _refused(request, fund, version)
    if provider() is None or not fund.online_open:
        raise Http404
    if not fund.takes_gifts():
        return render_fund(request, fund, version, status=409)
    form = CardForm(post, fund=fund)
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
    version = _version(fund, language)
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
    """The provider's events: 400 to one without a valid, recent signature; 200 to the rest,
    a replay or a kind the ledger has no use for included (the provider would resend them)."""
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
    payments.apply(notice)
    return HttpResponse("OK", content_type="text/plain")
