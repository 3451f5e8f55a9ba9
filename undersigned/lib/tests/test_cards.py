from __future__ import annotations

import io

import pytest
from PIL import Image

from undersigned.lib import cards


def _card(**fields: str | int) -> cards.Card:
    values: dict[str, str | int] = {
        "title": "Free them",
        "organisation": "Red Estudiantil",
        "count": "4,812 signatures",
        "goal": "Goal: 5,000 signatures",
        "progress": 96,
        "colour": "#1a5fb4",
    }
    values.update(fields)
    return cards.Card(**values)  # type: ignore[arg-type]


def _image(png: bytes) -> Image.Image:
    return Image.open(io.BytesIO(png)).convert("RGB")


def test_a_short_title_is_drawn_at_the_largest_size() -> None:
    _font, size, lines = cards.fit_title("Free them", cards.font_file("Free them"), "en")
    assert (size, lines) == (max(cards.TITLE_SIZES), ["Free them"])


def test_a_long_title_is_wrapped_and_made_smaller_to_fit() -> None:
    title = " ".join(["Libertad para los estudiantes detenidos en Lima"] * 3)
    _font, size, lines = cards.fit_title(title, cards.font_file(title), "es")
    assert size < max(cards.TITLE_SIZES)
    assert " ".join(lines) == title
    assert len(lines) * size * cards.LINE_HEIGHT <= cards.TITLE_BOTTOM - cards.TITLE_TOP


def test_a_title_too_long_for_the_smallest_size_ends_with_an_ellipsis() -> None:
    title = "word " * 200
    _font, size, lines = cards.fit_title(title, cards.font_file(title), "en")
    assert size == min(cards.TITLE_SIZES)
    assert lines[-1].endswith("…")


def test_a_word_wider_than_a_line_is_broken_inside() -> None:
    font = cards.ImageFont.load_default(size=40)
    lines = cards.wrap("x" * 200, font, 600, "en")
    assert len(lines) > 1 and "".join(lines) == "x" * 200


def test_the_card_is_the_accent_colour_with_a_bar_as_far_as_the_goal_is_reached() -> None:
    image = _image(cards.draw(_card(progress=50)))
    assert image.size == (cards.WIDTH, cards.HEIGHT)
    assert image.getpixel((4, 4)) == (0x1A, 0x5F, 0xB4)
    middle = (556 + 548) // 2
    assert image.getpixel((cards.MARGIN + 100, middle)) == cards.WHITE
    assert image.getpixel((cards.WIDTH - cards.MARGIN - 100, middle)) != cards.WHITE


def test_a_right_to_left_title_fills_its_bar_from_the_right() -> None:
    image = _image(cards.draw(_card(title="الحرية للطلاب", progress=20, direction="rtl")))
    middle = (556 + 548) // 2
    assert image.getpixel((cards.WIDTH - cards.MARGIN - 20, middle)) == cards.WHITE
    assert image.getpixel((cards.MARGIN + 20, middle)) != cards.WHITE


def test_without_a_goal_there_is_no_bar() -> None:
    image = _image(cards.draw(_card(goal="", progress=0)))
    assert image.getpixel((cards.MARGIN + 100, 556)) == (0x1A, 0x5F, 0xB4)


def test_without_any_font_file_the_builtin_font_draws_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(cards, "_font_files", lambda: ())
    cards.font_file.cache_clear()
    try:
        image = _image(cards.draw(_card()))
    finally:
        cards.font_file.cache_clear()
    assert image.size == (cards.WIDTH, cards.HEIGHT)
    # White text drawn where the title goes.
    assert cards.WHITE in {colour for _n, colour in image.getcolors(1 << 16) or []}


def test_a_font_that_has_every_character_is_chosen() -> None:
    chosen = cards.font_file("Привет, Ελλάδα")
    assert chosen is not None and "DejaVu" in chosen
