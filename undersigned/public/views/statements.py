"""Public pages: the home page, each statement in each language, and its signatories."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation.trans_real import parse_accept_lang_header
from django.views.decorators.http import require_safe

from undersigned.events.models import STATEMENT_EVENTS
from undersigned.lib import formtoken
from undersigned.lib.languages import language_name, ui_language
from undersigned.lib.pagecache import public_cache
from undersigned.lib.share import share_links
from undersigned.statements import coalition
from undersigned.statements.forms import SignForm
from undersigned.statements.models import Signature, Statement, StatementVersion
from undersigned.statements.queries import (
    COUNT_SECONDS,
    get_public_statement,
    get_version,
    latest_individuals,
    listed_organisations,
    listed_signatures,
    signatory_page,
    signature_count,
)
from undersigned.updates import notices
from undersigned.updates.forms import FollowForm

LATEST_SIGNERS = 10
# Seconds a public page is served from memory to anonymous readers (see lib/pagecache.py).
PAGE_SECONDS = 2


def activate_for(statement: Statement, version: StatementVersion) -> str:
    """Switch the interface to the version's language where a translation exists."""
    language = ui_language(version.language, statement.default_language)
    translation.activate(language)
    return language


def public_version(
    request: HttpRequest, slug: str, language: str
) -> tuple[Statement, StatementVersion]:
    """The statement at `slug` (404 unless it is public, or a draft and the visitor one of its
    organisers) and its version in `language` (404 if it has none), the interface switched to
    that version's language: where every public page about a version starts."""
    statement = get_public_statement(request, slug)
    version = get_version(statement, language)
    activate_for(statement, version)
    return statement, version


def _version_in(statement: Statement, languages: list[str]) -> StatementVersion | None:
    """The version a reader who reads `languages` (best first) gets: the same tag, else the
    same language in another region or script (es for es-419), else the default one."""
    by_tag = {version.language.lower(): version for version in statement.versions.all()}
    for language in languages:
        language = language.lower()
        if language in by_tag:
            return by_tag[language]
        for tag, version in by_tag.items():
            if tag.split("-")[0] == language.split("-")[0]:
                return version
    return statement.version_for(statement.default_language)


@require_safe
def healthz(request: HttpRequest) -> HttpResponse:
    """For load balancers and monitoring: the application answers. Also the benchmarks'
    ceiling, the cheapest request the framework can serve here.
    """
    return HttpResponse(b"ok", content_type="text/plain")


@require_safe
def home(request: HttpRequest) -> HttpResponse:
    statements = (
        Statement.objects.filter(status=Statement.Status.OPEN)
        .select_related("organisation")
        .prefetch_related("versions")
    )
    language = translation.get_language() or settings.LANGUAGE_CODE
    items = []
    for statement in statements:
        version = _version_in(statement, [language])
        if version is None:
            continue
        count = signature_count(statement)
        others = [
            (other, language_name(other.language))
            for other in statement.versions.all()
            if other.language != version.language
        ]
        items.append(
            {
                "statement": statement,
                "version": version,
                "count": count,
                "progress": statement.progress_percent(count),
                "days_remaining": statement.days_remaining(),
                "others": others,
            }
        )
    notice = notices.notice_for(None, notices.hidden(request))
    return render(request, "statements/home.html", {"items": items, "notice": notice})


@require_safe
def statement_default(request: HttpRequest, slug: str) -> HttpResponseRedirect:
    """/s/<slug>/ goes to the version in the reader's language, else the default one."""
    statement = get_public_statement(request, slug)
    header = request.headers.get("Accept-Language", "")
    wanted = [tag for tag, _q in parse_accept_lang_header(header)]
    version = _version_in(statement, wanted)
    if version is None:
        raise Http404
    return redirect("statement", slug, version.language)


@require_safe
@public_cache(COUNT_SECONDS)
def count_json(request: HttpRequest, slug: str) -> JsonResponse:
    """The live count, small enough to be asked for every few seconds by every reader."""
    statement = get_public_statement(request, slug)
    count = signature_count(statement)
    return JsonResponse(
        {"count": count, "goal": statement.goal, "progress": statement.progress_percent(count)}
    )


def statement_context(statement: Statement, version: StatementVersion) -> dict[str, Any]:
    count = signature_count(statement)
    return {
        "statement": statement,
        "version": version,
        "versions": list(statement.versions.all()),
        "count": count,
        "progress": statement.progress_percent(count),
        "days_remaining": statement.days_remaining(),
        "partners": coalition.active_partners(statement),
        "updates": _updates_in(statement, version.language),
        "events": _events_in(statement, version.language),
        "organisations": listed_organisations(statement)[:200],
        "individuals": latest_individuals(statement)[:LATEST_SIGNERS],
    }


def share_context(statement: Statement, version: StatementVersion) -> dict[str, Any]:
    """What statements/_share.html shows for a statement's language version."""
    url = settings.SITE_URL + reverse("statement", args=(statement.slug, version.language))
    return {
        "share_url": url,
        "share_links": share_links(url, version.title),
        "share_text": f"{version.title} {url}",
    }


def _updates_in(statement: Statement, language: str) -> list[tuple[Any, Any]]:
    """The latest updates, each in `language` or the default one (from the cached statement)."""
    shown = []
    for update in getattr(statement, "latest_updates", None) or []:
        update.statement = statement
        version = update.version_for(language)
        if version is not None:
            shown.append((update, version))
    return shown


def _events_in(statement: Statement, language: str) -> list[tuple[Any, Any]]:
    """The next events not over yet, each in `language` or its default one (from the cached
    statement)."""
    now = timezone.now()
    shown = []
    for event in getattr(statement, "upcoming_events", None) or []:
        version = event.version_for(language)
        if version is not None and not event.is_over(now):
            shown.append((event, version))
    return shown[:STATEMENT_EVENTS]


def render_statement(
    request: HttpRequest,
    statement: Statement,
    version: StatementVersion,
    form: SignForm | None = None,
    status: int = 200,
    follow_form: FollowForm | None = None,
) -> HttpResponse:
    context = statement_context(statement, version)
    context["notice"] = notices.notice_for(statement, notices.hidden(request))
    if statement.status != Statement.Status.DRAFT:
        # Share before signing: the same links as the thank-you page's.
        context.update(share_context(statement, version))
        # The same token for both forms: either shows the form came from this page.
        context["form_token"] = formtoken.issue(statement.pk)
        # Closed statements too: a campaign has news after signing ends.
        context["follow_form"] = follow_form or FollowForm(
            statement=statement, language=version.language
        )
    if statement.is_open and not statement.signing_paused:
        context["form"] = form or SignForm(statement=statement)
        context["proof_bits"] = settings.SIGN_PROOF_BITS
    return render(request, "statements/statement.html", context, status=status)


@require_safe
@public_cache(PAGE_SECONDS)
def statement_page(request: HttpRequest, slug: str, language: str) -> HttpResponse:
    statement, version = public_version(request, slug, language)
    if version.language != language:
        return redirect("statement", slug, version.language)
    return render_statement(request, statement, version)


@require_safe
@public_cache(PAGE_SECONDS)
def beside(request: HttpRequest, slug: str, language: str, other: str) -> HttpResponse:
    """Two language versions side by side, so a bilingual statement reads as both texts."""
    statement, version = public_version(request, slug, language)
    other_version = get_version(statement, other)
    context = statement_context(statement, version)
    context["pair"] = (version, other_version)
    return render(request, "statements/beside.html", context)


@require_safe
@public_cache(PAGE_SECONDS)
def signatories(request: HttpRequest, slug: str, language: str) -> HttpResponse:
    statement, version = public_version(request, slug, language)
    kind = request.GET.get("kind")
    rows = listed_signatures(statement)
    if kind in Signature.Kind.values:
        rows = rows.filter(kind=kind)
    else:
        kind = None
    page = signatory_page(
        rows, request.GET.get("before"), request.GET.get("after"), settings.SIGNATORIES_PER_PAGE
    )
    return render(
        request,
        "statements/signatories.html",
        {
            "statement": statement,
            "version": version,
            "versions": list(statement.versions.all()),
            "page": page,
            "kind": kind,
            "count": signature_count(statement),
            "list_url": reverse("signatories", args=(slug, version.language)),
        },
    )
