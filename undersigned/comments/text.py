"""A comment's text as a page shows it, and what the moderation rules look for in it.

Comments are plain text: everything is escaped, blank lines make paragraphs, line breaks stay,
and web addresses written in full (https://…, or www.…) become links that search engines are
told not to follow and that open nothing of ours to the linked page. Nothing else is markup.
"""

from __future__ import annotations

import functools
import hashlib
import re
import unicodedata

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

# Longest comment, in characters.
MAX_CHARS = 2000

# Not inside an email address or a longer host name (ana@www.example.org, x.www.example.org):
# a link to part of one would lead somewhere else than the text says.
_URL = re.compile(r"(?<![\w@.-])(?:https?://|www\.)[^\s<>\"']+", re.IGNORECASE)
# What readers would take for a link or an address even where it is not made one: held for a
# moderator when the statement holds links.
_LINKISH = re.compile(
    r"https?://|www\.|[\w.+-]+@[\w-]+\.[\w.-]+|\b[\w-]+\.(?:com|org|net|info|biz|io|ru|xyz|top|"
    r"site|online|shop|club|link|click|ly|me|co|app|pe|es|uk|ar|bo|cl|mx)\b(?:/|\b)",
    re.IGNORECASE,
)
# Trailing punctuation that ends a sentence rather than the address.
_TRAILING = ".,;:!?)]}'\""


def _link(match: re.Match[str]) -> str:
    url = match.group(0)
    tail = ""
    while url and url[-1] in _TRAILING:
        # A closing bracket that closes one opened inside the address belongs to it.
        if url[-1] == ")" and url.count("(") >= url.count(")"):
            break
        tail = url[-1] + tail
        url = url[:-1]
    href = url if url.lower().startswith("http") else f"https://{url}"
    return (
        f'<a href="{escape(href)}" rel="nofollow ugc noopener noreferrer">{escape(url)}</a>'
        f"{escape(tail)}"
    )


def _line(text: str) -> str:
    out: list[str] = []
    last = 0
    for match in _URL.finditer(text):
        out.append(escape(text[last : match.start()]))
        out.append(_link(match))
        last = match.end()
    out.append(escape(text[last:]))
    return "".join(out)


@functools.lru_cache(maxsize=4096)
def render(text: str) -> SafeString:
    """The comment as HTML: escaped, in paragraphs, its web addresses made links."""
    paragraphs = [p.strip() for p in re.split(r"\n\s*\n", text.replace("\r\n", "\n")) if p.strip()]
    html = "".join(
        "<p>" + "<br>".join(_line(line) for line in paragraph.split("\n")) + "</p>"
        for paragraph in paragraphs
    )
    return mark_safe(html)  # noqa: S308 - every piece of the text went through escape()


def has_link(text: str) -> bool:
    """Whether the text holds something a reader could follow: a web address (written in full
    or as a bare domain) or an email address."""
    return bool(_LINKISH.search(text))


def _plain(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return " ".join("".join(c for c in decomposed if not unicodedata.combining(c)).split())


def matched_words(text: str, words: list[str]) -> list[str]:
    """The words or phrases of the list found in the text as whole words, case and accents
    ignored ("Asesino" matches "asesinó", "pig" does not match "pigeon")."""
    plain = _plain(text)
    found = []
    for word in words:
        wanted = _plain(word)
        if wanted and re.search(rf"(?<!\w){re.escape(wanted)}(?!\w)", plain):
            found.append(word)
    return found


def initials(name: str) -> str:
    """The badge shown instead of a picture: the first letters of the first and last words."""
    words = [word for word in name.split() if word[:1].isalnum()]
    if not words:
        return "?"
    letters = words[0][0] + (words[-1][0] if len(words) > 1 else "")
    return letters.upper()


# Badge backgrounds, each with white text at 4.5:1 or more.
_BADGE_COLOURS = ("#1f5f8b", "#7a3e9d", "#2e6b30", "#9c2f2f", "#6b4f1d", "#205c5c", "#5a4a9c")


def badge_colour(name: str) -> str:
    """A colour for the name's badge, the same every time (from the name, never the address)."""
    digest = hashlib.sha256(name.casefold().encode()).digest()
    return _BADGE_COLOURS[digest[0] % len(_BADGE_COLOURS)]
