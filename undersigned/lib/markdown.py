"""Organiser-written text: Markdown (CommonMark) rendered to the safe HTML subset of
undersigned.lib.html, and what that subset drops, said to the writer.

Two choices made for people who paste text rather than write Markdown:
- a single line break is kept as a line break (CommonMark would join the lines), and
- an indented line is a paragraph, not a block of code (statements have no code).
The page's own title is its only <h1>: `#` makes a section heading (h2), `##` an h3.

A picture of this site's own (`![alt](/media/pictures/…jpg "credit")`) is shown at the size the
screen needs (`srcset`); alone in its paragraph, it becomes a figure with its credit as caption.
A picture from elsewhere is removed: loading it would tell that site who reads the page.
"""

from __future__ import annotations

import functools
import re
from html import escape
from html.parser import HTMLParser
from typing import Any
from urllib.parse import unquote, urlsplit

from markdown_it import MarkdownIt
from markdown_it.token import Token

from undersigned.lib.html import ALLOWED_TAGS, ATTRIBUTES, SCHEMES, sanitise
from undersigned.lib.pictures import is_local, source

_MARKDOWN = MarkdownIt("commonmark", {"breaks": True, "html": True}).disable(["code", "fence"])
# Longer than any statement: a preview and the list of what is dropped stop here.
MAX_CHARS = 100_000
# How wide a picture is shown: the text column on a wide screen, the whole width on a phone.
SIZES = "(min-width: 50rem) 40rem, 100vw"


def _picture(token: Token) -> str:
    """An inline <img> for a Markdown image token."""
    url = str(token.attrGet("src") or "")
    alt = "".join(child.content for child in token.children or [])
    found = source(url)
    if found is None:
        # Left for the sanitiser, which removes a picture from elsewhere (and says so).
        return f'<img src="{escape(url)}" alt="{escape(alt)}">'
    return (
        f'<picture><source type="image/webp" srcset="{found.webp_srcset}" sizes="{SIZES}">'
        f'<img src="{found.src}" srcset="{found.srcset}" sizes="{SIZES}" '
        f'width="{found.width}" height="{found.height}" alt="{escape(alt)}" '
        'loading="lazy" decoding="async"></picture>'
    )


def _render_image(self: Any, tokens: list[Token], idx: int, options: Any, env: Any) -> str:
    return _picture(tokens[idx])


_MARKDOWN.add_render_rule("image", _render_image)


def _figures(tokens: list[Token]) -> list[Token]:
    """A paragraph holding one picture with a title becomes a figure with the title as its
    caption (the credit); headings move one level down (the page's title is the h1)."""
    out: list[Token] = []
    i = 0
    while i < len(tokens):
        token = tokens[i]
        if token.type in ("heading_open", "heading_close"):
            token.tag = f"h{min(int(token.tag[1]) + 1, 4)}"
        children = tokens[i + 1].children if i + 1 < len(tokens) else None
        if (
            token.type == "paragraph_open"
            and i + 2 < len(tokens)
            and tokens[i + 2].type == "paragraph_close"
            and children is not None
            and len(children) == 1
            and children[0].type == "image"
            and children[0].attrGet("title")
        ):
            image = children[0]
            figure = Token("html_block", "", 0)
            caption = escape(str(image.attrGet("title")))
            figure.content = (
                f"<figure>{_picture(image)}<figcaption>{caption}</figcaption></figure>\n"
            )
            out.append(figure)
            i += 3
            continue
        out.append(token)
        i += 1
    return out


def _html(text: str) -> str:
    """Markdown to HTML, before the sanitiser."""
    tokens = _figures(_MARKDOWN.parse(text))
    return str(_MARKDOWN.renderer.render(tokens, _MARKDOWN.options, {}))


@functools.lru_cache(maxsize=512)
def render(text: str) -> str:
    """Organiser Markdown as the safe HTML the public pages show (kept for the texts shown
    most, since a page renders the same text for every reader)."""
    return render_once(text)


def render_once(text: str) -> str:
    """As render(), kept nowhere: for a preview, whose text changes with every keystroke."""
    return sanitise(_html(text))


# How wide a picture is drawn in an email: the width most mail clients lay a message out at.
EMAIL_WIDTH = 600
_SOURCE = re.compile(r"<source\b[^>]*>", re.IGNORECASE)
_IMG = re.compile(r"<img\b[^>]*>", re.IGNORECASE)
_RELATIVE = re.compile(r'\b(href|src)="/(?!/)')


def _email_img(match: re.Match[str]) -> str:
    tag = match.group(0)
    found = re.search(r'\ssrc="([^"]*)"', tag)
    alt = re.search(r'\salt="([^"]*)"', tag)
    width = re.search(r'\swidth="([0-9]+)"', tag)
    height = re.search(r'\sheight="([0-9]+)"', tag)
    if found is None:
        return ""
    size = ""
    if width and height and int(width.group(1)) > 0 and int(height.group(1)) > 0:
        w, h = int(width.group(1)), int(height.group(1))
        shown = min(w, EMAIL_WIDTH)
        size = f' width="{shown}" height="{max(1, round(h * shown / w))}"'
    return (
        f'<img src="{found.group(1)}" alt="{alt.group(1) if alt else ""}"{size} '
        'style="max-width: 100%; height: auto;">'
    )


def render_for_email(text: str, site_url: str) -> str:
    """Organiser Markdown as an email's HTML: the page's safe HTML, with every address of the
    site made absolute (a mail client has no site to resolve `/s/…` against) and each picture
    as one JPEG or PNG (mail clients take neither WebP nor `srcset`) no wider than the message."""
    html = _SOURCE.sub("", render(text))
    html = _IMG.sub(_email_img, html)
    return _RELATIVE.sub(lambda match: f'{match.group(1)}="{site_url.rstrip("/")}/', html)


class _Dropped(HTMLParser):
    """What the sanitiser will take out of some HTML: elements, attributes, links, pictures."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []

    def _note(self, what: str) -> None:
        if what not in self.found:
            self.found.append(what)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in ALLOWED_TAGS:
            self._note(f"<{tag}>")
            return
        allowed = ATTRIBUTES.get(tag, frozenset())
        for name, value in attrs:
            if name not in allowed and not (tag == "a" and name == "rel"):
                self._note(f'{name}="…"')
            elif tag == "a" and name == "href" and value:
                scheme = urlsplit(value.strip()).scheme.lower()
                if scheme and scheme not in SCHEMES:
                    self._note(f"{scheme}:")
            elif tag == "img" and name == "src" and not is_local(value or ""):
                self._note(value or "<img>")
            elif name == "srcset":
                for part in (value or "").split(","):
                    url = part.split()[0] if part.split() else ""
                    if url and not is_local(url):
                        self._note(url)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)


def dropped(text: str) -> list[str]:
    """What publishing `text` (Markdown) would remove, each said once, in the order found: an
    element (`<iframe>`), an attribute (`style="…"`), a link's scheme (`javascript:`) or the
    address of a picture from another site."""
    parser = _Dropped()
    parser.feed(_html(text[:MAX_CHARS]))
    parser.close()
    return parser.found


# HTML (the safe subset) -> Markdown, for the text written before Markdown.

_SPECIAL = re.compile(r"([\\`*_\[\]<>!&])")
# What would start a block at the beginning of a line: a heading, quote, list item or rule.
_LINE_START = re.compile(r"^([#>+=-]|[0-9]+(?=[.)]))", re.MULTILINE)


def escape_text(text: str) -> str:
    """`text` with every character that Markdown would read as markup escaped."""
    return _SPECIAL.sub(r"\\\1", text)


def _escape_line_starts(text: str) -> str:
    return _LINE_START.sub(
        lambda m: m.group(1) + "\\" if m.group(1)[0].isdigit() else "\\" + m.group(1), text
    )


class _ToMarkdown(HTMLParser):
    """The safe subset of HTML written as Markdown that renders back to the same HTML."""

    _HEADINGS = {"h2": "# ", "h3": "## ", "h4": "### "}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        # Finished blocks: text, whether in a list, how deep in quotes.
        self.blocks: list[tuple[str, bool, int]] = []
        self.line: list[str] = []  # the block being written
        self.lists: list[list[int]] = []  # open lists: [next number] or [0] for bullets
        self.quote = 0
        self.links: list[str] = []
        self.prefix = ""

    def _flush(self) -> None:
        lines = [line.strip() for line in "".join(self.line).split("\n")]
        self.line = []
        text = _escape_line_starts("\n".join(line for line in lines if line))
        if not text:
            return
        indent = "   " * max(len(self.lists) - 1, 0)
        # Lines after the first of a list item are indented under its text.
        hang = indent + (" " * len(self.prefix) if self.lists else "")
        text = indent + self.prefix + text.replace("\n", "\n" + hang)
        if self.quote:
            text = "\n".join("> " * self.quote + line for line in text.split("\n"))
        self.blocks.append((text, bool(self.lists), self.quote))
        self.prefix = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "p" and self.prefix and not "".join(self.line).strip():
            pass  # a list item's first paragraph: it keeps the item's marker
        elif tag in ("p", "h2", "h3", "h4", "figure", "figcaption"):
            self._flush()
            self.prefix = self._HEADINGS.get(tag, "")
        elif tag in ("ul", "ol"):
            self._flush()
            self.lists.append([1] if tag == "ol" else [0])
        elif tag == "li":
            self._flush()
            counter = self.lists[-1] if self.lists else [0]
            if counter[0]:
                self.prefix = f"{counter[0]}. "
                counter[0] += 1
            else:
                self.prefix = "- "
        elif tag == "blockquote":
            self._flush()
            self.quote += 1
        elif tag == "br":
            self.line.append("\n")
        elif tag == "hr":
            self._flush()
            self.blocks.append(("---", False, 0))
        elif tag in ("strong", "b"):
            self.line.append("**")
        elif tag in ("em", "i"):
            self.line.append("*")
        elif tag == "a":
            href = dict(attrs).get("href") or ""
            self.links.append(href)
            self.line.append("[")
        elif tag == "img":
            values = dict(attrs)
            self.line.append(
                f"![{escape_text(values.get('alt') or '')}]({values.get('src') or ''})"
            )

    def handle_endtag(self, tag: str) -> None:
        if tag in ("p", "h2", "h3", "h4", "li", "figure", "figcaption"):
            self._flush()
        elif tag in ("ul", "ol"):
            self._flush()
            if self.lists:
                self.lists.pop()
        elif tag == "blockquote":
            self._flush()
            self.quote = max(self.quote - 1, 0)
        elif tag in ("strong", "b"):
            self.line.append("**")
        elif tag in ("em", "i"):
            self.line.append("*")
        elif tag == "a":
            href = self.links.pop() if self.links else ""
            self.line.append(f"](<{_DESTINATION.sub(_percent, href)}>)" if href else "]()")

    def handle_data(self, data: str) -> None:
        # HTML's white space only: a no-break space stays one.
        self.line.append(escape_text(re.sub(r"[ \t\r\n\f]+", " ", data)))

    def markdown(self) -> str:
        self._flush()
        out = []
        for n, (text, listed, quote) in enumerate(self.blocks):
            if n:
                _, listed_before, quote_before = self.blocks[n - 1]
                if listed and listed_before:
                    out.append("\n")  # items of one list stay together (a tight list)
                elif quote and quote_before:
                    out.append("\n" + ">" * min(quote, quote_before) + "\n")  # one quote
                else:
                    out.append("\n\n")
            out.append(text)
        return "".join(out) + ("\n" if out else "")


# What cannot stand in a link's address between < and >: written as %XX.
_DESTINATION = re.compile(r"[<>\\\s]")


def _percent(match: re.Match[str]) -> str:
    return "".join(f"%{byte:02X}" for byte in match.group(0).encode())


def _same_page(one: str, other: str) -> bool:
    """Whether two pieces of safe HTML show the same, line breaks in the source and the
    spelling of an address (%20 or a space), <b> or <strong>, <i> or <em> aside."""

    def normal(html: str) -> str:
        html = unquote(html.replace("\n", ""))
        for old, new in (("b>", "strong>"), ("i>", "em>")):
            html = html.replace(f"<{old}", f"<{new}").replace(f"</{old}", f"</{new}")
        return html

    return normal(one) == normal(other)


def from_html_checked(html: str) -> str:
    """`html` (stored before Markdown) as Markdown, if that Markdown shows the same page;
    else the safe HTML itself, as one block, which Markdown passes through as it is (a loose
    list, emphasis against punctuation, and other corners the conversion gets wrong). What
    readers see never changes."""
    shown = sanitise(html)
    converted = from_html(html)
    if _same_page(render_once(converted), shown):
        return converted
    kept = re.sub(r"\n[ \t]*\n+", "\n", shown).strip() + "\n"
    if _same_page(render_once(kept), shown):
        return kept
    return converted


def from_html(html: str) -> str:
    """Text stored as HTML (the safe subset) written as Markdown: what the migration to
    Markdown does once to every statement and update."""
    parser = _ToMarkdown()
    parser.feed(sanitise(html))
    parser.close()
    return parser.markdown()


@functools.lru_cache(maxsize=256)
def first_picture(text: str) -> tuple[str, str] | None:
    """The address and description of the first of this site's pictures in organiser Markdown
    (its largest rendition, for a link preview), or None if it shows none."""
    for token in _MARKDOWN.parse(text):
        for child in token.children or []:
            url = str(child.attrGet("src") or "") if child.type == "image" else ""
            if source(url) is not None:
                return url, "".join(part.content for part in child.children or [])
    return None
