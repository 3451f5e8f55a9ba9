"""Colours organisers pick: parsing "#rrggbb" and WCAG 2 contrast ratios.

An organisation's accent is the background of buttons with white text on them, and the colour of
links on a light page, so it must reach 4.5:1 against white (WCAG 2 AA for normal text).
"""

from __future__ import annotations

import re

HEX = re.compile(r"#[0-9a-f]{6}")
WHITE = "#ffffff"
# WCAG 2 AA, normal text.
MINIMUM_CONTRAST = 4.5


def normalise(value: str) -> str | None:
    """`value` as "#rrggbb" in lower case, or None if it is not six hex digits after a "#"."""
    value = value.strip().lower()
    return value if HEX.fullmatch(value) else None


def _channel(byte: int) -> float:
    value = byte / 255
    return value / 12.92 if value <= 0.04045 else ((value + 0.055) / 1.055) ** 2.4


def relative_luminance(colour: str) -> float:
    """WCAG 2's relative luminance of a "#rrggbb" colour: 0 for black, 1 for white."""
    red, green, blue = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * _channel(red) + 0.7152 * _channel(green) + 0.0722 * _channel(blue)


def contrast_ratio(first: str, second: str) -> float:
    """WCAG 2's contrast ratio of two "#rrggbb" colours, from 1 (the same) to 21."""
    lighter, darker = sorted((relative_luminance(first), relative_luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)
