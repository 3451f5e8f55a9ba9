"""The thermometer: raised of the target, in two tones (received; pledged, not yet received),
the breakdown by channel, on the fund's page, on its statement's page and as images for other
sites (SVG and PNG), all read from the cached totals."""

from __future__ import annotations

import io
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from PIL import Image

from undersigned.funds import actions, totals
from undersigned.funds.models import Contribution, Fund
from undersigned.lib import pagecache
from undersigned.lib import thermometer as drawing
from undersigned.public.views import thermometer
from undersigned.statements.queries import forget_all_cached

SVG = "{http://www.w3.org/2000/svg}"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"


@pytest.fixture(autouse=True)
def _fresh_figures() -> Iterator[None]:
    """Totals and pictures are kept per fund id, and ids repeat from one test to the next."""
    totals.forget_all()
    thermometer.forget_pictures()
    yield
    totals.forget_all()
    thermometer.forget_pictures()


def _add(fund: Fund, method: str, amount: int) -> Contribution:
    return actions.add_entry(fund, method=method, amount=amount, received_on=timezone.localdate())


def _pledge(fund: Fund, amount: int) -> Contribution:
    """A confirmed pledge, as the emailed link leaves it."""
    entry = Contribution.objects.create(
        fund=fund,
        state=Contribution.State.PENDING,
        method=Contribution.Method.OTHER,
        amount=amount,
        donor_name="Rosa",
        donor_email="rosa@example.net",
        language="en",
    )
    actions.confirm_pledge(entry)
    return entry


def _money(fund: Fund) -> None:
    """£1,240 in by three channels, and £300 pledged: the issue's own example."""
    _add(fund, Contribution.Method.ONLINE, 40_000)
    _add(fund, Contribution.Method.BANK, 60_000)
    _add(fund, Contribution.Method.CASH, 24_000)
    _pledge(fund, 30_000)


def test_the_figures_are_written_as_each_language_writes_them(fund: Fund) -> None:
    _money(fund)
    english = thermometer.figures(fund, "en")
    assert english.summary == "£1,240 raised of £5,000 · 24% · 3 gifts · 31 days left"
    assert english.received_label == "Received £1,240"
    assert english.pledged_label == "Pledged, not yet received £300"
    assert english.channels == (
        ("Card, online", "£400"),
        ("Bank transfer", "£600"),
        ("Cash", "£240"),
        ("Pledged (not yet received)", "£300"),
    )
    spanish = thermometer.figures(fund, "es")
    assert (spanish.received, spanish.target) == ("1.240\xa0GBP", "5.000\xa0GBP")
    assert spanish.channels[2] == ("Efectivo", "240\xa0GBP")
    assert (english.received_width, english.pledged_width) == (24.8, 6.0)


def test_the_fund_page_shows_the_bar_in_two_tones_and_the_breakdown(
    client: Client, fund: Fund
) -> None:
    _money(fund)
    page = client.get(f"/f/{fund.pk}/en/").content.decode()
    assert "£1,240 raised of £5,000" in page and "24%" in page and "31 days left" in page
    assert '<rect class="received" x="0%" width="24.8%"' in page
    assert f'<rect x="24.8%" width="6%" height="100%" fill="url(#pledged-{fund.pk})"/>' in page
    assert "Received £1,240" in page and "Pledged, not yet received £300" in page
    channels = re.search(r'<ul class="fund-channels.*?</ul>', page, re.DOTALL)
    assert channels is not None
    assert re.findall(r"<li>(.*?) <strong>(.*?)</strong></li>", channels[0]) == [
        ("Card, online", "£400"),
        ("Bank transfer", "£600"),
        ("Cash", "£240"),
        ("Pledged (not yet received)", "£300"),
    ]
    # The bar has its text equivalent.
    assert 'role="img" aria-label="Received £1,240 · Pledged, not yet received £300"' in page


def test_a_gift_in_another_currency_says_the_rate_it_was_converted_at(
    client: Client, fund: Fund
) -> None:
    import datetime as dt
    from decimal import Decimal

    actions.add_entry(
        fund,
        method=Contribution.Method.BANK,
        amount=0,
        received_on=timezone.localdate(),
        conversion=actions.Conversion("USD", 30_000, Decimal("0.79"), dt.date(2026, 11, 29)),
    )
    assert totals.totals(fund).received == 23_700
    assert thermometer.figures(fund, "en").converted == (
        "Includes gifts in USD, converted at the rate of 29 November 2026."
    )
    page = client.get(f"/f/{fund.pk}/es/").content.decode()
    assert "29 de noviembre de 2026" in page


def test_a_channel_with_nothing_in_it_is_left_out(client: Client, fund: Fund) -> None:
    _add(fund, Contribution.Method.CASH, 24_000)
    page = client.get(f"/f/{fund.pk}/en/").content.decode()
    assert "Cash <strong>£240</strong>" in page
    assert "Bank transfer <strong>" not in page and "Pledged (not yet received)" not in page
    assert 'fill="url(#pledged-' not in page


def test_the_thermometer_moves_after_a_cash_entry(
    client: Client, fund: Fund, still_page_store: float
) -> None:
    assert "£0 raised of £5,000" in client.get(f"/f/{fund.pk}/en/").content.decode()
    before = client.get(f"/f/{fund.pk}/thermometer.svg").content
    assert b"\xc2\xa30 raised of" in before
    # Written behind the ledger's back: the stored page and the cached totals stand.
    Contribution.objects.create(
        fund=fund,
        state=Contribution.State.RECEIVED,
        method=Contribution.Method.CASH,
        amount=99_900,
        received_on=timezone.localdate(),
    )
    assert "£0 raised of £5,000" in client.get(f"/f/{fund.pk}/en/").content.decode()
    # An entry through the ledger's verb forgets the totals and the fund's stored pages.
    _add(fund, Contribution.Method.CASH, 24_000)
    assert "£1,239 raised of £5,000" in client.get(f"/f/{fund.pk}/en/").content.decode()
    after = client.get(f"/f/{fund.pk}/thermometer.svg").content.decode()
    assert "£1,239 raised of £5,000" in after


def test_a_surge_of_readers_does_not_touch_the_ledger(
    client: Client, fund: Fund, still_page_store: float
) -> None:
    _money(fund)
    client.get(f"/f/{fund.pk}/thermometer.svg?language=es")
    with CaptureQueriesContext(connection) as queries:
        client.get(f"/f/{fund.pk}/thermometer.svg?language=es")
        client.get(f"/f/{fund.pk}/thermometer.png?language=es")
    assert not [q for q in queries.captured_queries if "funds_contribution" in q["sql"]]


def test_the_svg_is_well_formed_and_loads_nothing_from_elsewhere(
    client: Client, fund: Fund
) -> None:
    _money(fund)
    response = client.get(f"/f/{fund.pk}/thermometer.svg")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("image/svg+xml")
    assert response["Cross-Origin-Resource-Policy"] == "cross-origin"
    assert response["Cache-Control"].startswith("public")
    root = ET.fromstring(response.content)  # noqa: S314 - our own output
    assert root.tag == f"{SVG}svg"
    assert root.get("role") == "img"
    label = root.get("aria-label") or ""
    assert "£1,240 raised of £5,000" in label and "24%" in label and "£300" in label
    title = root.find(f"{SVG}title")
    assert title is not None and "Fighting fund" in (title.text or "")
    for element in root.iter():
        assert element.tag.startswith(SVG), element.tag  # nothing foreign, no script
        assert not element.tag.endswith(("script", "image", "foreignObject", "style", "a"))
        for name, value in element.attrib.items():
            assert "http:" not in value and "https:" not in value and "//" not in value, name
            for target in re.findall(r"url\(([^)]*)\)", value):
                assert target.startswith("#"), value  # only its own pattern and clip
            assert not name.endswith("href"), name
    assert "system-ui" in (root.get("font-family") or "")
    text = " ".join(t.text or "" for t in root.iter(f"{SVG}text"))
    assert "Received £1,240" in text and "Pledged, not yet received £300" in text


def _svg(client: Client, url: str) -> ET.Element:
    return ET.fromstring(client.get(url).content)  # noqa: S314 - our own output


def test_the_svg_is_in_the_language_asked_for(client: Client, fund: Fund) -> None:
    _money(fund)
    root = _svg(client, f"/f/{fund.pk}/thermometer.svg?language=es")
    assert root.get(XML_LANG) == "es"
    title = root.find(f"{SVG}title")
    assert title is not None and "Fondo de lucha" in (title.text or "")
    assert "5.000" in (title.text or "")
    assert _svg(client, f"/f/{fund.pk}/thermometer.svg").get(XML_LANG) == "en"
    # A language the fund is not in is not found (each stored address is a real version).
    assert client.get(f"/f/{fund.pk}/thermometer.svg?language=fr").status_code == 404
    assert client.get(f"/f/{fund.pk}/thermometer.png?language=fr").status_code == 404


def test_the_png_is_a_png_of_the_expected_size(client: Client, fund: Fund) -> None:
    _money(fund)
    response = client.get(f"/f/{fund.pk}/thermometer.png")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response["Cross-Origin-Resource-Policy"] == "cross-origin"
    image = Image.open(io.BytesIO(response.content))
    assert (image.format, image.size) == ("PNG", (drawing.WIDTH, drawing.HEIGHT))
    # The accent fills the received part of the bar, the track the rest.
    y = (drawing.BAR_TOP + drawing.BAR_BOTTOM) // 2
    rgb = image.convert("RGB")
    assert rgb.getpixel((drawing.MARGIN + 20, y)) == (0xA3, 0x12, 0x2B)
    assert rgb.getpixel((drawing.WIDTH - drawing.MARGIN - 20, y)) == drawing.TRACK


def test_the_png_is_drawn_once_for_the_same_figures(
    client: Client, fund: Fund, monkeypatch: pytest.MonkeyPatch
) -> None:
    drawn: list[Any] = []
    real = drawing.draw

    def counting(picture: drawing.Picture) -> bytes:
        drawn.append(picture)
        return real(picture)

    monkeypatch.setattr(drawing, "draw", counting)
    first = client.get(f"/f/{fund.pk}/thermometer.png?language=es").content
    forget_all_cached()  # no stored page: the view runs again
    assert client.get(f"/f/{fund.pk}/thermometer.png?language=es").content == first
    assert len(drawn) == 1
    _add(fund, Contribution.Method.CASH, 5_000)
    assert client.get(f"/f/{fund.pk}/thermometer.png?language=es").content != first
    assert len(drawn) == 2


def test_a_draft_funds_images_are_nobodys(client: Client, fund: Fund) -> None:
    Fund.objects.filter(pk=fund.pk).update(published_at=None)
    assert client.get(f"/f/{fund.pk}/thermometer.svg").status_code == 404
    assert client.get(f"/f/{fund.pk}/thermometer.png").status_code == 404
    assert client.get("/f/999999/thermometer.svg").status_code == 404


def test_the_statement_page_shows_its_funds_thermometer(client: Client, fund: Fund) -> None:
    _money(fund)
    page = client.get("/s/free-them/es/").content.decode()
    assert "Fondo de lucha" in page
    assert f'href="/f/{fund.pk}/es/"' in page
    assert "1.240" in page and "5.000" in page
    assert f'fill="url(#pledged-{fund.pk})"' in page
    assert "css/funds.css" in page


def test_the_statement_page_reads_nothing_of_the_fund_but_its_cached_totals(
    client: Client, fund: Fund, still_page_store: float
) -> None:
    """The funds come with the cached statement, their figures from the cached totals (both
    read at most once every few seconds, whatever the number of readers)."""
    _money(fund)
    client.get("/s/free-them/en/")
    forget_all_cached()
    client.get("/s/free-them/en/")  # the statement read into its cache again
    pagecache.clear()
    with CaptureQueriesContext(connection) as queries:
        page = client.get("/s/free-them/en/").content.decode()
    assert "£1,240 raised of £5,000" in page
    assert not [q for q in queries.captured_queries if "funds_" in q["sql"]]


def test_a_closed_fund_without_money_is_not_on_the_statement_page(
    client: Client, fund: Fund
) -> None:
    Fund.objects.filter(pk=fund.pk).update(closed_at=timezone.now())
    forget_all_cached()
    page = client.get("/s/free-them/en/").content.decode()
    assert "Fighting fund" not in page
    _add(fund, Contribution.Method.CASH, 100)
    forget_all_cached()
    page = client.get("/s/free-them/en/").content.decode()
    assert "Fighting fund" in page and "Giving has closed" in page
    assert "Give to the fighting fund" not in page
