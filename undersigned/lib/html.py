"""Organiser-written statement text: a small safe subset of HTML."""

from __future__ import annotations

import re
import textwrap
from html import unescape

import nh3
from django.utils.html import strip_tags

ALLOWED_TAGS = frozenset(
    {"p", "br", "h2", "h3", "h4", "ul", "ol", "li", "a", "strong", "em", "b", "i", "blockquote"}
)
_ATTRIBUTES = {"a": {"href", "title"}}
_SCHEMES = {"http", "https", "mailto"}


def sanitise(text: str) -> str:
    """Keep paragraphs, headings, lists, emphasis and links; drop everything else.

    Links get rel="nofollow noopener noreferrer" so following one leaks nothing about the reader.
    """
    return nh3.clean(
        text,
        tags=set(ALLOWED_TAGS),
        attributes={tag: set(attrs) for tag, attrs in _ATTRIBUTES.items()},
        url_schemes=set(_SCHEMES),
        link_rel="nofollow noopener noreferrer",
        strip_comments=True,
    )


_BLOCKS = re.compile(r"</?(?:p|h[2-4]|ul|ol|blockquote)\b[^>]*>|<br\s*/?>", re.IGNORECASE)
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
    clean = _ITEM.sub("\n\n- ", clean)
    clean = _BLOCKS.sub("\n\n", clean)
    paragraphs = [" ".join(unescape(strip_tags(part)).split()) for part in clean.split("\n\n")]
    return "\n\n".join(
        textwrap.fill(paragraph, width, break_long_words=False, break_on_hyphens=False)
        for paragraph in paragraphs
        if paragraph
    )
