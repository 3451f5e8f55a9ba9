"""The feeds as a feed reader takes them: each entry in its own language, every address
absolute, and a 304 for a poll while nothing changed (from the view and from the page cache)."""

from __future__ import annotations

import datetime as dt
import json
import re

import feedparser
import jsonfeed
import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone

from undersigned.lib import pagecache
from undersigned.statements.models import Statement, StatementVersion
from undersigned.updates.models import Update, UpdateVersion


def _update(
    statement: Statement, texts: dict[str, tuple[str, str]], *, minutes_ago: int = 0
) -> Update:
    update = Update.objects.create(
        statement=statement, published_at=timezone.now() - dt.timedelta(minutes=minutes_ago)
    )
    for language, (title, body) in texts.items():
        UpdateVersion.objects.create(update=update, language=language, title=title, body=body)
    return update


@pytest.fixture
def spanish_statement(statement: Statement) -> Statement:
    """A second statement of the same organisation, in Spanish only."""
    other = Statement.objects.create(
        organisation=statement.organisation,
        slug="huelga",
        status=Statement.Status.OPEN,
        default_language="es",
    )
    StatementVersion.objects.create(
        statement=other, language="es", title="Huelga", summary="Paro.", body="Texto"
    )
    return other


def test_the_statement_feed_says_its_own_language(client: Client, statement: Statement) -> None:
    _update(statement, {"en": ("Strike", "Meet."), "es": ("Huelga", "Vengan.")})
    for language in ("en", "es"):
        body = client.get(
            f"/s/free-them/{language}/updates.atom", HTTP_ACCEPT_LANGUAGE="fr"
        ).content.decode()
        assert "bound method" not in body
        assert re.search(rf'<feed [^>]*xml:lang="{language}"', body), body[:300]
        feed = feedparser.parse(body)
        assert not feed.bozo, feed.bozo_exception
        assert feed.feed.language == language
        assert [entry.title_detail.language for entry in feed.entries] == [language]


def test_an_entry_without_a_version_in_the_feeds_language_says_its_own(
    client: Client, statement: Statement
) -> None:
    _update(statement, {"en": ("Only in English", "Meet.")})
    feed = feedparser.parse(client.get("/s/free-them/es/updates.atom").content)
    assert feed.feed.language == "es"
    assert [(entry.title, entry.title_detail.language) for entry in feed.entries] == [
        ("Only in English", "en")
    ]


def test_the_organisation_feed_gives_each_entry_its_language_not_the_readers(
    client: Client, statement: Statement, spanish_statement: Statement
) -> None:
    _update(statement, {"en": ("Strike", "Meet.")}, minutes_ago=30)
    _update(spanish_statement, {"es": ("Paro nacional", "Vengan.")}, minutes_ago=20)
    _update(spanish_statement, {"es": ("Marcha", "Vengan.")}, minutes_ago=10)
    for reader in ("en", "fr", "es"):
        body = client.get("/o/red-estudiantil/updates.atom", HTTP_ACCEPT_LANGUAGE=reader).content
        feed = feedparser.parse(body)
        assert not feed.bozo, feed.bozo_exception
        # The language of most entries, whatever the reader's browser asks for.
        assert feed.feed.language == "es"
        assert [(entry.title, entry.title_detail.language) for entry in feed.entries] == [
            ("Marcha", "es"),
            ("Paro nacional", "es"),
            ("Strike", "en"),
        ]
    raw = client.get("/o/red-estudiantil/updates.json").content.decode()
    json_feed = jsonfeed.Feed.parse_string(raw)
    assert json_feed.language == "es"
    assert [item.title for item in json_feed.items] == ["Marcha", "Paro nacional", "Strike"]
    # JSON Feed 1.1's item "language", which the parser does not read.
    assert [item["language"] for item in json.loads(raw)["items"]] == ["es", "es", "en"]
    assert client.get("/o/nobody/updates.json").status_code == 404


def test_every_address_in_the_feeds_is_absolute(client: Client, statement: Statement) -> None:
    update = _update(
        statement,
        {"en": ("Strike", "See [the statement](/s/free-them/en/) and [more](https://x.example/).")},
    )
    site = settings.SITE_URL
    permalink = f"{site}/s/free-them/en/updates/{update.pk}/"
    for url in ("/s/free-them/en/updates.atom", "/o/red-estudiantil/updates.atom"):
        body = client.get(url).content.decode()
        feed = feedparser.parse(body)
        assert feed.entries[0].link == permalink
        assert feed.entries[0].id == permalink
        assert feed.feed.link.startswith(site)
        assert f'href="{site}/s/free-them/en/"' in feed.entries[0].summary
        assert 'href="https://x.example/"' in feed.entries[0].summary
        assert not re.search(r'(href|src)="/', feed.entries[0].summary)
        assert f'<link href="{site}{url}" rel="self"' in body
    for url in ("/s/free-them/en/updates.json", "/o/red-estudiantil/updates.json"):
        feed = jsonfeed.Feed.parse_string(client.get(url).content.decode())
        assert feed.items[0].url == permalink
        assert feed.feed_url == site + url
        assert f'href="{site}/s/free-them/en/"' in feed.items[0].content_html


FEEDS = (
    "/s/free-them/en/updates.atom",
    "/s/free-them/en/updates.json",
    "/o/red-estudiantil/updates.atom",
    "/o/red-estudiantil/updates.json",
)


@pytest.mark.parametrize("url", FEEDS)
def test_a_poll_with_the_feeds_etag_gets_a_304_until_it_changes(
    client: Client, statement: Statement, url: str
) -> None:
    update = _update(statement, {"en": ("Strike", "Meet.")}, minutes_ago=5)
    first = client.get(url)
    assert first.status_code == 200
    etag = first["ETag"]
    # No date to go by: an edit keeps an update's date.
    assert not first.has_header("Last-Modified")
    # From the page cache, then from the view once the cache is emptied.
    for _ in range(2):
        again = client.get(url, HTTP_IF_NONE_MATCH=etag)
        assert again.status_code == 304
        assert again.content == b""
        assert again["ETag"] == etag
        pagecache.clear()
    assert client.get(url, HTTP_IF_NONE_MATCH='"something-else"').status_code == 200
    # An edit of the update, which keeps its date: a new ETag.
    UpdateVersion.objects.filter(update=update).update(body="Meet at noon, not at one.")
    pagecache.clear()
    edited = client.get(url, HTTP_IF_NONE_MATCH=etag)
    assert edited.status_code == 200
    assert b"not at one" in edited.content
    # A new update: another new ETag.
    _update(statement, {"en": ("March", "Come.")})
    pagecache.clear()
    changed = client.get(url, HTTP_IF_NONE_MATCH=edited["ETag"])
    assert changed.status_code == 200
    assert changed["ETag"] not in (etag, edited["ETag"])
    assert b"March" in changed.content


def test_an_organisation_with_nothing_public_has_no_feed(
    client: Client, statement: Statement
) -> None:
    from undersigned.organisations.models import Organisation

    Organisation.objects.create(name="Colectivo Nuevo", slug="colectivo")
    Statement.objects.create(organisation=Organisation.objects.get(slug="colectivo"), slug="x")
    for url in ("/o/colectivo/updates.atom", "/o/colectivo/updates.json"):
        assert client.get(url).status_code == 404


def test_an_empty_feed_keeps_its_etag_from_one_poll_to_the_next(
    client: Client, statement: Statement
) -> None:
    first = client.get("/s/free-them/en/updates.atom")
    pagecache.clear()
    second = client.get("/s/free-them/en/updates.atom")
    assert first["ETag"] == second["ETag"]
    assert (
        client.get("/s/free-them/en/updates.atom", HTTP_IF_NONE_MATCH=first["ETag"]).status_code
        == 304
    )


def test_the_pages_link_to_the_organisation_feed(client: Client, statement: Statement) -> None:
    for url in ("/s/free-them/en/", "/s/free-them/en/updates/"):
        page = client.get(url).content.decode()
        assert f'href="{settings.SITE_URL}/o/red-estudiantil/updates.atom"' in page, url
    updates = client.get("/s/free-them/es/updates/").content.decode()
    assert 'href="/o/red-estudiantil/updates.json"' in updates
