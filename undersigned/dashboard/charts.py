"""Charts drawn on the server as SVG: no script, nothing loaded from elsewhere. Each chart is
marked up as an image with a title and a description; the page shows the same numbers in a
table beside it, which is what screen readers and text browsers read.

Every label is escaped here: a statement title or a source code may hold anything.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from collections.abc import Sequence
from xml.sax.saxutils import escape

from django.utils.safestring import SafeString, mark_safe

WIDTH = 640
HEIGHT = 180
# Room for the axis labels: left for the scale, bottom for the time labels.
LEFT = 40
BOTTOM = 24
TOP = 10


@dataclasses.dataclass(frozen=True, slots=True)
class Point:
    label: str
    value: int


def _nice_top(largest: int) -> int:
    """A round number at or above `largest` for the top of the scale: 1, 2, 5, 10, 20, 50..."""
    if largest <= 1:
        return 1
    power: int = 10 ** int(math.floor(math.log10(largest)))
    for step in (1, 2, 5, 10):
        if step * power >= largest:
            return step * power
    return 10 * power  # pragma: no cover - the loop always returns


def bar_chart(
    points: Sequence[Point], *, title: str, description: str, every: int = 1, ident: str
) -> SafeString:
    """A bar chart of `points`, labelling one bar in `every` along the bottom. `ident` makes
    the ids of its title and description unique in the page."""
    top = _nice_top(max((point.value for point in points), default=0))
    plot_width = WIDTH - LEFT - 4
    plot_height = HEIGHT - TOP - BOTTOM
    slot = plot_width / max(len(points), 1)
    bar = max(slot * 0.8, 1.0)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" aria-labelledby="{ident}-t {ident}-d">',
        f'<title id="{ident}-t">{escape(title)}</title>',
        f'<desc id="{ident}-d">{escape(description)}</desc>',
        f'<line class="axis" x1="{LEFT}" y1="{TOP + plot_height}" '
        f'x2="{WIDTH - 4}" y2="{TOP + plot_height}"/>',
        f'<text class="scale" x="{LEFT - 4}" y="{TOP + 8}" text-anchor="end">{top}</text>',
        f'<text class="scale" x="{LEFT - 4}" y="{TOP + plot_height}" text-anchor="end">0</text>',
    ]
    for index, point in enumerate(points):
        height = plot_height * point.value / top
        x = LEFT + index * slot + (slot - bar) / 2
        y = TOP + plot_height - height
        parts.append(
            f'<rect class="bar" x="{x:.1f}" y="{y:.1f}" width="{bar:.1f}" height="{height:.1f}">'
            f"<title>{escape(point.label)}: {point.value}</title></rect>"
        )
        if index % every == 0:
            parts.append(
                f'<text class="label" x="{x + bar / 2:.1f}" y="{HEIGHT - 6}" '
                f'text-anchor="middle">{escape(point.label)}</text>'
            )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every label above is escaped


def progress_bar(count: int, goal: int, *, title: str, description: str, ident: str) -> SafeString:
    """A horizontal bar: `count` of `goal`, full at the goal or beyond."""
    inner = WIDTH - 8
    done = inner * min(count, goal) / goal if goal else 0.0
    return mark_safe(  # noqa: S308 - the texts are escaped
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart progress" role="img" '
        f'viewBox="0 0 {WIDTH} 40" aria-labelledby="{ident}-t {ident}-d">'
        f'<title id="{ident}-t">{escape(title)}</title>'
        f'<desc id="{ident}-d">{escape(description)}</desc>'
        f'<rect class="track" x="4" y="8" width="{inner}" height="24"/>'
        f'<rect class="bar" x="4" y="8" width="{done:.1f}" height="24"/>'
        f"</svg>"
    )


@dataclasses.dataclass(frozen=True, slots=True)
class Projection:
    """When the goal will be reached at the recent daily rate. `date` is None when it cannot
    be told (no goal, no recent signature) or when it is already reached."""

    reached: bool
    remaining: int
    per_day: float
    date: dt.date | None


def project(count: int, goal: int | None, recent: int, days: int, today: dt.date) -> Projection:
    """The goal's date if the last `days` days' `recent` signatures go on at the same rate."""
    remaining = max((goal or 0) - count, 0)
    per_day = recent / days if days > 0 else 0.0
    if not goal or remaining == 0 or per_day <= 0:
        return Projection(
            reached=bool(goal) and remaining == 0, remaining=remaining, per_day=per_day, date=None
        )
    return Projection(
        reached=False,
        remaining=remaining,
        per_day=per_day,
        date=today + dt.timedelta(days=math.ceil(remaining / per_day)),
    )
