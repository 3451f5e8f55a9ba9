"""The feeds of updates: Atom and JSON Feed per statement version and per organisation.

Every entry carries its own language (an organisation's feed mixes its statements' languages),
every address in them is absolute (a feed reader has no site to resolve `/s/…` against), and
each answer has an ETag, so a reader polling every few minutes gets a 304 with no body while
nothing changed (lib.conditional).
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.utils.feedgenerator import Atom1Feed, SyndicationFeed
from django.views.decorators.http import require_safe

from undersigned.lib import conditional, markdown
from undersigned.lib.pagecache import public_cache
from undersigned.organisations.models import Organisation
from undersigned.public.views.statements import PAGE_SECONDS
from undersigned.public.views.updates import in_language, permalink, published
from undersigned.statements.models import Statement, StatementVersion
from undersigned.statements.queries import get_public_statement, get_version
from undersigned.updates.models import Update, UpdateVersion

FEED_SIZE = 50
# What XML 1.0 cannot carry: control characters but tab and line breaks, lone surrogates,
# U+FFFE and U+FFFF. A form lets them into the text; in a feed they would be a 500 for all.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")

Entry = tuple[Update, UpdateVersion]


def xml_text(text: str) -> str:
    return _NOT_XML.sub("", text)


def absolute(path: str) -> str:
    return settings.SITE_URL + path


def content(version: UpdateVersion) -> str:
    """An update's text as a feed reader shows it: the page's safe HTML with absolute
    addresses and plain pictures (the same as the update email)."""
    return xml_text(markdown.render_for_email(version.body, settings.SITE_URL))


class _Atom(Atom1Feed):
    """Atom with each entry in its own language (RFC 4287 allows xml:lang on any element),
    and for a feed with no entries yet the date its subject began rather than now, so that an
    empty feed has the same ETag from one poll to the next."""

    def item_attributes(self, item: dict[str, Any]) -> dict[str, Any]:
        attributes: dict[str, Any] = super().item_attributes(item)
        if item.get("language"):
            attributes["xml:lang"] = item["language"]
        return attributes

    def latest_post_date(self) -> dt.datetime:
        if not self.items and self.feed.get("empty_since"):
            since: dt.datetime = self.feed["empty_since"]
            return since
        return super().latest_post_date()


class _UpdatesFeed(Feed):  # type: ignore[type-arg]
    """What both Atom feeds share: entries of (update, version), absolute links, languages."""

    feed_type = _Atom

    def get_feed(self, obj: Any, request: HttpRequest) -> SyndicationFeed:
        feed = super().get_feed(obj, request)
        # Feed.language is an attribute, not a method taking the object: set it here, as the
        # feed's own language, not the reader's browser's.
        feed.feed["language"] = self.feed_language(obj)
        return feed

    def feed_language(self, obj: Any) -> str:
        raise NotImplementedError

    def item_title(self, item: Entry) -> str:
        return xml_text(item[1].title)

    def item_description(self, item: Entry) -> str:
        return content(item[1])

    def item_link(self, item: Entry) -> str:
        return absolute(permalink(item[0], item[1].language))

    def item_guid(self, item: Entry) -> str:
        return absolute(permalink(item[0], item[1].language))

    def item_pubdate(self, item: Entry) -> dt.datetime | None:
        return item[0].published_at

    def item_updateddate(self, item: Entry) -> dt.datetime | None:
        return item[0].published_at

    def item_extra_kwargs(self, item: Entry) -> dict[str, Any]:
        return {"language": item[1].language}


class StatementFeed(_UpdatesFeed):
    """Atom: a statement's updates in one language version (each falling back to the
    statement's default language where it has no version in this one)."""

    def get_object(
        self, request: HttpRequest, slug: str, language: str
    ) -> tuple[Statement, StatementVersion]:
        statement = get_public_statement(request, slug)
        version = get_version(statement, language)
        if version.language != language:
            raise Http404
        return statement, version

    def feed_language(self, obj: tuple[Statement, StatementVersion]) -> str:
        return obj[1].language

    def title(self, obj: tuple[Statement, StatementVersion]) -> str:
        return xml_text(obj[1].title)

    def subtitle(self, obj: tuple[Statement, StatementVersion]) -> str:
        return xml_text(obj[1].summary)

    def link(self, obj: tuple[Statement, StatementVersion]) -> str:
        return absolute(reverse("updates", args=(obj[0].slug, obj[1].language)))

    def feed_url(self, obj: tuple[Statement, StatementVersion]) -> str:
        return absolute(reverse("updates_atom", args=(obj[0].slug, obj[1].language)))

    feed_guid = feed_url

    def author_name(self, obj: tuple[Statement, StatementVersion]) -> str:
        return xml_text(obj[0].organisation.name)

    def feed_extra_kwargs(self, obj: tuple[Statement, StatementVersion]) -> dict[str, Any]:
        return {"empty_since": obj[0].created_at}

    def items(self, obj: tuple[Statement, StatementVersion]) -> list[Entry]:
        statement, version = obj
        return in_language(list(published(statement)[:FEED_SIZE]), statement, version.language)


def public_organisation(slug: str) -> Organisation:
    """The organisation at `slug` if it has a public statement, else 404: one that has shown
    nothing yet (a partner just invited, say) is named by no feed."""
    found = get_object_or_404(Organisation, slug=slug)
    if (
        not Statement.objects.filter(organisation=found)
        .exclude(status=Statement.Status.DRAFT)
        .exists()
    ):
        raise Http404
    return found


def organisation_entries(organisation: Organisation) -> list[Entry]:
    """Every published update of an organisation's public statements, newest first, each in
    its statement's default language."""
    updates = (
        Update.objects.published()
        .filter(statement__organisation=organisation)
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


def organisation_language(organisation: Organisation, entries: list[Entry]) -> str:
    """The language most of the feed is in: of most entries, else of most of its public
    statements, else the site's."""
    languages = Counter(version.language for _update, version in entries)
    if not languages:
        languages = Counter(
            Statement.objects.filter(organisation=organisation)
            .exclude(status=Statement.Status.DRAFT)
            .values_list("default_language", flat=True)
        )
    return languages.most_common(1)[0][0] if languages else settings.LANGUAGE_CODE


def organisation_since(organisation: Organisation) -> dt.datetime:
    """When an organisation's feed with no entries began: its first public statement."""
    first = (
        Statement.objects.filter(organisation=organisation)
        .exclude(status=Statement.Status.DRAFT)
        .order_by("created_at")
        .values_list("created_at", flat=True)
        .first()
    )
    return first or timezone.now()


class OrganisationFeed(_UpdatesFeed):
    """Atom: every published update of an organisation's public statements."""

    def get_object(self, request: HttpRequest, organisation: str) -> Organisation:
        found = public_organisation(organisation)
        # Read once: the entries give the feed its language.
        found.entries = organisation_entries(found)  # type: ignore[attr-defined]
        return found

    def feed_language(self, obj: Organisation) -> str:
        return organisation_language(obj, obj.entries)  # type: ignore[attr-defined]

    def title(self, obj: Organisation) -> str:
        return xml_text(obj.name)

    def link(self, obj: Organisation) -> str:
        return absolute("/")

    def feed_url(self, obj: Organisation) -> str:
        return absolute(reverse("organisation_atom", args=(obj.slug,)))

    feed_guid = feed_url

    def author_name(self, obj: Organisation) -> str:
        return xml_text(obj.name)

    def feed_extra_kwargs(self, obj: Organisation) -> dict[str, Any]:
        return {"empty_since": organisation_since(obj)} if not obj.entries else {}  # type: ignore[attr-defined]

    def items(self, obj: Organisation) -> list[Entry]:
        entries: list[Entry] = obj.entries  # type: ignore[attr-defined]
        return entries


def _etag_only(view: Any) -> Any:
    """No Last-Modified: editing an update keeps its date, renaming a statement or deleting an
    update changes no date, so a date would tell a reader "not modified" about a feed that
    was. The ETag, made from the feed itself, changes with any of them."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response: HttpResponse = view(request, *args, **kwargs)
        if response.has_header("Last-Modified"):
            del response["Last-Modified"]
        return response

    return wrapped


def _cached(view: Any) -> Any:
    return require_safe(public_cache(PAGE_SECONDS)(conditional.validated(_etag_only(view))))


statement_atom = _cached(StatementFeed())
organisation_atom = _cached(OrganisationFeed())


def _json_item(update: Update, version: UpdateVersion) -> dict[str, Any]:
    url = absolute(permalink(update, version.language))
    return {
        "id": url,
        "url": url,
        "title": version.title,
        "content_html": content(version),
        "date_published": update.published_at.isoformat() if update.published_at else None,
        "language": version.language,
    }


def _json_feed(feed: dict[str, Any], entries: list[Entry]) -> HttpResponse:
    """A JSON Feed 1.1 (https://www.jsonfeed.org/version/1.1/) answer."""
    feed = {
        "version": "https://jsonfeed.org/version/1.1",
        **feed,
        "items": [_json_item(update, version) for update, version in entries],
    }
    response = JsonResponse(feed, json_dumps_params={"ensure_ascii": False})
    response["Content-Type"] = "application/feed+json; charset=utf-8"
    return response


@require_safe
@public_cache(PAGE_SECONDS)
@conditional.validated
def statement_json(request: HttpRequest, slug: str, language: str) -> HttpResponse:
    statement = get_public_statement(request, slug)
    version = get_version(statement, language)
    if version.language != language:
        raise Http404
    entries = in_language(list(published(statement)[:FEED_SIZE]), statement, version.language)
    return _json_feed(
        {
            "title": version.title,
            "home_page_url": absolute(reverse("updates", args=(slug, version.language))),
            "feed_url": absolute(reverse("updates_json", args=(slug, version.language))),
            "description": version.summary,
            "language": version.language,
            "authors": [{"name": statement.organisation.name}],
        },
        entries,
    )


@require_safe
@public_cache(PAGE_SECONDS)
@conditional.validated
def organisation_json(request: HttpRequest, organisation: str) -> HttpResponse:
    found = public_organisation(organisation)
    entries = organisation_entries(found)
    return _json_feed(
        {
            "title": found.name,
            "home_page_url": absolute("/"),
            "feed_url": absolute(reverse("organisation_json", args=(found.slug,))),
            "language": organisation_language(found, entries),
            "authors": [{"name": found.name}],
        },
        entries,
    )
