"""Link-preview cards: a 1200 x 630 PNG drawn on the server, for a statement without a cover
picture, so that a shared link shows the title and the count rather than nothing.

The text is the organisers' (a title in any script) and the count's, in the page's language.
It is drawn with the first font on the system that has every character of it: DejaVu Sans
(Debian's fonts-dejavu-core, which CI installs) covers Latin, Greek, Cyrillic, Arabic and
Hebrew; fonts such as Noto's, where installed, cover the rest. Without any, Pillow's built-in
font draws Latin text. Shaping and right-to-left order come from libraqm where Pillow has it.
"""

from __future__ import annotations

import functools
import glob
import io
from collections.abc import Sequence
from dataclasses import dataclass

from PIL import Image, ImageDraw, ImageFont

WIDTH, HEIGHT = 1200, 630
MARGIN = 72
# Where the title may go, below the organisation's name and above the count.
TITLE_TOP, TITLE_BOTTOM = 150, 440
# The title's largest and smallest sizes in pixels: a short title big, a long one smaller,
# cut short with an ellipsis only at the smallest.
TITLE_SIZES = range(76, 39, -4)
LINE_HEIGHT = 1.22
WHITE = (255, 255, 255)

# Bold first: a card is read at thumbnail size. The globs find fonts for other scripts where
# the system has them (Debian's fonts-noto-core, fonts-noto-cjk), tried in this order.
_FONT_FILES = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
    "/usr/share/fonts/truetype/noto/NotoSans-Bold.ttf",
    "/usr/share/fonts/truetype/noto/NotoSans*-Bold.ttf",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc",
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/truetype/noto/NotoSans*-Regular.ttf",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/liberation/LiberationSans-Bold.ttf",
)
# A code point no font draws: its glyph is the font's "missing" box (.notdef).
_MISSING = "\U000f0000"

Font = ImageFont.FreeTypeFont | ImageFont.ImageFont


@dataclass(frozen=True)
class Card:
    """What a card shows, already in the reader's language (the count as words)."""

    title: str
    organisation: str
    count: str
    # "Goal: 5,000 signatures", or empty; with the share reached, 0 to 100.
    goal: str
    progress: int
    # "#rrggbb", dark enough for white text on it.
    colour: str
    # The title's language tag (for shaping) and direction ("rtl" aligns it right).
    language: str = "en"
    direction: str = "ltr"


@functools.cache
def _font_files() -> tuple[str, ...]:
    found: list[str] = []
    for pattern in _FONT_FILES:
        found += [path for path in sorted(glob.glob(pattern)) if path not in found]
    return tuple(found)


def _covers(path: str, text: str) -> bool:
    """Whether the font at `path` has a glyph for every visible character of `text`."""
    font = ImageFont.truetype(path, 24)
    missing = font.getmask(_MISSING)
    box = (missing.size, bytes(missing))
    for char in set(text):
        if char.isspace() or not char.isprintable():
            continue
        mask = font.getmask(char)
        if (mask.size, bytes(mask)) == box:
            return False
    return True


@functools.lru_cache(maxsize=256)
def font_file(text: str) -> str | None:
    """The first font file on the system that draws all of `text`, else the first there is
    (some characters then show as boxes); None if there is none at all."""
    files = _font_files()
    for path in files:
        try:
            if _covers(path, text):
                return path
        except OSError:
            continue
    return files[0] if files else None


def _font(path: str | None, size: int) -> Font:
    if path is None:
        return ImageFont.load_default(size=size)
    return ImageFont.truetype(path, size)


def _shaped(font: Font) -> bool:
    """Whether the font lays text out with libraqm, which takes the text's language (the
    built-in font, or a Pillow without libraqm, does not)."""
    return isinstance(font, ImageFont.FreeTypeFont) and font.layout_engine == ImageFont.Layout.RAQM


def _width(font: Font, text: str, language: str) -> float:
    if _shaped(font):
        return font.getlength(text, language=language)
    return font.getlength(text)


def wrap(text: str, font: Font, width: int, language: str) -> list[str]:
    """`text` in lines no wider than `width`: broken between words, and inside a word only
    where it is wider than a line by itself (a long compound, or a script without spaces)."""
    lines: list[str] = []
    line = ""
    for word in text.split():
        candidate = f"{line} {word}" if line else word
        if _width(font, candidate, language) <= width:
            line = candidate
            continue
        if line:
            lines.append(line)
        line = ""
        for char in word:
            if line and _width(font, line + char, language) > width:
                lines.append(line)
                line = ""
            line += char
    if line:
        lines.append(line)
    return lines


def _shorten(line: str, font: Font, width: int, language: str) -> str:
    """`line` with an ellipsis, cut so that it fits `width`."""
    while line and _width(font, line + "…", language) > width:
        line = line[:-1]
    return line.rstrip() + "…"


def fit_title(
    title: str, path: str | None, language: str, sizes: Sequence[int] = TITLE_SIZES
) -> tuple[Font, int, list[str]]:
    """The title's font, size and lines: the largest size at which it fits the title's box,
    else the smallest with the last line cut short."""
    width = WIDTH - 2 * MARGIN
    height = TITLE_BOTTOM - TITLE_TOP
    for size in sizes:
        font = _font(path, size)
        lines = wrap(title, font, width, language)
        if len(lines) * size * LINE_HEIGHT <= height:
            return font, size, lines
    size = sizes[-1]
    font = _font(path, size)
    lines = wrap(title, font, width, language)
    kept = max(1, int(height // (size * LINE_HEIGHT)))
    if len(lines) > kept:
        lines = [*lines[: kept - 1], _shorten(lines[kept - 1], font, width, language)]
    return font, size, lines


def _rgb(colour: str) -> tuple[int, int, int]:
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)


def _mix(colour: tuple[int, int, int], share_of_white: float) -> tuple[int, int, int]:
    r, g, b = (round(c + (255 - c) * share_of_white) for c in colour)
    return r, g, b


def draw(card: Card) -> bytes:
    """The card as PNG bytes: white text on the accent colour, the organisation's name at the
    top, the title, then the count and, with a goal, the goal and a progress bar."""
    background = _rgb(card.colour)
    image = Image.new("RGB", (WIDTH, HEIGHT), background)
    pen = ImageDraw.Draw(image)
    width = WIDTH - 2 * MARGIN
    rtl = card.direction == "rtl"

    def text(y: float, line: str, font: Font, fill: tuple[int, int, int], lang: str) -> None:
        x = MARGIN + width - _width(font, line, lang) if rtl else MARGIN
        if _shaped(font):
            pen.text((x, y), line, font=font, fill=fill, language=lang)
        else:
            pen.text((x, y), line, font=font, fill=fill)

    muted = _mix(background, 0.8)
    name_font = _font(font_file(card.organisation), 34)
    name = card.organisation
    if _width(name_font, name, card.language) > width:
        name = _shorten(name, name_font, width, card.language)
    text(MARGIN, name, name_font, muted, card.language)

    font, size, lines = fit_title(card.title, font_file(card.title), card.language)
    for index, line in enumerate(lines):
        text(TITLE_TOP + index * size * LINE_HEIGHT, line, font, WHITE, card.language)

    figures = f"{card.count}  ·  {card.goal}" if card.goal else card.count
    count_font = _font(font_file(figures), 40)
    text(478, figures, count_font, WHITE, card.language)
    if card.goal:
        top, bottom = 548, 564
        pen.rounded_rectangle((MARGIN, top, MARGIN + width, bottom), 8, fill=_mix(background, 0.3))
        reached = round(width * max(0, min(100, card.progress)) / 100)
        if reached:
            left = MARGIN + width - reached if rtl else MARGIN
            pen.rounded_rectangle((left, top, left + reached, bottom), 8, fill=WHITE)
    out = io.BytesIO()
    image.save(out, "PNG", optimize=True)
    return out.getvalue()
