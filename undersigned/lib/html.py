"""Organiser-written text, as HTML: a small safe subset (the Markdown it is written in is
rendered by undersigned.lib.markdown, then held to this subset)."""

from __future__ import annotations

import re
import textwrap
from html import unescape

import nh3
from django.utils.html import strip_tags

from undersigned.lib.pictures import is_local

ALLOWED_TAGS = frozenset(
    {
        *("p", "br", "h2", "h3", "h4", "ul", "ol", "li", "a", "strong", "em", "b", "i"),
        *("blockquote", "hr", "img", "figure", "figcaption", "picture", "source"),
    }
)
ATTRIBUTES = {
    "a": frozenset({"href", "title"}),
    "img": frozenset({"src", "srcset", "sizes", "alt", "width", "height", "loading", "decoding"}),
    "source": frozenset({"type", "srcset", "sizes"}),
}
SCHEMES = frozenset({"http", "https", "mailto"})


def _keep(element: str, attribute: str, value: str) -> str | None:
    """A picture is shown only from this site's own stored pictures: one from elsewhere would
    tell that site who reads the page."""
    if element == "img" and attribute == "src":
        return value if is_local(value) else None
    if element in ("img", "source") and attribute == "srcset":
        urls = [part.split()[0] for part in value.split(",") if part.strip()]
        return value if urls and all(is_local(url) for url in urls) else None
    return value


def sanitise(text: str) -> str:
    """Keep paragraphs, headings, lists, emphasis and links; drop everything else.

    Links get rel="nofollow noopener noreferrer" so following one leaks nothing about the reader.
    """
    clean = nh3.clean(
        text,
        tags=set(ALLOWED_TAGS),
        attributes={tag: set(attrs) for tag, attrs in ATTRIBUTES.items()},
        url_schemes=set(SCHEMES),
        link_rel="nofollow noopener noreferrer",
        strip_comments=True,
        attribute_filter=_keep,
    )
    # A picture whose address was not this site's has lost it: nothing left to show.
    return _SOURCELESS.sub("", clean)


_SOURCELESS = re.compile(
    r"<(?:img\b(?![^>]*\ssrc=)|source\b(?![^>]*\ssrcset=))[^>]*>", re.IGNORECASE
)


_BLOCKS = re.compile(
    r"</?(?:p|h[2-4]|ul|ol|blockquote|hr|figure|figcaption)\b[^>]*>|<br\s*/?>", re.IGNORECASE
)
_PICTURE = re.compile(r'<img\b[^>]*\balt="([^"]*)"[^>]*>', re.IGNORECASE)
_ITEM = re.compile(r"<li\b[^>]*>", re.IGNORECASE)
_LINK = re.compile(r'<a\b[^>]*href="([^"]*)"[^>]*>(.*?)</a>', re.IGNORECASE | re.DOTALL)


def to_text(text: str, width: int = 76) -> str:
    """The safe subset as plain text for an email's text part: paragraphs wrapped, list items
    with a dash, links followed by their address."""
    clean = sanitise(text)
    clean = _LINK.sub(
        lambda m: (
            m.group(2)
            if unescape(m.group(1)) == strip_tags(m.group(2))
            else f"{m.group(2)} ({m.group(1)})"
        ),
        clean,
    )
    clean = _PICTURE.sub(lambda m: f"[{m.group(1)}]" if m.group(1) else "", clean)
    clean = _ITEM.sub("\n\n- ", clean)
    clean = _BLOCKS.sub("\n\n", clean)
    paragraphs = [" ".join(unescape(strip_tags(part)).split()) for part in clean.split("\n\n")]
    return "\n\n".join(
        textwrap.fill(paragraph, width, break_long_words=False, break_on_hyphens=False)
        for paragraph in paragraphs
        if paragraph
    )
