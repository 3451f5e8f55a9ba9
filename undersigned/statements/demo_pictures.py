"""Pictures the demo draws for itself (no photograph, no real person): a march at dusk for the
cover, a vigil for an update, and the network's logo."""

from __future__ import annotations

import io
import random

from PIL import Image, ImageDraw, ImageFont


def _sky(
    width: int, height: int, top: tuple[int, int, int], bottom: tuple[int, int, int]
) -> Image.Image:
    sky = Image.new("RGB", (width, height))
    draw = ImageDraw.Draw(sky)
    for y in range(height):
        t = y / (height - 1)
        colour = tuple(round(a + (b - a) * t) for a, b in zip(top, bottom, strict=True))
        draw.line([(0, y), (width, y)], fill=colour)
    return sky


def _crowd(
    draw: ImageDraw.ImageDraw, rng: random.Random, width: int, height: int, rows: int
) -> None:
    """Rows of simple figures, the nearest row largest and darkest."""
    for row in range(rows):
        depth = row / max(rows - 1, 1)
        size = 26 + 34 * depth
        base = height * (0.62 + 0.38 * depth)
        shade = round(70 - 55 * depth)
        colour = (shade, round(shade * 0.55), round(shade * 0.6))
        x = -size
        while x < width + size:
            x += size * rng.uniform(0.7, 1.2)
            top = base - size * rng.uniform(2.1, 2.5)
            draw.ellipse([x - size * 0.32, top - size * 0.64, x + size * 0.32, top], fill=colour)
            draw.rounded_rectangle(
                [x - size * 0.5, top + size * 0.05, x + size * 0.5, base + size],
                size * 0.3,
                fill=colour,
            )


def _banner(
    draw: ImageDraw.ImageDraw, x: int, y: int, text: str, size: int, colour: tuple[int, int, int]
) -> None:
    font = ImageFont.load_default(size=size)
    left, top, right, bottom = draw.textbbox((0, 0), text, font=font)
    pad = size // 2
    w, h = right - left + 2 * pad, bottom - top + 2 * pad
    draw.line([(x + 10, y + h), (x + 10, y + h + size * 3)], fill=(40, 25, 25), width=8)
    draw.line([(x + w - 10, y + h), (x + w - 10, y + h + size * 3)], fill=(40, 25, 25), width=8)
    draw.rectangle([x, y, x + w, y + h], fill=(245, 240, 228))
    draw.text((x + pad - left, y + pad - top), text, font=font, fill=colour)


def _jpeg(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, "JPEG", quality=88)
    return out.getvalue()


def march() -> bytes:
    """The cover: a march at dusk under two banners."""
    rng = random.Random(12)  # noqa: S311 - a repeatable drawing, not a secret
    width, height = 1600, 900
    image = _sky(width, height, (58, 38, 92), (238, 128, 74))
    draw = ImageDraw.Draw(image)
    draw.ellipse([1180, 420, 1380, 620], fill=(252, 196, 120))  # the setting sun
    _banner(draw, 220, 260, "FREE THEM · LIBERTAD", 64, (163, 18, 43))
    _banner(draw, 980, 330, "41", 90, (163, 18, 43))
    _crowd(draw, rng, width, height, rows=5)
    return _jpeg(image)


def vigil() -> bytes:
    """An update's picture: candles in front of a building at night."""
    rng = random.Random(7)  # noqa: S311 - a repeatable drawing, not a secret
    width, height = 1200, 800
    image = _sky(width, height, (18, 22, 48), (52, 44, 78))
    draw = ImageDraw.Draw(image)
    draw.rectangle([150, 160, 1050, 560], fill=(38, 36, 58))
    for column in range(8):
        x = 210 + column * 110
        draw.rectangle([x, 220, x + 40, 560], fill=(58, 54, 82))
    draw.polygon([(120, 160), (600, 40), (1080, 160)], fill=(44, 40, 66))
    for _ in range(60):
        cx, cy = rng.uniform(40, width - 40), rng.uniform(610, height - 30)
        draw.rectangle([cx - 5, cy - 16, cx + 5, cy + 10], fill=(236, 230, 214))
        draw.ellipse([cx - 9, cy - 40, cx + 9, cy - 16], fill=(255, 196, 84))
    _crowd(draw, rng, width, height + 120, rows=2)
    return _jpeg(image)


def logo(initials: str = "SSN", colour: tuple[int, int, int] = (155, 28, 49)) -> bytes:
    """An organisation's logo: its initials in a disc of its colour."""
    size = 256
    image = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.ellipse([4, 4, size - 4, size - 4], fill=(*colour, 255))
    font = ImageFont.load_default(size=92 if len(initials) <= 3 else 72)
    left, top, right, bottom = draw.textbbox((0, 0), initials, font=font)
    draw.text(
        ((size - (right - left)) / 2 - left, (size - (bottom - top)) / 2 - top),
        initials,
        font=font,
        fill=(255, 255, 255, 255),
    )
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()
