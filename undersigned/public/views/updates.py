"""Public pages of updates: the list and each update's permalink, in the statement's language
versions (their feeds are in public.views.feeds)."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_safe

from undersigned.lib.languages import og_locale
from undersigned.lib.pagecache import public_cache
from undersigned.public.views.cards import preview_image
from undersigned.public.views.statements import PAGE_SECONDS, activate_for, public_version
from undersigned.statements import privacy
from undersigned.statements.models import Signature, Statement
from undersigned.updates import recipients
from undersigned.updates.actions import stop_updates, unsubscribe_follower
from undersigned.updates.models import Follower, Update, UpdateVersion

PAGE_SIZE = 20


def published(statement: Statement) -> Any:
    return (
        Update.objects.published()
        .filter(statement=statement)
        .prefetch_related("versions")
        .order_by("-published_at", "-pk")
    )


def in_language(
    updates: Any, statement: Statement, language: str
) -> list[tuple[Update, UpdateVersion]]:
    """Each update with its version in `language`, or the default language's."""
    shown = []
    for update in updates:
        update.statement = statement
        version = update.version_for(language)
        if version is not None:
            shown.append((update, version))
    return shown


def permalink(update: Update, language: str) -> str:
    return reverse("update", args=(update.statement.slug, language, update.pk))


@require_safe
@public_cache(PAGE_SECONDS)
def update_list(request: HttpRequest, slug: str, language: str) -> HttpResponse:
    statement, version = public_version(request, slug, language)
    if version.language != language:
        return redirect("updates", slug, version.language)
    updates = published(statement)
    before = request.GET.get("before", "")
    # ASCII digits only ("²".isdigit() is true, and int() refuses it), and short enough for
    # int() and the database.
    if before.isascii() and before.isdigit() and len(before) <= 18:
        older_than = Update.objects.filter(pk=int(before), statement=statement).first()
        if older_than is not None and older_than.published_at is not None:
            updates = updates.filter(published_at__lte=older_than.published_at).exclude(
                published_at=older_than.published_at, pk__gte=older_than.pk
            )
    found = in_language(list(updates[: PAGE_SIZE + 1]), statement, version.language)
    return render(
        request,
        "updates/list.html",
        {
            "statement": statement,
            "version": version,
            "versions": list(statement.versions.all()),
            "updates": found[:PAGE_SIZE],
            "older": found[PAGE_SIZE - 1][0].pk if len(found) > PAGE_SIZE else None,
        },
    )


@require_safe
@public_cache(PAGE_SECONDS)
def update_detail(request: HttpRequest, slug: str, language: str, pk: int) -> HttpResponse:
    statement, version = public_version(request, slug, language)
    update = get_object_or_404(published(statement), pk=pk)
    if version.language != language:
        return redirect("update", slug, version.language, pk)
    update.statement = statement
    shown = update.version_for(version.language)
    if shown is None:
        raise Http404
    return render(
        request,
        "updates/detail.html",
        {
            "statement": statement,
            "version": version,
            "versions": list(statement.versions.all()),
            "update": update,
            "update_version": shown,
            # The link preview's: the update's language and the others it is written in.
            "og_locale": og_locale(shown.language, statement.organisation.country),
            "og_alternates": [
                og_locale(other.language, statement.organisation.country)
                for other in update.versions.all()
                if other.language != shown.language
            ],
            "preview": preview_image(statement, version, shown.body),
        },
    )


def _unsubscribing(token: str) -> tuple[Statement, Any, str] | None:
    """The statement, the signature or follower a token names, and its language."""
    target = recipients.unsubscribe_target(token)
    if target is None:
        return None
    kind, pk = target
    if kind == "s":
        person: Any = (
            Signature.objects.select_related("statement__organisation").filter(pk=pk).first()
        )
    else:
        person = Follower.objects.select_related("statement__organisation").filter(pk=pk).first()
    if person is None:
        return None
    return person.statement, person, person.language


def _unsubscribe(statement: Statement, person: Signature | Follower) -> None:
    if isinstance(person, Signature):
        privacy.set_updates(person, False)
    else:
        unsubscribe_follower(person)
    stop_updates(statement, person.email_canonical)


@csrf_exempt  # RFC 8058: mail programs POST without a cookie or a token; it only unsubscribes
@require_http_methods(["GET", "HEAD", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """From the link in an update email. GET asks (mail scanners open links); POST, from the
    page's button or a mail program's one-click (List-Unsubscribe-Post), unsubscribes at once."""
    found = _unsubscribing(token)
    if found is None:
        return render(request, "updates/unsubscribe.html", {"unknown": True}, status=404)
    statement, person, language = found
    version = statement.version_for(language)
    if version is not None:
        activate_for(statement, version)
    done = False
    if request.method == "POST":
        _unsubscribe(statement, person)
        done = True
    return render(
        request,
        "updates/unsubscribe.html",
        {"statement": statement, "version": version, "done": done},
    )
