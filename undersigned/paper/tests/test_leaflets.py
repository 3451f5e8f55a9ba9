"""Leaflets, posters and the sign-up sheet of the demo statement, read back as a person and a
phone would: the text with pypdf and pdftotext, the QR codes from the pages drawn at 150 dpi
and decoded with zxing-cpp."""

from __future__ import annotations

import datetime as dt
import re
import subprocess
from io import BytesIO
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import zxingcpp
from django.core.validators import validate_slug
from django.test import Client
from django.utils import translation
from PIL import Image
from pypdf import PdfReader

from undersigned.conftest import sign_data
from undersigned.events.models import Event, EventVersion
from undersigned.jobs.queue import drain
from undersigned.paper import leaflets
from undersigned.statements.demo import load_demo
from undersigned.statements.forms import PAPER_CONSENT_TEXT, PaperForm
from undersigned.statements.models import Source, SourceCount, Statement

pytestmark = pytest.mark.django_db

SITE = "https://petitions.example.org"


@pytest.fixture
def demo(settings: Any, tmp_path: Path) -> Statement:
    settings.MEDIA_ROOT = tmp_path
    settings.SITE_URL = SITE
    return load_demo()


def text_of(pdf: bytes) -> str:
    """The PDF's text, as pypdf reads it, with white space made single spaces."""
    reader = PdfReader(BytesIO(pdf))
    return " ".join(" ".join(page.extract_text() or "" for page in reader.pages).split())


def qr_codes(pdf: bytes, tmp_path: Path) -> list[tuple[int, str]]:
    """(page, text) of every QR code on every page, drawn at 150 dpi as a printer would."""
    source = tmp_path / "document.pdf"
    source.write_bytes(pdf)
    subprocess.run(  # noqa: S603 - a fixed tool on a file of the test's own
        ["pdftoppm", "-r", "150", "-png", str(source), str(tmp_path / "page")],  # noqa: S607
        check=True,
    )
    found = []
    for number, png in enumerate(sorted(tmp_path.glob("page-*.png")), start=1):
        for code in zxingcpp.read_barcodes(Image.open(png)):
            assert code.format == zxingcpp.BarcodeFormat.QRCode
            found.append((number, code.text))
    return found


def page_sizes_mm(pdf: bytes) -> list[tuple[int, int]]:
    reader = PdfReader(BytesIO(pdf))
    return [
        (
            round(float(page.mediabox.width) / 72 * 25.4),
            round(float(page.mediabox.height) / 72 * 25.4),
        )
        for page in reader.pages
    ]


def test_a_leaflet_prints_its_language_version_and_a_qr_code_to_sign_it(
    demo: Statement, tmp_path: Path
) -> None:
    pdf = leaflets.leaflet(demo, ["en"], size="A5")
    english = demo.version_for("en")
    assert english is not None
    text = text_of(pdf)
    assert english.title in text
    assert english.summary in text
    for demand in english.demand_list:
        assert demand in text
    assert "Libertad" not in text
    assert "Scan to sign" in text
    assert page_sizes_mm(pdf) == [(148, 210), (148, 210)]
    url = f"{SITE}/s/free-the-valmora-students/en/?src=leaflet-en"
    assert leaflets.sign_url(demo, "en") == url
    codes = qr_codes(pdf, tmp_path)
    assert codes and {text for _page, text in codes} == {url}
    assert 1 in {page for page, _text in codes}  # on the front
    assert Source.objects.filter(statement=demo, code="leaflet-en").exists()


def test_a_leaflet_in_two_languages_has_both_and_a_qr_code_for_each(
    demo: Statement, tmp_path: Path
) -> None:
    pdf = leaflets.leaflet(demo, ["en", "es"], size="A5")
    text = text_of(pdf)
    assert "Free the Valmora students" in text
    assert "Libertad para los estudiantes de Valmora" in text
    assert "Liberen ya a los cuarenta y un estudiantes." in text
    assert page_sizes_mm(pdf)[0] == (210, 148)  # landscape: one column each
    front = {text for page, text in qr_codes(pdf, tmp_path) if page == 1}
    assert front == {
        f"{SITE}/s/free-the-valmora-students/en/?src=leaflet-en",
        f"{SITE}/s/free-the-valmora-students/es/?src=leaflet-es",
    }
    assert set(Source.objects.filter(statement=demo).values_list("code", flat=True)) >= {
        "leaflet-en",
        "leaflet-es",
    }


@pytest.mark.parametrize(("size", "mm"), [("A4", (210, 297)), ("A3", (297, 420))])
def test_a_poster_is_one_page_with_the_title_summary_and_a_large_qr_code(
    demo: Statement, tmp_path: Path, size: str, mm: tuple[int, int]
) -> None:
    pdf = leaflets.leaflet(demo, ["es"], size=size)
    spanish = demo.version_for("es")
    assert spanish is not None
    text = text_of(pdf)
    assert spanish.title in text and spanish.summary in text
    assert page_sizes_mm(pdf) == [mm]
    assert qr_codes(pdf, tmp_path) == [(1, f"{SITE}/s/free-the-valmora-students/es/?src=poster-es")]
    assert Source.objects.filter(statement=demo, code="poster-es").exists()


def test_a_poster_in_two_languages_has_a_half_for_each(demo: Statement, tmp_path: Path) -> None:
    pdf = leaflets.leaflet(demo, ["es", "en"], size="A4")
    text = text_of(pdf)
    assert "Free the Valmora students" in text
    assert "Libertad para los estudiantes de Valmora" in text
    assert sorted(text for _page, text in qr_codes(pdf, tmp_path)) == [
        f"{SITE}/s/free-the-valmora-students/en/?src=poster-en",
        f"{SITE}/s/free-the-valmora-students/es/?src=poster-es",
    ]


def test_making_a_leaflet_again_makes_no_second_source(demo: Statement) -> None:
    leaflets.leaflet(demo, ["en"], size="A5")
    leaflets.leaflet(demo, ["en"], size="A5")
    assert Source.objects.filter(statement=demo, code="leaflet-en").count() == 1


def test_a_language_the_statement_lacks_is_refused(demo: Statement) -> None:
    with pytest.raises(ValueError, match="no version in fr"):
        leaflets.leaflet(demo, ["fr"], size="A5")
    with pytest.raises(ValueError, match="size"):
        leaflets.leaflet(demo, ["en"], size="A6")


@pytest.mark.parametrize(
    ("language", "code"),
    [
        ("es", "leaflet-es"),
        ("qu", "leaflet-qu"),
        ("es-419", "leaflet-es-419"),
        ("zh-Hant-TW", "leaflet-zh-hant-tw"),
    ],
)
def test_source_codes_are_lower_case_slugs(language: str, code: str) -> None:
    assert leaflets.source_code(language) == code
    validate_slug(code)


def test_a_long_language_tag_still_makes_a_code_that_fits_and_is_its_own() -> None:
    event: Any = type("E", (), {"pk": 2_147_483_647})()
    first = leaflets.source_code("en-x-" + "a" * 8 + "-" + "b" * 8 + "-c", event, kind="poster")
    second = leaflets.source_code("en-x-" + "a" * 8 + "-" + "b" * 8 + "-d", event, kind="poster")
    for code in (first, second):
        assert len(code) <= 40
        assert code.startswith("poster-2147483647-en-x-")
        validate_slug(code)
    assert first != second


def test_following_the_qr_code_and_signing_counts_for_the_leaflets_source(
    demo: Statement, tmp_path: Path, client: Client
) -> None:
    pdf = leaflets.leaflet(demo, ["es"], size="A5")
    url = qr_codes(pdf, tmp_path)[0][1]
    parts = urlsplit(url)
    assert client.get(f"{parts.path}?{parts.query}").status_code == 200
    code = parse_qs(parts.query)["src"][0]
    source = Source.objects.get(statement=demo, code=code)
    before = sum(SourceCount.objects.filter(source=source).values_list("count", flat=True))
    # The page's script copies ?src= into the form (static/js/site.js).
    response = client.post(
        f"{parts.path}sign/", sign_data(demo, email="quispe@example.net", src=code)
    )
    assert response.status_code == 302
    drain()
    after = sum(SourceCount.objects.filter(source=source).values_list("count", flat=True))
    assert after == before + 1


def _header_cells(pdf: bytes, tmp_path: Path, page: int) -> list[str]:
    """The sign-up table's column headings on a page, left to right: pdftotext's blocks that
    sit on the line of the "No." heading (the headings are set on their cell's foot)."""
    source = tmp_path / "sheet.pdf"
    source.write_bytes(pdf)
    layout = subprocess.run(  # noqa: S603 - a fixed tool on a file of the test's own
        ["pdftotext", "-f", str(page), "-l", str(page), "-bbox-layout", str(source), "-"],  # noqa: S607
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    blocks = [
        (float(x), float(bottom), " ".join(re.findall(r">([^<]+)</word>", inner)))
        for x, bottom, inner in re.findall(
            r'<block xMin="([\d.]+)" yMin="[\d.]+" xMax="[\d.]+" yMax="([\d.]+)">(.*?)</block>',
            layout,
            re.DOTALL,
        )
    ]
    foot = next(bottom for _x, bottom, text in blocks if text == "No.")
    return [text for x, bottom, text in sorted(blocks) if abs(bottom - foot) < 0.5]


def test_the_sign_up_sheet_has_the_paper_forms_columns_in_its_order(
    demo: Statement, tmp_path: Path
) -> None:
    demo.ask_postcode = True
    demo.save(update_fields=("ask_postcode",))
    pdf = leaflets.sign_up_sheet(demo, "es")
    with translation.override("es"):
        labels = [str(field.label) for field in PaperForm(statement=demo).fields.values()]
        consent = PAPER_CONSENT_TEXT % {"organisation": demo.organisation.name}
    assert "Código postal" in labels or "Postcode" in labels
    assert _header_cells(pdf, tmp_path, 1) == ["No.", *labels]
    assert _header_cells(pdf, tmp_path, 2) == ["No.", *labels]  # repeated on the next page
    text = text_of(pdf)
    assert consent in text
    assert "Libertad para los estudiantes de Valmora" in text
    assert "Abran una investigación independiente sobre la noche de las detenciones." in text
    assert page_sizes_mm(pdf)[0] == (297, 210)
    numbers = re.findall(
        r"(?m)^\s*(\d+)\s*$",
        subprocess.run(  # noqa: S603 - a fixed tool on the test's own bytes
            ["pdftotext", "-", "-"],  # noqa: S607
            input=pdf,
            capture_output=True,
            check=True,  # noqa: S607
        ).stdout.decode(),
    )
    assert [int(n) for n in numbers[: leaflets.SHEET_ROWS]] == list(
        range(1, leaflets.SHEET_ROWS + 1)
    )


def test_the_sheet_leaves_out_what_the_statement_does_not_ask(
    demo: Statement, tmp_path: Path
) -> None:
    demo.ask_country = False
    demo.allow_organisations = False
    demo.save(update_fields=("ask_country", "allow_organisations"))
    pdf = leaflets.sign_up_sheet(demo, "en")
    with translation.override("en"):
        labels = [str(field.label) for field in PaperForm(statement=demo).fields.values()]
    assert "Country" not in labels and "Signed" not in labels
    assert _header_cells(pdf, tmp_path, 1) == ["No.", *labels]


def _event(statement: Statement | None, **fields: Any) -> Event:
    """A vigil in Lima on Saturday 12 December 2026, 18:00 to 20:00 there (UTC-5)."""
    organisation = statement.organisation if statement else fields.pop("organisation")
    event = Event.objects.create(
        organisation=organisation,
        statement=statement,
        default_language="en",
        start=dt.datetime(2026, 12, 12, 23, 0, tzinfo=dt.UTC),
        end=dt.datetime(2026, 12, 13, 1, 0, tzinfo=dt.UTC),
        zone="America/Lima",
        place="Plaza San Martín, Lima",
        published_at=dt.datetime(2026, 12, 1, tzinfo=dt.UTC),
        **fields,
    )
    EventVersion.objects.create(
        event=event, language="en", title="Vigil for the 41", description="Bring a **candle**."
    )
    EventVersion.objects.create(
        event=event, language="es", title="Vigilia por los 41", description="Trae una vela."
    )
    return event


def test_an_event_leaflet_gives_the_time_in_the_events_zone_and_asks_to_sign(
    demo: Statement, tmp_path: Path
) -> None:
    event = _event(demo)
    pdf = leaflets.leaflet(demo, ["en", "es"], size="A5", event=event)
    text = text_of(pdf)
    assert "Vigil for the 41" in text and "Vigilia por los 41" in text
    assert "Saturday 12 December 2026" in text and "18:00–20:00, Lima time" in text
    assert "sábado 12 de diciembre de 2026" in text
    assert "Plaza San Martín, Lima" in text
    assert "Free the Valmora students" in text  # the statement it asks people to sign
    assert "Forty-one students were arrested" in text
    front = {text for page, text in qr_codes(pdf, tmp_path) if page == 1}
    assert front == {
        f"{SITE}/s/free-the-valmora-students/en/?src=leaflet-{event.pk}-en",
        f"{SITE}/s/free-the-valmora-students/es/?src=leaflet-{event.pk}-es",
    }
    assert Source.objects.filter(statement=demo, code=f"leaflet-{event.pk}-es").exists()


def test_an_event_leaflet_hides_a_private_place(demo: Statement, tmp_path: Path) -> None:
    event = _event(demo, place_private=True)
    for size in ("A5", "A4"):
        text = text_of(leaflets.leaflet(None, ["en"], size=size, event=event))
        assert "San Martín" not in text
        assert "The place is sent to those who sign up." in text
    assert Source.objects.filter(statement=demo, code=f"poster-{event.pk}-en").exists()


def test_an_event_without_a_statement_links_to_its_own_page(
    demo: Statement, tmp_path: Path, client: Client
) -> None:
    event = _event(None, organisation=demo.organisation)
    sources = Source.objects.count()
    pdf = leaflets.leaflet(None, ["es"], size="A4", event=event)
    assert "Vigilia por los 41" in text_of(pdf)
    assert qr_codes(pdf, tmp_path) == [(1, f"{SITE}/e/{event.pk}/es/")]
    assert Source.objects.count() == sources
    assert client.get(f"/e/{event.pk}/es/").status_code == 200


def test_an_event_s_language_its_statement_lacks_asks_to_sign_the_default_version(
    demo: Statement, tmp_path: Path
) -> None:
    event = _event(demo)
    EventVersion.objects.create(event=event, language="fr", title="Veillée pour les 41")
    pdf = leaflets.leaflet(None, ["fr"], size="A4", event=event)
    assert "Veillée pour les 41" in text_of(pdf)
    code = f"poster-{event.pk}-en"
    url = f"{SITE}/s/free-the-valmora-students/en/?src={code}"
    assert qr_codes(pdf, tmp_path) == [(1, url)]
    assert Source.objects.filter(statement=demo, code=code).exists()
    assert not Source.objects.filter(code=f"poster-{event.pk}-fr").exists()
