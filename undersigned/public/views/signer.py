"""A signer's own page, reached from the link in any of our emails: how their name appears,
updates, their data, and withdrawing. GET shows, only POST changes: mail scanners open links.
"""

from __future__ import annotations

from django.conf import settings
from django.db.models import Q
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from undersigned.public.views.signing import signature_or_404
from undersigned.statements import coalition, privacy
from undersigned.statements.forms import UPDATES_TEXT, DisplayForm
from undersigned.statements.models import Partner, Signature
from undersigned.updates import actions as update_actions

_DONE = ("display", "subscribe", "unsubscribe", "partner-subscribe", "partner-unsubscribe")


@require_http_methods(["GET", "POST"])
def my_signature(request: HttpRequest, slug: str, token: str) -> HttpResponse:
    statement, signature = signature_or_404(request, slug, token)
    form = DisplayForm(initial={"display": signature.display})
    status = 200
    error = ""
    if request.method == "POST":
        action = request.POST.get("action", "")
        if action == "display":
            form = DisplayForm(request.POST)
            if form.is_valid():
                privacy.change_display(signature, form.cleaned_data["display"])
                return _back(slug, token, action)
        elif action == "subscribe":
            privacy.set_updates(signature, True)
            return _back(slug, token, action)
        elif action == "unsubscribe":
            # Also a following of the statement with the same address: "no more updates".
            privacy.set_updates(signature, False)
            update_actions.stop_updates(statement, signature.email_canonical)
            return _back(slug, token, action)
        elif action in ("partner-subscribe", "partner-unsubscribe"):
            partner = _partners_of(signature).get(request.POST.get("partner", ""))
            if partner is not None:
                coalition.set_partner_updates(signature, partner[0], action == "partner-subscribe")
                return _back(slug, token, action)
            error = _("Choose one of the buttons on this page.")
        else:
            error = _("Choose one of the buttons on this page.")
        status = 400
    done = request.GET.get("done")
    return render(
        request,
        "statements/my_signature.html",
        {
            "statement": statement,
            "signature": signature,
            "version": signature.statement.version_for(signature.language),
            "token": token,
            "form": form,
            "error": error,
            "done": done if done in _DONE else "",
            "updates_label": UPDATES_TEXT % {"organisation": statement.organisation.name},
            "partners": [
                (partner, agreed, UPDATES_TEXT % {"organisation": partner.organisation.name})
                for partner, agreed in _partners_of(signature).values()
            ],
        },
        status=status,
    )


def _partners_of(signature: Signature) -> dict[str, tuple[Partner, bool]]:
    """By id: the statement's partners the signer may agree to hear from (those the form
    offers now) or stop (any they agreed to), and whether they agree now."""
    agreed = set(signature.partner_consents.values_list("partner_id", flat=True))
    partners = (
        Partner.objects.filter(statement_id=signature.statement_id)
        .filter(Q(active=True, accepted_at__isnull=False) | Q(pk__in=agreed))
        .select_related("organisation")
    )
    return {str(partner.pk): (partner, partner.pk in agreed) for partner in partners}


def _back(slug: str, token: str, done: str) -> HttpResponse:
    """Redirect after a POST, to the page that says what was done."""
    response = HttpResponse(status=303)
    response["Location"] = reverse("my_signature", args=(slug, token)) + f"?done={done}"
    return response


@require_safe
def my_data(request: HttpRequest, slug: str, token: str) -> JsonResponse:
    """Everything stored about the signer for this statement, as JSON."""
    statement, signature = signature_or_404(request, slug, token)
    url = settings.SITE_URL + reverse("statement", args=(slug, signature.language))
    response = JsonResponse(
        privacy.signer_data(signature, url), json_dumps_params={"ensure_ascii": False, "indent": 2}
    )
    response["Content-Disposition"] = f'attachment; filename="{statement.slug}-my-signature.json"'
    return response
