"""A fighting fund's thermometer as a PNG, drawn on the server for partners' pages and emails:
the fund's title, the money raised of the target, a bar in two tones (received, solid; pledged
and not yet received, hatched) with its legend, and the donors and days left.

The texts come already in the reader's language; the fonts are those undersigned.lib.cards
finds on the system for them. Drawn at twice the size it is shown (600 x 160 CSS pixels), so
that it stays sharp on a phone's screen.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from PIL import Image, ImageDraw, ImageFont

from undersigned.lib import cards

WIDTH, HEIGHT = 1200, 320
MARGIN = 40
BAR_TOP, BAR_BOTTOM = 142, 190
INK = (31, 31, 36)
MUTED = (84, 84, 94)
TRACK = (232, 232, 236)
WHITE = (255, 255, 255)

Font = ImageFont.FreeTypeFont | ImageFont.ImageFont


@dataclass(frozen=True)
class Picture:
    """What the thermometer shows, in the reader's language: equal pictures draw the same."""

    title: str
    # "£1,240 raised of £5,000 · 24%"
    headline: str
    # "Received £1,240", "Pledged, not yet received £300" (empty without pledges)
    received: str
    pledged: str
    # "37 gifts · 12 days left"
    footer: str
    # The two tones' widths, in percent of the bar (together at most 100).
    received_width: float
    pledged_width: float
    # "#rrggbb", dark enough for white text on it (and so for the bar on white).
    colour: str
    language: str = "en"
    direction: str = "ltr"


def _font(text: str, size: int) -> Font:
    path = cards.font_file(text)
    if path is None:
        return ImageFont.load_default(size=size)
    return ImageFont.truetype(path, size)


def _shaped(font: Font) -> bool:
    return isinstance(font, ImageFont.FreeTypeFont) and font.layout_engine == ImageFont.Layout.RAQM


def _width(font: Font, text: str, language: str) -> float:
    return font.getlength(text, language=language) if _shaped(font) else font.getlength(text)


def _fitted(text: str, font: Font, width: float, language: str) -> str:
    """`text`, cut short with an ellipsis where it is wider than `width`."""
    if _width(font, text, language) <= width:
        return text
    while text and _width(font, text + "…", language) > width:
        text = text[:-1]
    return text.rstrip() + "…"


def _rgb(colour: str) -> tuple[int, int, int]:
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)


def _tint(colour: tuple[int, int, int], share_of_white: float) -> tuple[int, int, int]:
    r, g, b = (round(c + (255 - c) * share_of_white) for c in colour)
    return r, g, b


def _hatched(
    size: tuple[int, int], accent: tuple[int, int, int], *, every: int, thick: int
) -> Image.Image:
    """A patch of diagonal stripes of `accent`, `every` pixels apart, on its light tint."""
    width, height = size
    patch = Image.new("RGB", (max(1, width), max(1, height)), _tint(accent, 0.75))
    pen = ImageDraw.Draw(patch)
    for x in range(-height, width + height, every):
        pen.line(((x, height), (x + height, 0)), fill=accent, width=thick)
    return patch


def draw(picture: Picture) -> bytes:
    """The thermometer as PNG bytes, on white."""
    image = Image.new("RGB", (WIDTH, HEIGHT), WHITE)
    pen = ImageDraw.Draw(image)
    accent = _rgb(picture.colour)
    width = WIDTH - 2 * MARGIN
    rtl = picture.direction == "rtl"
    language = picture.language

    def text(x: float, y: float, line: str, font: Font, fill: tuple[int, int, int]) -> float:
        """Draw `line` at `x` from the start edge; return where the next thing may go."""
        length = _width(font, line, language)
        left = MARGIN + width - x - length if rtl else MARGIN + x
        if _shaped(font):
            pen.text((left, y), line, font=font, fill=fill, language=language)
        else:
            pen.text((left, y), line, font=font, fill=fill)
        return x + length

    title_font = _font(picture.title, 40)
    text(0, 24, _fitted(picture.title, title_font, width, language), title_font, MUTED)
    headline_font = _font(picture.headline, 48)
    text(0, 74, _fitted(picture.headline, headline_font, width, language), headline_font, INK)

    # The bar: a light track with a dark outline, received then pledged from the start edge.
    box = (MARGIN, BAR_TOP, MARGIN + width, BAR_BOTTOM)
    pen.rounded_rectangle(box, 10, fill=TRACK, outline=MUTED, width=2)
    received = round(width * picture.received_width / 100)
    pledged = round(width * picture.pledged_width / 100)
    tones = Image.new("RGB", (width, BAR_BOTTOM - BAR_TOP), TRACK)
    if received:
        left = width - received if rtl else 0
        tones.paste(accent, (left, 0, left + received, tones.height))
    if pledged:
        patch = _hatched((pledged, tones.height), accent, every=18, thick=6)
        tones.paste(patch, (width - received - pledged if rtl else received, 0))
    if received or pledged:
        # Inside the track's rounded ends.
        mask = Image.new("L", tones.size, 0)
        ImageDraw.Draw(mask).rounded_rectangle((0, 0, width - 1, tones.height - 1), 10, fill=255)
        image.paste(tones, (MARGIN, BAR_TOP), mask)
        pen.rounded_rectangle(box, 10, outline=MUTED, width=2)

    # The legend: a swatch of each tone with its words, then the donors and days left.
    legend_font = _font(f"{picture.received} {picture.pledged} {picture.footer}", 30)
    y = 210
    x = 0.0
    for label, hatched in ((picture.received, False), (picture.pledged, True)):
        if not label or width - x < 160:
            continue
        left = round(MARGIN + width - x - 28 if rtl else MARGIN + x)
        swatch = (left, y + 4, left + 28, y + 32)
        if hatched:
            image.paste(_hatched((28, 28), accent, every=10, thick=4), swatch[:2])
        else:
            pen.rectangle(swatch, fill=accent)
        pen.rectangle(swatch, outline=MUTED, width=1)
        shown = _fitted(label, legend_font, width - x - 38, language)
        x = text(x + 38, y, shown, legend_font, INK) + 36
    if picture.footer:
        text(0, 262, _fitted(picture.footer, legend_font, width, language), legend_font, MUTED)
    out = io.BytesIO()
    image.save(out, "PNG", optimize=True)
    return out.getvalue()
