"""The delivery pack: the statement and who signed it, as a PDF to hand to its addressee.

In order: a cover letter in the addressee's language, the contents, the statement in every
language version, the organisations (with the person and role who signed for each), the
individuals as each chose to appear, the signers counted by country, and a last page with
the count as of a moment, the SHA-256 of the list and a QR code to the public page where
anyone can check both.

A list of 100,000 names is too much for one WeasyPrint layout (its time grows faster than
the list, and it keeps every page in memory), so the list is laid out in chunks of
`CHUNK` entries, each its own small document whose page numbers start where the previous
one ended (`@page :first { counter-reset: page N }`). A chunk's last page is laid out
again at the start of the next chunk, so that only a section's last page is ever part
full. The front matter is laid out twice: once to know how many pages it takes, once more
with the contents' page numbers. pypdf then puts the pages together, keeping the front's
PDF/A metadata and output intent, and adds bookmarks.

The list's hash (see `canonical_line`) is computed as the rows are read, so anyone with the
printed list, or the text file attached to the PDF, can compute it again.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import html
import io
import unicodedata
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.db.models import Count
from django.template.loader import render_to_string
from django.utils import formats, timezone, translation
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django_countries import countries

from undersigned.lib import markdown
from undersigned.lib.languages import direction, language_name, ui_language
from undersigned.lib.names import initialled
from undersigned.paper.pdf import PDF_VARIANT, page_context, qr_uri
from undersigned.statements.models import Signature, Statement, StatementVersion
from undersigned.statements.queries import listed_signatures

if TYPE_CHECKING:
    # WeasyPrint and pypdf are imported where a pack is made: only the worker makes them, and
    # they weigh on every process that imports them (the web server's too).
    from weasyprint.document import Document as Layout
    from weasyprint.urls import URLFetcher

# Entries laid out at once: a few pages of the list's four columns.
CHUNK = 3500
# Rows read from the database at once (each read a short query, keyset-paged).
READ = 2000
# Name of the list's text file attached to the PDF.
LIST_FILE = "signatories.txt"

Progress = Callable[[int, int], None]


def canonical_line(text: str) -> str:
    """One entry of the list as hashed: its printed text with every run of white space made
    one space, trimmed, in Unicode NFC. The list's text is these lines in printed order, each
    ended by a line feed, in UTF-8; its SHA-256, in hexadecimal, is the pack's hash."""
    return unicodedata.normalize("NFC", " ".join(text.split()))


def shown_name(name: str, display: str) -> str:
    """The signer's name as they chose to appear (Signature.public_name, from a row)."""
    return initialled(name) if display == Signature.Display.INITIAL else name


def organisation_entry(organisation: str, person: str, role: str) -> str:
    """An organisation as the public list shows it: "Miners' Union (Ana G., Secretary)"."""
    who = f"{person}, {role}" if role else person
    return canonical_line(f"{organisation} ({who})")


@dataclass
class Pack:
    pdf: bytes
    as_of: dt.datetime
    count: int
    listed: int
    sha256: str


@dataclass
class _Section:
    """A part of the list: its heading, its entries' page, how many."""

    key: str
    title: str
    total: int
    first_page: int = 0


@dataclass
class _Made:
    """The pages laid out so far, as PDFs, and the next page's number."""

    parts: list[bytes] = field(default_factory=list)
    next_page: int = 1
    bookmarks: list[tuple[str, int]] = field(default_factory=list)


def _fetcher() -> URLFetcher:
    from weasyprint.urls import URLFetcher

    # As paper.pdf.render: data: URLs only, nothing from any host.
    return URLFetcher(allowed_protocols={"data"}, allow_redirects=False)


def _layout(document_html: str) -> Layout:
    from weasyprint import HTML

    return HTML(string=document_html, url_fetcher=_fetcher()).render(pdf_variant=PDF_VARIANT)


def _pdf(layout: Layout, **options: Any) -> bytes:
    return bytes(layout.write_pdf(pdf_variant=PDF_VARIANT, full_fonts=False, **options) or b"")


def _organisations(statement: Statement, as_of: dt.datetime) -> list[str]:
    rows = (
        listed_signatures(statement)
        .filter(kind=Signature.Kind.ORGANISATION, confirmed_at__lte=as_of)
        .order_by("organisation_name", "id")
        .values_list("organisation_name", "name", "display", "organisation_role")
    )
    return [
        organisation_entry(organisation, shown_name(name, display), role)
        for organisation, name, display, role in rows
    ]


def _individuals_rows(statement: Statement, as_of: dt.datetime) -> Any:
    return listed_signatures(statement).filter(
        kind=Signature.Kind.INDIVIDUAL, confirmed_at__lte=as_of
    )


def _individuals(statement: Statement, as_of: dt.datetime) -> Iterator[str]:
    """Individuals in the order they signed, read READ at a time from where the last read
    ended (as queries.signatory_page: a range less one corner, which the index serves)."""
    rows = _individuals_rows(statement, as_of)
    after: tuple[dt.datetime, int] | None = None
    while True:
        page = rows
        if after is not None:
            page = rows.filter(confirmed_at__gte=after[0]).exclude(
                confirmed_at=after[0], pk__lte=after[1]
            )
        found = list(
            page.order_by("confirmed_at", "id").values_list(
                "confirmed_at", "id", "name", "display"
            )[:READ]
        )
        for _at, _pk, name, display in found:
            yield canonical_line(shown_name(name, display))
        if len(found) < READ:
            return
        after = (found[-1][0], found[-1][1])


def _by_country(statement: Statement, as_of: dt.datetime) -> list[tuple[str, int]]:
    counted = Signature.objects.counted().filter(statement=statement, confirmed_at__lte=as_of)
    rows = counted.values_list("country").annotate(n=Count("id")).order_by("-n", "country")
    return [
        (str(countries.name(code)) if code else _("Not given"), n)
        for code, n in rows
        if n  # a group of none is no group
    ]


def _page_css(first_page: int) -> str:
    return f"@page :first {{ counter-reset: page {first_page}; }}"


def _context(statement: Statement, language: str, **more: Any) -> dict[str, Any]:
    return {
        **page_context(statement.organisation),
        "statement": statement,
        "language": language,
        "direction": direction(language),
        **more,
    }


def _list_html(
    statement: Statement,
    language: str,
    section: _Section,
    entries: Sequence[str],
    start: int,
    first_page: int,
    *,
    heading: bool,
) -> str:
    items = "".join(
        f'<li data-n="{n}">{html.escape(entry)}</li>' for n, entry in enumerate(entries)
    )
    return render_to_string(
        "paper/pack_list.html",
        _context(
            statement,
            language,
            document_title=section.title,
            page_css=_page_css(first_page),
            section=section,
            heading=heading,
            items=mark_safe(items),  # noqa: S308 - every entry escaped above
            start=start + 1,
        ),
    )


def _lay_out_section(
    statement: Statement,
    language: str,
    section: _Section,
    entries: Iterator[str],
    made: _Made,
    hashed: Callable[[str], None],
    progress: Callable[[int], None],
) -> None:
    """Lay out a section's entries CHUNK at a time, each chunk's last page again with the
    next chunk (unless it is the section's last), so that pages are full."""
    section.first_page = made.next_page
    pending: list[str] = []
    start = 0  # the index in the section of pending[0]
    done = False
    while not done:
        while len(pending) < CHUNK:
            entry = next(entries, None)
            if entry is None:
                done = True
                break
            hashed(entry)
            pending.append(entry)
        if not pending and start > 0:
            return
        layout = _layout(
            _list_html(
                statement, language, section, pending, start, made.next_page, heading=start == 0
            )
        )
        pages = layout.pages
        carried = 0
        if not done and len(pages) > 1:
            first = _first_entry(pages[-1])
            if first is not None:
                carried = len(pending) - first
                pages = pages[:-1]
        made.parts.append(_pdf(layout.copy(pages)))
        made.next_page += len(pages)
        placed = len(pending) - carried
        progress(placed)
        start += placed
        pending = pending[placed:]
        if not pending and done:
            return


def _first_entry(page: Any) -> int | None:
    """The index in its chunk of the first entry laid out on `page` (a data attribute, not an
    id: thousands of anchors cost more to lay out than this walk)."""
    for box in page._page_box.descendants():
        element = getattr(box, "element", None)
        if getattr(box, "element_tag", None) == "li" and element is not None:
            return int(element.get("data-n"))
    return None


def _versions(statement: Statement) -> list[StatementVersion]:
    return sorted(
        statement.versions.all(),
        key=lambda version: (version.language != statement.default_language, version.language),
    )


def make_pack(
    statement: Statement,
    *,
    language: str,
    letter: str,
    check_url: str,
    progress: Progress,
    now: dt.datetime | None = None,
) -> Pack:
    """The delivery pack of `statement` as of `now`: the cover letter and the pack's own
    words in `language` (a version's language tag; its interface translation where one
    exists), `letter` the organisers' text of the cover letter (empty: a short standard one),
    `check_url` the public check page its QR code leads to. `progress(done, total)` is told
    of the entries laid out."""
    as_of = now or timezone.now()
    with translation.override(ui_language(language, statement.default_language)):
        return _make(statement, language, letter, check_url, progress, as_of)


def _make(
    statement: Statement,
    language: str,
    letter: str,
    check_url: str,
    progress: Progress,
    as_of: dt.datetime,
) -> Pack:
    count = Signature.objects.counted().filter(statement=statement, confirmed_at__lte=as_of).count()
    organisations = _organisations(statement, as_of)
    individuals_total = _individuals_rows(statement, as_of).count()
    total = len(organisations) + individuals_total
    done = 0

    def advance(placed: int) -> None:
        nonlocal done
        done += placed
        progress(done, total)

    progress(0, total)
    digest = hashlib.sha256()
    text = io.StringIO()

    def hashed(entry: str) -> None:
        line = entry + "\n"
        digest.update(line.encode("utf-8"))
        text.write(line)

    versions = _versions(statement)
    version = statement.version_for(language) or versions[0]
    sections = [
        _Section("organisations", _("Organisations"), len(organisations)),
        _Section("individuals", _("Individuals"), individuals_total),
    ]
    front: dict[str, Any] = {
        "version": version,
        "versions": [
            {
                "version": v,
                "body": mark_safe(markdown.render(v.body)),  # noqa: S308 - sanitised
                "direction": v.direction,
                "language_name": language_name(v.language),
            }
            for v in versions
        ],
        "letter": [part.strip() for part in letter.replace("\r\n", "\n").split("\n\n")]
        if letter.strip()
        else [],
        "as_of": as_of,
        "as_of_text": _moment(as_of),
        "count": count,
        "sections": sections,
    }
    front_pages = len(_layout(_front_html(statement, language, front, None)).pages)
    made = _Made(next_page=front_pages + 1)
    for section, entries in zip(
        sections, (iter(organisations), _individuals(statement, as_of)), strict=True
    ):
        if section.total:
            _lay_out_section(statement, language, section, entries, made, hashed, advance)
            made.bookmarks.append((section.title, section.first_page))
    listed = done
    sha256 = digest.hexdigest()
    end_first = made.next_page
    end = render_to_string(
        "paper/pack_end.html",
        _context(
            statement,
            language,
            document_title=version.title,
            page_css=_page_css(end_first),
            version=version,
            by_country=_by_country(statement, as_of),
            count=count,
            listed=listed,
            sha256=sha256,
            as_of_text=_moment(as_of),
            check_url=check_url,
            qr=qr_uri(check_url),
            list_file=LIST_FILE,
        ),
    )
    made.parts.append(_pdf(_layout(end)))
    front_layout = _layout(_front_html(statement, language, front, end_first))
    if len(front_layout.pages) != front_pages:
        # The contents' numbers moved a page break: the list's numbers would be wrong.
        raise RuntimeError("front matter changed length")
    from weasyprint import Attachment

    attachment = Attachment(
        string=text.getvalue(),
        base_url=None,
        name=LIST_FILE,
        description=_("The signatory list as hashed, one entry a line"),
        relationship="Data",
    )
    first = _pdf(front_layout, attachments=[attachment])
    pdf = _merge(first, made, end_first)
    return Pack(pdf=pdf, as_of=as_of, count=count, listed=listed, sha256=sha256)


def _moment(at: dt.datetime) -> str:
    local = timezone.localtime(at)
    return f"{formats.date_format(local, 'DATETIME_FORMAT')} ({local.tzname()})"


def _front_html(
    statement: Statement, language: str, front: dict[str, Any], end_page: int | None
) -> str:
    return render_to_string(
        "paper/pack_front.html",
        _context(
            statement,
            language,
            document_title=front["version"].title,
            page_css=_page_css(1),
            numbered=end_page is not None,
            end_page=end_page or 0,
            **front,
        ),
    )


def _merge(first: bytes, made: _Made, end_page: int) -> bytes:
    """The front's PDF (its catalog: PDF/A metadata, output intent, attachment, bookmarks)
    with the list's and the last pages after it."""
    import pypdf

    writer = pypdf.PdfWriter(clone_from=io.BytesIO(first))
    for part in made.parts:
        for page in pypdf.PdfReader(io.BytesIO(part)).pages:
            writer.add_page(page)
    for name, number in [*made.bookmarks, (_("Count and hash"), end_page)]:
        writer.add_outline_item(title=name, page_number=number - 1)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
