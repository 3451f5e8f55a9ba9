"""Making PDFs from HTML and CSS: one WeasyPrint call for every leaflet, poster, sheet and pack.

A document is a Django template that extends `paper/base.html` (the page's language and
direction, the shared print CSS) and is turned into PDF/A by `render`:

    context = {**page_context(organisation), "language": "es", "direction": "ltr",
               "document_title": title, ...}
    return render(render_to_string("paper/leaflet.html", context))

- Nothing is fetched while rendering: only `data:` URLs are allowed, so a picture is
  embedded (`data_uri`, `logo_uri`, `qr_uri`) and an address written in an organiser's text
  cannot make the server ask another host for anything.
- Fonts are the system's (`FONT_STACK`), embedded in the PDF: no web font.
- The organisation's accent colour (checked for contrast when it is set) colours headings and
  rules; without one, the site's own.
"""

from __future__ import annotations

import base64
import logging
import mimetypes
from typing import Any

import segno

from undersigned.lib.colours import normalise
from undersigned.organisations.models import Organisation

# The site's own accent (static/css/site.css, --accent), for organisations without one.
SITE_ACCENT = "#a3122b"
# System fonts, embedded in each PDF: Noto or DejaVu on Linux servers, Liberation beside them.
FONT_STACK = '"Noto Sans", "DejaVu Sans", "Liberation Sans", Arial, sans-serif'
# Narrower letters for big headlines, so that a long title keeps to a few lines.
CONDENSED_STACK = (
    '"Noto Sans Condensed", "DejaVu Sans Condensed", "Liberation Sans Narrow", ' + FONT_STACK
)
# PDF/A-3 (archival, fonts embedded, Unicode text that reads back), which also allows files
# to be attached (a pack may carry its data beside the pages).
PDF_VARIANT = "pdf/a-3u"
# WeasyPrint logs each step of each document at INFO: noise in the worker's log.
logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)

# A QR code printed smaller than this (its side, with the quiet zone) is hard for phones.
QR_MIN_MM = 30


def accent(organisation: Organisation) -> str:
    """The organisation's accent colour as "#rrggbb", else the site's."""
    return normalise(organisation.accent_colour or "") or SITE_ACCENT


def css_string(text: str) -> str:
    """`text` as a quoted CSS string (for `content:` in a page's margin boxes), every character
    that could end it or the style element escaped by its code point."""
    escaped = "".join(
        f"\\{ord(char):06x}" if char in "\"\\<>&'" or ord(char) < 32 else char for char in text
    )
    return f'"{escaped}"'


def data_uri(content: bytes, media_type: str) -> str:
    return f"data:{media_type};base64,{base64.b64encode(content).decode('ascii')}"


def qr_uri(url: str) -> str:
    """A QR code for `url` as an SVG data URI: vector, so sharp at any size. Error correction
    M (15% of it may be dirty or folded), raised where the same size allows; four modules of
    quiet zone, as the standard asks, so the printed square is the whole code."""
    code = segno.make(url, error="m", micro=False)
    return str(code.svg_data_uri(scale=1, border=4, dark="#000000", light="#ffffff"))


def logo_uri(organisation: Organisation) -> str | None:
    """The organisation's logo embedded as a data URI, or None without one (or if its file is
    missing: the document is made without it)."""
    if not organisation.logo:
        return None
    media_type = mimetypes.guess_type(organisation.logo.name)[0]
    if media_type not in {"image/png", "image/jpeg", "image/gif", "image/webp", "image/svg+xml"}:
        return None
    try:
        with organisation.logo.open("rb") as file:
            return data_uri(file.read(), media_type)
    except OSError:
        return None


def page_context(organisation: Organisation) -> dict[str, Any]:
    """What `paper/base.html` needs of the organisation: its name, accent and logo."""
    return {
        "organisation": organisation,
        "organisation_css": css_string(organisation.name),
        "accent": accent(organisation),
        "logo": logo_uri(organisation),
        "font_stack": FONT_STACK,
        "condensed_stack": CONDENSED_STACK,
    }


def render(html: str, *, attachments: list[Any] | None = None) -> bytes:
    """The PDF/A of a whole HTML document (a template extending `paper/base.html`).
    `attachments` are WeasyPrint `Attachment`s to embed in the file."""
    # data: URLs only: no other host, not this one, no local file.
    # Imported here: only the worker lays out PDFs, and WeasyPrint weighs on every process
    # that imports it (the web server's too).
    from weasyprint import HTML
    from weasyprint.urls import URLFetcher

    fetcher = URLFetcher(allowed_protocols={"data"}, allow_redirects=False)
    document = HTML(string=html, url_fetcher=fetcher)
    pdf = document.write_pdf(
        pdf_variant=PDF_VARIANT,
        attachments=attachments,
        # Only the glyphs used are embedded: a leaflet stays a few tens of kilobytes.
        full_fonts=False,
    )
    return bytes(pdf or b"")  # without a target, write_pdf returns the bytes
