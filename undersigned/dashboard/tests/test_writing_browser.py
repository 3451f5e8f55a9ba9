"""The writing walk in real Chromium: an organiser uploads a photo taken at a protest (with its
GPS position), writes a bilingual statement in Markdown watching the live preview, makes the
photo its cover and publishes it; a visitor sees the cover, whose served file carries no GPS,
and shares the statement before signing."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import Page, expect

from undersigned.conftest import _client_for
from undersigned.lib.tests.test_pictures import GPS_IFD, photo
from undersigned.pictures.models import Picture
from undersigned.statements.models import Statement
from undersigned.statements.tests.test_browser import (  # noqa: F401 - fixtures
    Chromium,
    chromium,
    site,
)

pytestmark = pytest.mark.browser


def _logged_in(chromium: Chromium, user: User, site: str) -> Page:  # noqa: F811
    page = chromium.new_page()
    client = _client_for(user)
    page.context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": site}]
    )
    return page


def test_an_organiser_writes_a_bilingual_statement_with_a_cover_and_a_visitor_shares_it(
    chromium: Chromium,  # noqa: F811
    site: str,  # noqa: F811
    organiser: User,
    settings: Any,
    tmp_path: Path,
) -> None:
    from PIL import Image

    settings.MEDIA_ROOT = tmp_path
    page = _logged_in(chromium, organiser, site)
    # The photo, with where it was taken.
    page.goto("/dashboard/o/red-estudiantil/pictures/")
    page.set_input_files(
        "input[type=file]",
        files=[{"name": "IMG_2031.jpg", "mimeType": "image/jpeg", "buffer": photo()}],
    )
    page.get_by_label("Description").fill("Miners marching in the rain")
    page.get_by_label("Credit").fill("Photo: Rosa Q.")
    page.get_by_role("button", name="Upload").click()
    expect(page.locator(".messages")).to_contain_text("without any of the file's metadata")

    # The statement, in Markdown: the preview beside the field renders as the page will.
    page.goto("/dashboard/o/red-estudiantil/statements/new/")
    page.get_by_label("Title").fill("Free the Arequipa miners")
    page.get_by_label("Default language").fill("en")
    body = page.get_by_label("Body")
    body.fill("The miners marched **peacefully**.\n\n# Our demands\n\n- Release them")
    preview = page.locator(".live-preview .body")
    expect(preview.locator("strong")).to_have_text("peacefully")
    expect(preview.locator("h2")).to_have_text("Our demands")
    body.fill(body.input_value() + '\n\n<img src="https://tracker.example/p.gif">')
    expect(page.locator(".dropped")).to_contain_text("https://tracker.example/p.gif")
    body.fill(body.input_value().rsplit("\n\n", 1)[0])
    expect(page.locator(".dropped")).to_have_count(0)
    page.get_by_role("button", name="Save as a draft").click()
    statement = Statement.objects.get(slug="free-the-arequipa-miners")

    # The Spanish version, its preview live too.
    page.goto(f"/dashboard/s/{statement.slug}/versions/new/")
    page.locator("#id_language").fill("es")
    page.locator("#id_title").fill("Libertad para los mineros de Arequipa")
    page.locator("#id_body").fill("Los mineros marcharon **en paz**.")
    expect(page.locator(".live-preview .body strong")).to_have_text("en paz")
    page.get_by_role("button", name="Add the version").click()
    assert statement.versions.count() == 2

    # The cover, then publishing.
    page.goto(f"/dashboard/s/{statement.slug}/settings/")
    page.get_by_label("Cover picture").select_option(label="Miners marching in the rain")
    page.get_by_role("button", name="Save the settings").click()
    page.goto(f"/dashboard/s/{statement.slug}/")
    page.get_by_role("button", name="Publish").click()
    statement.refresh_from_db()
    assert statement.status == Statement.Status.OPEN and statement.cover is not None

    # A visitor: the cover with its credit; its file has no GPS; shares before signing.
    visitor = chromium.new_page()
    visitor.add_init_script(
        "navigator.share = (data) => { window.sharedData = data; return Promise.resolve(); };"
    )
    visitor.goto(f"/s/{statement.slug}/en/?src=union-newsletter")
    cover = visitor.locator("figure.cover img")
    expect(cover).to_have_attribute("alt", "Miners marching in the rain")
    expect(visitor.locator("figure.cover figcaption")).to_have_text("Photo: Rosa Q.")
    assert cover.evaluate("img => img.complete && img.naturalWidth > 0")
    # What the browser chose (WebP), and the JPEG that mail clients and link previews get.
    shown, fallback = cover.evaluate("img => [img.currentSrc, img.src]")
    for address, kind in ((shown, "image/webp"), (fallback, "image/jpeg")):
        served = visitor.request.get(address)
        assert served.ok and served.headers["content-type"] == kind
        with Image.open(io.BytesIO(served.body())) as image:
            assert not image.getexif().get_ifd(GPS_IFD) and not image.getexif()
        assert b"Exif" not in served.body() and b"EXIF" not in served.body()
    expect(visitor.locator(".body strong").first).to_have_text("peacefully")
    visitor.locator("section.share-statement").get_by_role("button", name="Share…").click()
    shared = visitor.evaluate("window.sharedData")
    assert shared["url"].endswith(f"/s/{statement.slug}/en/?src=union-newsletter")
    assert statement.signatures.count() == 0
    visitor.goto(f"/s/{statement.slug}/es/")
    expect(visitor.locator(".body strong").first).to_have_text("en paz")
    assert Picture.objects.count() == 1
    assert chromium.outside_requests() == []
    assert chromium.csp_violations() == []
