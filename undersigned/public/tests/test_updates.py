"""An update's permalink as link previews see it (public/views/updates.py, update_detail)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.test import Client

from undersigned.pictures.models import Picture
from undersigned.statements.models import Statement
from undersigned.updates.models import Update, UpdateVersion

PICTURE = "/media/pictures/abcdefghij0123456789-1600x900.jpg"
SITE = "https://firmas.example"


@pytest.fixture
def update(statement: Statement, settings: Any) -> Update:
    settings.SITE_URL = SITE
    update = Update.objects.create(
        statement=statement, published_at=dt.datetime(2026, 3, 2, 15, 30, tzinfo=dt.UTC)
    )
    UpdateVersion.objects.create(
        update=update,
        language="en",
        title="We met the minister",
        body="**Yesterday** we handed over 4,812 signatures.\n\nMore soon.",
    )
    UpdateVersion.objects.create(
        update=update, language="es", title="Nos reunimos con la ministra", body="Ayer."
    )
    return update


def _meta(page: str) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for name, content in re.findall(r'<meta (?:property|name)="([^"]+)" content="([^"]*)">', page):
        found.setdefault(name, []).append(content)
    return found


def test_an_update_is_previewed_as_an_article_of_its_own(client: Client, update: Update) -> None:
    page = client.get(f"/s/free-them/en/updates/{update.pk}/").content.decode()
    meta = _meta(page)
    permalink = f"{SITE}/s/free-them/en/updates/{update.pk}/"
    assert meta["og:type"] == ["article"]
    assert meta["og:title"] == ["We met the minister"]
    assert meta["og:description"] == ["Yesterday we handed over 4,812 signatures. More soon."]
    assert meta["og:url"] == [permalink]
    assert meta["og:locale"] == ["en_US"]
    assert meta["og:locale:alternate"] == ["es_ES"]
    published = dt.datetime.fromisoformat(meta["article:published_time"][0])
    assert published == update.published_at
    assert f'<link rel="canonical" href="{permalink}">' in page


def test_an_update_without_a_picture_shows_the_statements_card(
    client: Client, update: Update
) -> None:
    meta = _meta(client.get(f"/s/free-them/es/updates/{update.pk}/").content.decode())
    assert meta["og:image"] == [f"{SITE}/s/free-them/es/card.png"]
    assert (meta["og:image:width"], meta["og:image:height"]) == (["1200"], ["630"])
    assert meta["og:locale"] == ["es_ES"]
    assert meta["twitter:card"] == ["summary_large_image"]


def test_an_update_without_a_picture_shows_the_statements_cover_where_there_is_one(
    client: Client, update: Update, statement: Statement
) -> None:
    cover = Picture.objects.create(
        organisation=statement.organisation,
        name="pictures/bbcdefghij0123456789-1600x1000.jpg",
        width=1600,
        height=1000,
        alt="Students outside the Ministry",
    )
    statement.cover = cover
    statement.save()
    meta = _meta(client.get(f"/s/free-them/en/updates/{update.pk}/").content.decode())
    assert meta["og:image"] == [f"{SITE}{cover.url}"]
    assert meta["og:image:alt"] == ["Students outside the Ministry"]
    assert (meta["og:image:width"], meta["og:image:height"]) == (["1600"], ["1000"])


def test_an_update_with_a_picture_shows_its_first(client: Client, update: Update) -> None:
    UpdateVersion.objects.filter(update=update, language="en").update(
        body=f'We met.\n\n![The petition handed over]({PICTURE} "Photo: Ana")'
    )
    meta = _meta(client.get(f"/s/free-them/en/updates/{update.pk}/").content.decode())
    assert meta["og:image"] == [f"{SITE}{PICTURE}"]
    assert meta["og:image:alt"] == ["The petition handed over"]
    assert (meta["og:image:width"], meta["og:image:height"]) == (["1600"], ["900"])
    assert meta["og:image:type"] == ["image/jpeg"]


def test_an_update_in_the_default_language_only_has_no_alternates(
    client: Client, update: Update
) -> None:
    UpdateVersion.objects.filter(update=update, language="es").delete()
    # The Spanish page shows the English text: its locale is the text's.
    meta = _meta(client.get(f"/s/free-them/es/updates/{update.pk}/").content.decode())
    assert meta["og:locale"] == ["en_US"]
    assert "og:locale:alternate" not in meta
