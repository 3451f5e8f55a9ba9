"""Public pages of updates: the list and each update's permalink, in the statement's language
versions; Atom feeds per statement and per organisation, and a JSON Feed per statement."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_safe

from undersigned.lib import markdown
from undersigned.lib.pagecache import public_cache
from undersigned.organisations.models import Organisation
from undersigned.public.views.statements import PAGE_SECONDS, activate_for, public_version
from undersigned.statements import privacy
from undersigned.statements.models import Signature, Statement, StatementVersion
from undersigned.statements.queries import get_public_statement, get_version
from undersigned.updates import recipients
from undersigned.updates.actions import stop_updates, unsubscribe_follower
from undersigned.updates.models import Follower, Update, UpdateVersion

PAGE_SIZE = 20
FEED_SIZE = 50
# What XML 1.0 cannot carry: control characters but tab and line breaks, lone surrogates,
# U+FFFE and U+FFFF. A form lets them into the text; in a feed they would be a 500 for all.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_text(text: str) -> str:
    return _NOT_XML.sub("", text)


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
        },
    )


class StatementFeed(Feed):  # type: ignore[type-arg]
    """Atom: a statement's updates in one language version (falling back to the default)."""

    feed_type = Atom1Feed

    def get_object(
        self, request: HttpRequest, slug: str, language: str
    ) -> tuple[Statement, StatementVersion]:
        statement = get_public_statement(request, slug)
        version = get_version(statement, language)
        if version.language != language:
            raise Http404
        return statement, version

    def title(self, obj: tuple[Statement, StatementVersion]) -> str:
        return xml_text(obj[1].title)

    def subtitle(self, obj: tuple[Statement, StatementVersion]) -> str:
        return xml_text(obj[1].summary)

    def link(self, obj: tuple[Statement, StatementVersion]) -> str:
        return reverse("updates", args=(obj[0].slug, obj[1].language))

    def feed_guid(self, obj: tuple[Statement, StatementVersion]) -> str:
        return settings.SITE_URL + reverse("updates_atom", args=(obj[0].slug, obj[1].language))

    def author_name(self, obj: tuple[Statement, StatementVersion]) -> str:
        return xml_text(obj[0].organisation.name)

    def items(self, obj: tuple[Statement, StatementVersion]) -> list[tuple[Update, UpdateVersion]]:
        statement, version = obj
        return in_language(list(published(statement)[:FEED_SIZE]), statement, version.language)

    def item_title(self, item: tuple[Update, UpdateVersion]) -> str:
        return xml_text(item[1].title)

    def item_description(self, item: tuple[Update, UpdateVersion]) -> str:
        return xml_text(markdown.render(item[1].body))

    def item_link(self, item: tuple[Update, UpdateVersion]) -> str:
        return permalink(item[0], item[1].language)

    def item_guid(self, item: tuple[Update, UpdateVersion]) -> str:
        return settings.SITE_URL + permalink(item[0], item[1].language)

    def item_pubdate(self, item: tuple[Update, UpdateVersion]) -> dt.datetime | None:
        return item[0].published_at

    def item_updateddate(self, item: tuple[Update, UpdateVersion]) -> dt.datetime | None:
        return item[0].published_at

    def language(self, obj: tuple[Statement, StatementVersion]) -> str:  # type: ignore[override]
        return obj[1].language


class OrganisationFeed(Feed):  # type: ignore[type-arg]
    """Atom: every published update of an organisation's public statements, each in its
    statement's default language."""

    feed_type = Atom1Feed

    def get_object(self, request: HttpRequest, organisation: str) -> Organisation:
        return get_object_or_404(Organisation, slug=organisation)

    def title(self, obj: Organisation) -> str:
        return xml_text(obj.name)

    def link(self, obj: Organisation) -> str:
        return "/"

    def feed_guid(self, obj: Organisation) -> str:
        return settings.SITE_URL + reverse("organisation_atom", args=(obj.slug,))

    def author_name(self, obj: Organisation) -> str:
        return xml_text(obj.name)

    def items(self, obj: Organisation) -> list[tuple[Update, UpdateVersion]]:
        updates = (
            Update.objects.published()
            .filter(statement__organisation=obj)
            .exclude(statement__status=Statement.Status.DRAFT)
            .select_related("statement")
            .prefetch_related("versions")
            .order_by("-published_at", "-pk")[:FEED_SIZE]
        )
        shown = []
        for update in updates:
            version = update.version_for(update.statement.default_language)
            if version is not None:
                shown.append((update, version))
        return shown

    item_title = StatementFeed.item_title
    item_description = StatementFeed.item_description
    item_link = StatementFeed.item_link
    item_guid = StatementFeed.item_guid
    item_pubdate = StatementFeed.item_pubdate
    item_updateddate = StatementFeed.item_updateddate


statement_atom = require_safe(public_cache(PAGE_SECONDS)(StatementFeed()))
organisation_atom = require_safe(public_cache(PAGE_SECONDS)(OrganisationFeed()))


@require_safe
@public_cache(PAGE_SECONDS)
def statement_json(request: HttpRequest, slug: str, language: str) -> JsonResponse:
    """JSON Feed 1.1 (https://www.jsonfeed.org/version/1.1/) of a statement's updates."""
    statement = get_public_statement(request, slug)
    version = get_version(statement, language)
    if version.language != language:
        raise Http404
    site = settings.SITE_URL
    items = [
        {
            "id": site + permalink(update, shown.language),
            "url": site + permalink(update, shown.language),
            "title": shown.title,
            "content_html": markdown.render(shown.body),
            "date_published": update.published_at.isoformat() if update.published_at else None,
            "language": shown.language,
        }
        for update, shown in in_language(
            list(published(statement)[:FEED_SIZE]), statement, version.language
        )
    ]
    feed = {
        "version": "https://jsonfeed.org/version/1.1",
        "title": version.title,
        "home_page_url": site + reverse("updates", args=(slug, version.language)),
        "feed_url": site + reverse("updates_json", args=(slug, version.language)),
        "description": version.summary,
        "language": version.language,
        "authors": [{"name": statement.organisation.name}],
        "items": items,
    }
    response = JsonResponse(feed, json_dumps_params={"ensure_ascii": False})
    response["Content-Type"] = "application/feed+json; charset=utf-8"
    return response


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
