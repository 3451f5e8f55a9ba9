"""Organiser-written statement text: a small safe subset of HTML."""

from __future__ import annotations

import nh3

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
