"""Signing, confirming and withdrawing. What a visitor sees never depends on whether an address
had signed before.
"""

from __future__ import annotations

import dataclasses
import functools
import re
from typing import Any
from urllib.parse import parse_qsl, urlencode

from django.conf import settings
from django.core.signals import setting_changed
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import get_script_prefix, reverse
from django.utils import translation
from django.utils.datastructures import MultiValueDict
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from undersigned.abuse.keys import keyed_hash
from undersigned.lib import formtoken, headers, proof
from undersigned.lib.clientip import client_ip, key_of, network_of
from undersigned.lib.languages import ui_language
from undersigned.public.views.statements import (
    activate_for,
    public_version,
    render_statement,
    share_context,
)
from undersigned.statements import actions, store
from undersigned.statements.forms import SignForm
from undersigned.statements.models import Signature, Source, Statement, StatementVersion
from undersigned.statements.queries import get_public_statement, get_version


@dataclasses.dataclass(frozen=True, slots=True)
class Submission:
    """A sign form as posted, read once: what the sign view, and SignMiddleware before it,
    decide on."""

    statement: Statement
    version: StatementVersion
    # The form as posted (form_data).
    data: MultiValueDict[str, str]
    token: formtoken.TokenState
    same_origin: bool
    form: SignForm

    @property
    def plain(self) -> bool:
        """Stored as it is: from the statement's own page, in time, while signing is open, and
        valid. The form is validated only once the rest holds."""
        statement = self.statement
        return (
            self.same_origin
            and self.token is formtoken.TokenState.VALID
            and statement.is_open
            and not statement.signing_paused
            and self.form.is_valid()
        )


def read(request: HttpRequest, statement: Statement, language: str) -> Submission:
    """The sign form posted to a version of `statement` (Http404 if it has none); the
    interface switched to that version's language."""
    version = get_version(statement, language)
    activate_for(statement, version)
    data = form_data(request)
    return Submission(
        statement=statement,
        version=version,
        data=data,
        token=formtoken.check(data.get("form_token", ""), statement.pk),
        same_origin=formtoken.same_origin(request),
        form=SignForm(data, statement=statement),
    )


def form_data(request: HttpRequest) -> MultiValueDict[str, str]:
    """The posted form, as request.POST reads it. The body browsers send, URL-encoded UTF-8 with
    no charset named, is parsed into a plain MultiValueDict: Django's QueryDict, built one
    value at a time, costs a surge's signers more than their form's own checks. Anything else
    (a charset named, a body not in UTF-8, too many fields, multipart) is request.POST's to read,
    and to refuse; the body is read once either way, within DATA_UPLOAD_MAX_MEMORY_SIZE."""
    if request.content_type != "application/x-www-form-urlencoded" or "charset" in (
        request.content_params or {}
    ):
        return request.POST
    try:
        pairs = parse_qsl(
            request.body.decode(),
            keep_blank_values=True,
            max_num_fields=settings.DATA_UPLOAD_MAX_NUMBER_FIELDS,
        )
    except (UnicodeDecodeError, ValueError):
        return request.POST
    lists: dict[str, list[str]] = {}
    for name, value in pairs:
        lists.setdefault(name, []).append(value)
    return MultiValueDict(lists)


def accept(request: HttpRequest, submission: Submission) -> HttpResponse:
    """Store a plain submission and send the signer on: the one place a sign form is stored.
    Whether the address had signed before changes nothing here (actions.sign)."""
    statement, version = submission.statement, submission.version
    cleaned = submission.form.cleaned_data
    actions.sign(
        statement,
        version.language,
        cleaned,
        client=_client(request, submission.data, statement, cleaned["email"]),
        source=_source(submission.data, statement),
    )
    return HttpResponseRedirect(
        check_email_url(get_script_prefix(), statement.slug, version.language)
    )


@csrf_exempt  # The form carries its own token instead: see undersigned.lib.formtoken.
@transaction.non_atomic_requests  # Stored by the group commit, in a transaction of its own.
@require_POST
def sign(request: HttpRequest, slug: str, language: str) -> HttpResponse:
    """The sign form's POST. Its plain case is mostly answered by SignMiddleware before Django
    resolves the URL, through `read` and `accept` as here; this view answers everything else,
    and the plain case of a visitor with a session."""
    submission = read(request, get_public_statement(request, slug), language)
    if submission.plain:
        return accept(request, submission)
    statement, version, form = submission.statement, submission.version, submission.form
    if not submission.same_origin:
        return render(request, "statements/form_refused.html", {"version": version}, status=403)
    if not statement.is_open or statement.signing_paused:
        return render_statement(request, statement, version, status=409)
    if submission.token is not formtoken.TokenState.VALID and form.is_valid():
        # An old page, or one made with a key since changed: what was typed is shown again
        # with a fresh token, nothing is stored. A missing or forged token is refused (403).
        form.add_error(
            None,
            _("This page was open for a long time. Check your details and press Sign again."),
        )
    status = 403 if submission.token is formtoken.TokenState.INVALID else 400
    return render_statement(request, statement, version, form=form, status=status)


@functools.lru_cache(maxsize=1024)
def check_email_url(prefix: str, slug: str, language: str) -> str:
    """Where a signer goes once the form is stored (the prefix keys the cache only)."""
    return reverse("check_email", args=(slug, language))


def _forget_urls(*, setting: str, **kwargs: Any) -> None:
    if setting == "ROOT_URLCONF":
        check_email_url.cache_clear()


setting_changed.connect(_forget_urls)


def _source(post: MultiValueDict[str, str], statement: Statement) -> int | None:
    """The statement's source this form came through, copied by site.js from the page's
    `?src=`; a code its organisers did not create is ignored, never an error."""
    code = post.get("src", "")
    if not code or len(code) > Source._meta.get_field("code").max_length:  # type: ignore[operator]
        return None
    return (
        Source.objects.filter(statement=statement, code=code).values_list("pk", flat=True).first()
    )


def _client(
    request: HttpRequest, post: MultiValueDict[str, str], statement: Statement, email: str
) -> store.Client:
    """Who sent the form, as far as anti-abuse needs to know, and any reason to hold it for
    review. The response is the same either way: a robot learns nothing from it."""
    hold = Signature.HoldReason.NONE
    token = post.get("form_token", "")
    if post.get("website", ""):
        hold = Signature.HoldReason.HONEYPOT
    elif formtoken.age_seconds(token) < settings.SIGN_MIN_SECONDS:
        hold = Signature.HoldReason.TOO_FAST
    elif not proof.is_valid(token, email, post.get("proof", ""), settings.SIGN_PROOF_BITS):
        hold = Signature.HoldReason.NO_PROOF
    ip = client_ip(request)
    client = key_of(ip)
    return store.Client(
        rate_key=rate_key(statement, client),
        email_key=email_key(client),
        form_token=token,
        network=keyed_hash("network", network_of(ip)),
        hold_reason=hold,
    )


def rate_key(statement: Statement, client: str) -> str:
    """What SIGN_RATE_LIMITS count: a client (lib.clientip.key_of) on a statement. Following
    the statement counts under the same key, so a script gains nothing by alternating them."""
    return keyed_hash("sign", f"{statement.pk}:{client}")


def email_key(client: str) -> str:
    """What CLIENT_EMAIL_LIMITS count: the emails a client made the site send, across
    statements, sign and follow forms."""
    return keyed_hash("emails", client)


def _version_page(request: HttpRequest, slug: str, language: str, template: str) -> HttpResponse:
    """A page about one version of a statement that shows nothing about any signer."""
    statement, version = public_version(request, slug, language)
    return render(request, template, {"statement": statement, "version": version})


@require_safe
def check_email(request: HttpRequest, slug: str, language: str) -> HttpResponse:
    return _version_page(request, slug, language, "statements/check_email.html")


def signature_or_404(request: HttpRequest, slug: str, token: str) -> tuple[Statement, Signature]:
    """Whoever holds a token reaches its signature whatever the statement's status: a signer
    must be able to withdraw from a statement its organisers have closed or hidden as a draft.
    """
    statement = Statement.objects.select_related("organisation").filter(slug=slug).first()
    signature = actions.signature_for_token(statement, token) if statement else None
    if statement is None or signature is None:
        raise Http404
    translation.activate(ui_language(signature.language, statement.default_language))
    return statement, signature


@require_http_methods(["GET", "POST"])
def confirm(request: HttpRequest, slug: str, token: str) -> HttpResponse:
    """GET shows a button; only its POST confirms, because mail scanners prefetch links."""
    statement, signature = signature_or_404(request, slug, token)
    if request.method == "POST":
        actions.confirm_signature(signature)
        response = redirect("thanks", slug, signature.language)
        outcome = _OUTCOMES.get(signature.state)
        if outcome:
            response["Location"] += f"?{outcome}"
        return response
    return render(
        request,
        "statements/confirm.html",
        {
            "statement": statement,
            "signature": signature,
            "version": signature.statement.version_for(signature.language),
            "token": token,
            # What confirming agrees to, as the first form recorded it.
            "partners": list(
                signature.partner_consents.order_by("partner__organisation__name").values_list(
                    "partner__organisation__name", flat=True
                )
            ),
        },
    )


@require_http_methods(["GET", "POST"])
def withdraw(request: HttpRequest, slug: str, token: str) -> HttpResponse:
    statement, signature = signature_or_404(request, slug, token)
    if request.method == "POST":
        language = signature.language
        actions.withdraw_signature(signature)
        return redirect("withdrawn", slug, language)
    return render(
        request,
        "statements/withdraw.html",
        {
            "statement": statement,
            "signature": signature,
            "token": token,
            "version": signature.statement.version_for(signature.language),
        },
    )


@require_safe
def withdrawn(request: HttpRequest, slug: str, language: str) -> HttpResponse:
    """Shown after withdrawing, whatever the statement's status: a signer may withdraw from a
    draft. For a statement the visitor may see, the page links back to it; for any other slug
    (a draft's, or one nobody uses) it is the same page without the link, in the address's
    language, so that it never tells whether a draft is there."""
    try:
        statement, version = public_version(request, slug, language)
    except Http404:
        translation.activate(ui_language(language))
        return render(request, "statements/withdrawn.html", {})
    return render(
        request, "statements/withdrawn.html", {"statement": statement, "version": version}
    )


# What the thank-you page says after confirming, besides "confirmed" (the address's query: the
# page tells nothing about anyone's signature, only what the link that led to it said).
_OUTCOMES: dict[str, str] = {
    Signature.State.AWAITING_APPROVAL: "approval",
    Signature.State.HELD: "review",
    Signature.State.REJECTED: "rejected",
}


@require_safe
def thanks(request: HttpRequest, slug: str, language: str) -> HttpResponse:
    statement, version = public_version(request, slug, language)
    outcome = next((o for o in _OUTCOMES.values() if o in request.GET), "confirmed")
    response = render(
        request,
        "statements/thanks.html",
        {
            "statement": statement,
            "version": version,
            "outcome": outcome,
            **share_context(statement, version),
        },
    )
    return _mastodon_form_may_leave(response)


def _mastodon_form_may_leave(response: HttpResponse) -> HttpResponse:
    """The Mastodon form goes through share_mastodon, which redirects to the reader's own
    server; browsers hold a form's redirect to form-action too.
    """
    headers.allow(response, form_action=["https:"])
    return response


_HOSTNAME = re.compile(r"^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")


@require_safe
def share_mastodon(request: HttpRequest) -> HttpResponse:
    """Mastodon has no central share page: send the reader to their own server's."""
    host = request.GET.get("instance", "").strip().lower().removeprefix("https://").strip("/")
    text = request.GET.get("text", "")[:1000]
    if not _HOSTNAME.match(host):
        return _mastodon_form_may_leave(
            render(request, "statements/mastodon.html", {"text": text}, status=400)
        )
    response = HttpResponse(status=303)
    response["Location"] = f"https://{host}/share?" + urlencode({"text": text})
    return response
