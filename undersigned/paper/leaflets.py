"""Leaflets, posters and the paper sign-up sheet of a statement or an event, as PDF.

A leaflet (A5) or a poster (A4, A3) is printed in one language, or in two side by side, each
with its own QR code to the sign page in that language. The QR's link carries a source code
(`?src=leaflet-es`, `poster-12-es` for event 12), and making the document creates that
`Source`, so the statement's sources chart counts who signed from paper (a code the
organisers did not create is ignored when signing).

The sign-up sheet's columns are the paper-entry form's fields (statements.forms.PaperForm),
in its order, so what is written on paper is typed in column by column.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, cast

from django import forms
from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.formats import date_format
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from undersigned.lib.languages import direction, language_name, normalise_tag, ui_language
from undersigned.lib.markdown import render as render_markdown
from undersigned.paper import pdf
from undersigned.statements.forms import PAPER_CONSENT_TEXT, PaperForm
from undersigned.statements.models import Source, Statement, StatementVersion

if TYPE_CHECKING:
    from undersigned.events.models import Event, EventVersion

Kind = Literal["leaflet", "poster"]
# Paper size -> what is printed on it.
SIZES: dict[str, Kind] = {"A5": "leaflet", "A4": "poster", "A3": "poster"}
# Source.code's length.
CODE_MAX = 40
# The QR code's printed side (quiet zone included) by size, one language and two.
_QR_MM = {("A5", 1): 40, ("A5", 2): 30, ("A4", 1): 70, ("A4", 2): 48, ("A3", 1): 100, ("A3", 2): 68}
# Body text size (pt) by paper: a poster is read from a few steps away.
_BASE_PT = {"A5": 10.0, "A4": 13.0, "A3": 18.4}
# Pictures have no place on paper (and would be fetched): the text keeps going without them.
_PICTURES = re.compile(r"<figure\b.*?</figure>|<picture\b.*?</picture>|<img\b[^>]*>", re.DOTALL)


def source_code(language: str, event: Event | None = None, *, kind: Kind = "leaflet") -> str:
    """The source code a leaflet's or poster's QR carries: `leaflet-es`, `poster-es-419`,
    `leaflet-12-qu` for event 12. Lower case, as Source codes are; a language tag too long to
    fit keeps its start and gains a short hash of the whole, so two tags never share a code."""
    tag = (normalise_tag(language) or language).lower()
    prefix = f"{kind}-{event.pk}-" if event is not None else f"{kind}-"
    code = prefix + tag
    if len(code) > CODE_MAX:
        digest = hashlib.sha256(tag.encode()).hexdigest()[:6]
        code = f"{prefix}{tag[: CODE_MAX - len(prefix) - 7].rstrip('-')}-{digest}"
    return code


def sign_url(
    statement: Statement, language: str, event: Event | None = None, *, kind: Kind = "leaflet"
) -> str:
    """The absolute address of the statement's page in `language` (where its sign form is),
    with the source code of a leaflet or poster (of `event`, if given)."""
    path = reverse("statement", args=(statement.slug, language))
    return f"{settings.SITE_URL}{path}?src={source_code(language, event, kind=kind)}"


def event_url(event: Event, language: str) -> str:
    """The absolute address of the event's public page in `language`."""
    path = reverse("event", args=(event.pk, language))
    return f"{settings.SITE_URL}{path}"


def ensure_source(statement: Statement, language: str, event: Event | None, kind: Kind) -> Source:
    """The Source a leaflet's QR code counts for, made if it is not there yet."""
    code = source_code(language, event, kind=kind)
    return Source.objects.get_or_create(statement=statement, code=code)[0]


def _paper_html(markdown: str) -> SafeString:
    """Organiser Markdown as the site renders it, less its pictures."""
    return mark_safe(_PICTURES.sub("", render_markdown(markdown)))  # noqa: S308 - sanitised


def _printed(url: str) -> str:
    """An address as people type it: without the scheme."""
    return url.split("://", 1)[-1]


@dataclass
class _When:
    """An event's time, in its own zone, in the reader's language."""

    date: str
    time: str


def _when(event: Event) -> _When:
    """In the active language: 'Saturday 12 December 2026' and '18:00–20:00, Lima time'."""
    start, end = event.local_start, event.local_end
    city = event.zone.rsplit("/", 1)[-1].replace("_", " ")
    day = _("%(weekday)s %(date)s") % {
        "weekday": date_format(start, "l"),
        "date": date_format(start, "DATE_FORMAT"),
    }
    if end.date() == start.date():
        hours = f"{date_format(start, 'TIME_FORMAT')}–{date_format(end, 'TIME_FORMAT')}"
    else:
        hours = _("%(start)s to %(end)s") % {
            "start": date_format(start, "TIME_FORMAT"),
            "end": date_format(end, "SHORT_DATE_FORMAT") + " " + date_format(end, "TIME_FORMAT"),
        }
    return _When(date=day, time=_("%(hours)s, %(city)s time") % {"hours": hours, "city": city})


@dataclass
class _Side:
    """One language's part of a leaflet or poster."""

    language: str
    ui: str
    dir: str
    title: str
    kicker: str = ""
    summary: str = ""
    addressee: str = ""
    demands: list[str] = field(default_factory=list)
    body: SafeString | str = ""
    description: SafeString | str = ""
    statement_title: str = ""
    when: _When | None = None
    place: str = ""
    place_private: bool = False
    online: str = ""
    online_private: bool = False
    status: str = ""
    status_reason: str = ""
    qr: str = ""
    url: str = ""
    call: str = ""


def _version(statement: Statement, language: str) -> StatementVersion:
    version = next((v for v in statement.versions.all() if v.language == language), None)
    if version is None:
        raise ValueError(f"{statement.slug} has no version in {language}")
    return version


def _statement_side(version: StatementVersion, kind: Kind, event: Event | None) -> _Side:
    url = sign_url(version.statement, version.language, event, kind=kind)
    return _Side(
        language=version.language,
        ui=ui_language(version.language),
        dir=version.direction,
        title=version.title,
        summary=version.summary,
        addressee=version.addressee,
        demands=version.demand_list,
        body=_paper_html(version.body),
        qr=pdf.qr_uri(url),
        url=_printed(url),
        call=_("Scan to sign"),
    )


def _event_side(event: Event, statement: Statement | None, language: str, kind: Kind) -> _Side:
    event_version: EventVersion | None = event.version_for(language)
    version = statement.version_for(language) if statement is not None else None
    if event_version is None:
        raise ValueError(f"event {event.pk} has no version")
    if version is not None:
        side = _statement_side(version, kind, event)
        side.statement_title, side.title = side.title, event_version.title
    else:
        url = event_url(event, event_version.language)
        side = _Side(
            language=event_version.language,
            ui=ui_language(event_version.language),
            dir=direction(event_version.language),
            title=event_version.title,
            qr=pdf.qr_uri(url),
            url=_printed(url),
            call=_("Scan for the details"),
        )
    side.description = _paper_html(event_version.description)
    side.when = _when(event)
    side.place_private = event.place_private and event.has_place
    side.place = "" if event.place_private else event.place.strip()
    side.online_private = event.online_private and bool(event.online_url)
    side.online = "" if event.online_private else event.online_url
    if event.status != event.Status.SCHEDULED:
        side.status = str(event.Status(event.status).label)
        side.status_reason = event_version.status_reason
    return side


def _density(sides: list[_Side]) -> str:
    """A class that sets the type smaller for longer texts, so a page keeps to its page."""
    longest = max(
        len(s.title) + len(s.summary) + sum(len(d) for d in s.demands) + len(s.description)
        for s in sides
    )
    return "dense" if longest > 900 else "roomy" if longest < 450 else ""


def leaflet(
    statement: Statement | None,
    languages: Sequence[str],
    *,
    size: str,
    event: Event | None = None,
) -> bytes:
    """A leaflet (size "A5") or a poster ("A4", "A3") of the statement, or of the event (which
    asks people to sign its statement, if it has one, else links to its own page), in one
    language or two side by side. Makes the Source each QR code counts for."""
    kind = SIZES.get(size)
    if kind is None:
        raise ValueError(f"no such size: {size}")
    if not 1 <= len(languages) <= 2:
        raise ValueError("one language or two")
    if statement is None and event is not None:
        statement = event.statement
    if event is not None:
        organisation = event.organisation
    elif statement is not None:
        organisation = statement.organisation
    else:
        raise ValueError("a statement or an event")
    sides = []
    for language in languages:
        with translation.override(ui_language(language)):
            if event is not None:
                side = _event_side(event, statement, language, kind)
            elif statement is not None:
                side = _statement_side(_version(statement, language), kind, None)
        if statement is not None:
            # The side's language: an event's side in a language its statement lacks asks to
            # sign the statement's default version, and its QR code carries that code.
            ensure_source(statement, side.language, event, kind)
        sides.append(side)
    first = sides[0]
    context = {
        **pdf.page_context(organisation),
        "language": first.language,
        "direction": first.dir,
        "document_title": " · ".join(side.title for side in sides),
        "sides": sides,
        "size": size,
        "landscape": kind == "leaflet" and len(sides) == 2,
        "qr_mm": _QR_MM[size, len(sides)],
        "base_pt": _BASE_PT[size],
        "density": _density(sides),
        "event": event,
    }
    return pdf.render(render_to_string(f"paper/{kind}.html", context))


# How many rows the sheet prints on each page (A4 landscape).
SHEET_ROWS = 18


@dataclass
class _Column:
    name: str
    label: str
    # Boxes to tick, for a field with choices; one box for a yes/no field; none to write in.
    choices: list[str]
    tick: bool
    width: int


# How wide each column is printed, relative to the others: room to write a name or an address.
_WIDTHS = {
    "name": 6,
    "email": 5,
    "country": 2,
    "postcode": 2,
    "kind": 4,
    "organisation_name": 4,
    "organisation_role": 3,
    "display": 6,
    "wants_updates": 3,
}


def sheet_columns(statement: Statement) -> list[_Column]:
    """The paper-entry form's fields for this statement, in its order, as the sheet's columns
    (in the active language)."""
    form = PaperForm(statement=statement)
    columns = []
    for name, bound in form.fields.items():
        choices: list[str] = []
        if isinstance(bound, forms.ChoiceField) and isinstance(bound.widget, forms.RadioSelect):
            pairs = cast(Iterable[tuple[str, Any]], bound.choices)
            choices = [str(label) for value, label in pairs if value]
        columns.append(
            _Column(
                name=name,
                label=str(bound.label),
                choices=choices,
                tick=isinstance(bound, forms.BooleanField),
                width=_WIDTHS.get(name, 2),
            )
        )
    return columns


def sign_up_sheet(statement: Statement, language: str) -> bytes:
    """The paper sign-up sheet in `language`: the title and demands, the consent wording in
    full, and numbered rows whose columns are the paper-entry form's (PaperForm) in its order."""
    version = _version(statement, language)
    organisation = statement.organisation
    with translation.override(ui_language(version.language)):
        columns = sheet_columns(statement)
        consent = PAPER_CONSENT_TEXT % {"organisation": organisation.name}
        context: dict[str, Any] = {
            **pdf.page_context(organisation),
            "language": version.language,
            "direction": version.direction,
            "language_name": language_name(version.language),
            "document_title": version.title,
            "version": version,
            "columns": columns,
            "total_width": sum(column.width for column in columns),
            "consent": consent,
            "rows": range(1, SHEET_ROWS + 1),
            "url": _printed(
                settings.SITE_URL + reverse("statement", args=(statement.slug, version.language))
            ),
        }
        html = render_to_string("paper/sheet.html", context)
    return pdf.render(html)
