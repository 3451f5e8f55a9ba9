"""The link-preview card of a statement without a cover picture (public/views/cards.py)."""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client
from PIL import Image

from undersigned.conftest import make_signature
from undersigned.lib import cards, pagecache
from undersigned.public.views import cards as card_views
from undersigned.statements.models import Statement

CARD = "/s/free-them/en/card.png"


@pytest.fixture(autouse=True)
def _no_cards_kept() -> Iterator[None]:
    # Kept by statement id, and ids repeat from one test to the next.
    card_views.forget_cards()
    yield
    card_views.forget_cards()


@pytest.fixture
def drawn(monkeypatch: pytest.MonkeyPatch) -> list[cards.Card]:
    """Every card drawn during the test."""
    seen: list[cards.Card] = []
    draw = cards.draw

    def counting(card: cards.Card) -> bytes:
        seen.append(card)
        return draw(card)

    monkeypatch.setattr(cards, "draw", counting)
    return seen


def _image(content: bytes) -> Image.Image:
    return Image.open(io.BytesIO(content))


def test_the_card_is_a_1200_by_630_png_cached_for_minutes(
    client: Client, statement: Statement
) -> None:
    response = client.get(CARD)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert "public" in response["Cache-Control"]
    assert f"max-age={card_views.SERVED_SECONDS}" in response["Cache-Control"]
    image = _image(response.content)
    assert (image.format, image.size) == ("PNG", (1200, 630))


def test_the_card_changes_when_the_title_changes(client: Client, statement: Statement) -> None:
    before = client.get(CARD).content
    version = statement.versions.get(language="en")
    version.title = "Free them all, now"
    version.save()
    assert client.get(CARD).content != before


def test_the_card_is_in_the_organisations_accent_colour(
    client: Client, statement: Statement
) -> None:
    assert _image(client.get(CARD).content).convert("RGB").getpixel((4, 4)) == (0xA3, 0x12, 0x2B)
    statement.organisation.accent_colour = "#1a5fb4"
    statement.organisation.save()
    assert _image(client.get(CARD).content).convert("RGB").getpixel((4, 4)) == (0x1A, 0x5F, 0xB4)


def test_a_colour_too_light_for_white_text_gives_the_sites_own(statement: Statement) -> None:
    statement.organisation.accent_colour = "#ffff00"
    assert card_views.accent(statement) == card_views.DEFAULT_ACCENT


def test_a_drafts_card_is_not_found(
    client: Client, statement: Statement, organiser_client: Client
) -> None:
    statement.status = Statement.Status.DRAFT
    statement.save()
    assert client.get(CARD).status_code == 404
    assert client.get("/s/free-them/en/").status_code == 404
    # Its organisers see it, and nobody keeps it.
    response = organiser_client.get(CARD)
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]


def test_a_version_that_does_not_exist_has_no_card(client: Client, statement: Statement) -> None:
    assert client.get("/s/free-them/fr/card.png").status_code == 404
    assert client.get("/s/nothing-here/en/card.png").status_code == 404


def test_the_spanish_card_writes_the_count_as_spanish_does(
    client: Client, statement: Statement, drawn: list[cards.Card], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(card_views, "signature_count", lambda statement: 12345)
    statement.goal = 20000
    statement.save()
    client.get("/s/free-them/es/card.png")
    client.get("/s/free-them/en/card.png")
    spanish, english = drawn
    # Spanish groups digits with a space that does not break (Django's es formats), as the
    # statement's Spanish page does.
    assert (spanish.count, spanish.goal) == ("12\u00a0345 firmas", "Meta: 20\u00a0000 firmas")
    assert (english.count, english.goal) == ("12,345 signatures", "Goal: 20,000 signatures")
    assert (spanish.title, spanish.language) == ("Libertad para ellos", "es")
    assert spanish.progress == 61


def test_a_second_request_is_served_from_the_page_store(
    client: Client,
    statement: Statement,
    drawn: list[cards.Card],
    django_assert_max_num_queries: Any,
) -> None:
    first = client.get(CARD).content
    with django_assert_max_num_queries(0):
        assert client.get(CARD).content == first
    assert len(drawn) == 1


def test_a_new_signature_does_not_draw_the_card_again_for_minutes(
    client: Client,
    statement: Statement,
    drawn: list[cards.Card],
    still_page_store: float,
    monkeypatch: pytest.MonkeyPatch,
    django_assert_max_num_queries: Any,
) -> None:
    first = client.get(CARD).content
    # Every signature drops the statement's stored pages (statements.queries.forget_cached).
    make_signature(statement, 1)
    pagecache.clear()
    with django_assert_max_num_queries(1):  # the count, as the statement's page reads it
        assert client.get(CARD).content == first
    assert [card.count for card in drawn] == ["0 signatures"]
    # Once CARD_SECONDS have passed, the next reader gets the new count.
    later = still_page_store + card_views.CARD_SECONDS + 1
    monkeypatch.setattr(pagecache, "clock", lambda: later)
    assert client.get(CARD).content != first
    assert [card.count for card in drawn] == ["0 signatures", "1 signature"]


def test_an_address_in_another_case_leads_to_the_cards_own(
    client: Client, statement: Statement
) -> None:
    version = statement.versions.get(language="es")
    version.language = "es-PE"
    version.save()
    response = client.get("/s/free-them/es-pe/card.png")
    assert response.status_code == 302
    assert response["Location"] == "/s/free-them/es-PE/card.png"
