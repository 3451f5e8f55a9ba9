"""A statement's link-preview card (og:image where it has no cover picture): its title, its
organisation and its count, drawn by undersigned.lib.cards in each language version.

Drawing takes tens of milliseconds, and a link shared in a busy group brings a crawler per
member: each process keeps the cards it drew, and draws a statement's card again only when
what it shows has changed, the count at most once every CARD_SECONDS. The request itself reads
what the statement's page reads (the cached statement and count), nothing more.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, replace

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.formats import number_format
from django.utils.translation import ngettext
from django.views.decorators.http import require_safe

from undersigned.lib import cards, colours, markdown, pagecache, pictures
from undersigned.lib.languages import direction
from undersigned.lib.pagecache import public_cache
from undersigned.public.views.statements import public_version
from undersigned.statements.models import Statement, StatementVersion
from undersigned.statements.queries import signature_count

# How long a card drawn keeps its count: at most this old when it is served from here...
CARD_SECONDS = 300
# ...and how long a served card is kept by this process's page cache and by readers and
# crawlers: a card is never shown with a count older than the sum of the two.
SERVED_SECONDS = 60
# The site's own accent (static/css/site.css's --accent), for organisations without one.
DEFAULT_ACCENT = "#a3122b"
# Cards kept per process: a few statements' language versions, about 40 KB each.
_MAX_CARDS = 200


@dataclass(frozen=True)
class _Drawn:
    card: cards.Card
    # Until when the count on it is fresh enough (pagecache.clock).
    until: float
    png: bytes


# (statement id, language) -> the card last drawn for it.
_drawn: dict[tuple[int, str], _Drawn] = {}
# Held by the thread drawing: the others meanwhile serve the card there is, if any, rather
# than all draw it at once.
_drawing = threading.Lock()


def accent(statement: Statement) -> str:
    """The organisation's accent colour if it takes white text, else the site's."""
    colour = colours.normalise(statement.organisation.accent_colour or "")
    if colour is None or colours.contrast_ratio(colour, colours.WHITE) < colours.MINIMUM_CONTRAST:
        return DEFAULT_ACCENT
    return colour


def card_for(statement: Statement, version: StatementVersion, count: int) -> cards.Card:
    """What the card of `version` shows, in the active language (the page's)."""
    shown = number_format(count, force_grouping=True)
    goal = ""
    if statement.goal:
        goal = ngettext("Goal: %(goal)s signature", "Goal: %(goal)s signatures", statement.goal) % {
            "goal": number_format(statement.goal, force_grouping=True)
        }
    return cards.Card(
        title=version.title,
        organisation=statement.organisation.name,
        count=f"{shown} {ngettext('signature', 'signatures', count)}",
        goal=goal,
        progress=statement.progress_percent(count),
        colour=accent(statement),
        language=version.language,
        direction=direction(version.language),
    )


def card_png(key: tuple[int, str], card: cards.Card) -> bytes:
    """The PNG of `card`, drawn anew only if the one kept for `key` shows something else: a
    changed title, name, colour or goal at once, a changed count once CARD_SECONDS have passed
    since it was drawn."""
    kept = _drawn.get(key)
    if kept is not None and _still_good(kept, card):
        return kept.png
    if kept is None:
        _drawing.acquire()
    elif not _drawing.acquire(blocking=False):
        return kept.png
    try:
        kept = _drawn.get(key)
        if kept is not None and _still_good(kept, card):
            return kept.png
        png = cards.draw(card)
        if len(_drawn) >= _MAX_CARDS:
            _drawn.clear()
        _drawn[key] = _Drawn(card=card, until=pagecache.clock() + CARD_SECONDS, png=png)
        return png
    finally:
        _drawing.release()


def _still_good(kept: _Drawn, card: cards.Card) -> bool:
    if kept.card == card:
        return True
    # The same card but for the count: good until its time is up.
    same = replace(card, count=kept.card.count, progress=kept.card.progress) == kept.card
    return same and kept.until > pagecache.clock()


@dataclass(frozen=True)
class Preview:
    """The picture a link preview (og:image) shows, at an absolute address."""

    url: str
    width: int
    height: int
    alt: str
    type: str


def preview_image(statement: Statement, version: StatementVersion, text: str = "") -> Preview:
    """The link-preview picture of a page about `version`: the first of the site's pictures in
    `text` (organiser Markdown, such as an update's), else the statement's cover picture, else
    its card."""
    site = settings.SITE_URL
    found = markdown.first_picture(text) if text else None
    if found is not None:
        url, alt = found
        size = pictures.source(url)
        if size is not None:
            kind = "image/png" if url.endswith(".png") else "image/jpeg"
            return Preview(site + url, size.width, size.height, alt or version.title, kind)
    cover = statement.cover
    if cover is not None:
        kind = "image/png" if cover.url.endswith(".png") else "image/jpeg"
        alt = version.cover_alt or cover.alt or version.title
        return Preview(site + cover.url, cover.width, cover.height, alt, kind)
    return Preview(
        site + reverse("card", args=(statement.slug, version.language)),
        cards.WIDTH,
        cards.HEIGHT,
        f"{version.title} · {statement.organisation.name}",
        "image/png",
    )


def forget_cards() -> None:
    """Drop this process's cards (for tests, whose statement ids repeat)."""
    _drawn.clear()


@require_safe
@public_cache(SERVED_SECONDS)
def card(request: HttpRequest, slug: str, language: str) -> HttpResponse:
    """The card of a statement's language version, as a PNG; 404 wherever its page is."""
    statement, version = public_version(request, slug, language)
    if version.language != language:
        return redirect("card", slug, version.language)
    shown = card_for(statement, version, signature_count(statement))
    return HttpResponse(card_png((statement.pk, version.language), shown), content_type="image/png")
