"""An organisation's accent colour: set by an owner in the dashboard, refused when white text on
it would be hard to read, and shown on its statements' public pages through a stylesheet."""

from __future__ import annotations

import pytest
from django.test import Client

from undersigned.audit.models import AuditLog
from undersigned.organisations.models import Organisation
from undersigned.statements.models import Statement

PAGE = "/dashboard/o/red-estudiantil/"


def _save(client: Client, colour: str) -> object:
    return client.post(PAGE, {"name": "Red Estudiantil", "website": "", "accent_colour": colour})


@pytest.mark.parametrize(("typed", "kept"), [("#1A5FB4", "#1a5fb4"), (" #000000", "#000000")])
def test_an_owner_sets_a_dark_enough_colour(
    organiser_client: Client, organisation: Organisation, typed: str, kept: str
) -> None:
    assert _save(organiser_client, typed).status_code == 302  # type: ignore[attr-defined]
    organisation.refresh_from_db()
    assert organisation.accent_colour == kept
    assert AuditLog.objects.filter(
        action="organisation.changed", data__fields=["accent_colour"]
    ).exists()


def test_an_empty_colour_means_the_sites_own(
    organiser_client: Client, organisation: Organisation
) -> None:
    Organisation.objects.filter(pk=organisation.pk).update(accent_colour="#1a5fb4")
    assert _save(organiser_client, "").status_code == 302  # type: ignore[attr-defined]
    organisation.refresh_from_db()
    assert organisation.accent_colour == ""


@pytest.mark.parametrize("typed", ["blue", "#12345", "#1234567", "1a5fb4", "#12345g"])
def test_anything_but_six_hex_digits_is_refused(
    organiser_client: Client, organisation: Organisation, typed: str
) -> None:
    page = _save(organiser_client, typed)
    assert page.status_code == 200  # type: ignore[attr-defined]
    assert "six hex digits" in page.context["form"].errors["accent_colour"][0]  # type: ignore[attr-defined]
    organisation.refresh_from_db()
    assert organisation.accent_colour == ""


def test_a_colour_too_light_for_white_text_is_refused_with_its_ratio(
    organiser_client: Client, organisation: Organisation
) -> None:
    # #777777 on white: 4.48:1, just short of 4.5:1.
    page = _save(organiser_client, "#777777")
    assert page.status_code == 200  # type: ignore[attr-defined]
    error = page.context["form"].errors["accent_colour"][0]  # type: ignore[attr-defined]
    assert "4.47:1" in error or "4.48:1" in error
    assert "darker" in error
    organisation.refresh_from_db()
    assert organisation.accent_colour == ""


def test_the_ratio_is_written_as_the_page_language_writes_numbers(
    organiser_client: Client,
) -> None:
    page = organiser_client.post(
        PAGE,
        {"name": "Red Estudiantil", "website": "", "accent_colour": "#ffff00"},
        headers={"accept-language": "es"},
    )
    error = page.context["form"].errors["accent_colour"][0]
    assert "1,07:1" in error


def test_the_statements_public_pages_link_the_colour_and_the_dashboard_does_not(
    client: Client, organiser_client: Client, organisation: Organisation, statement: Statement
) -> None:
    assert b"/accent/" not in client.get("/s/free-them/en/").content
    # Saved as the dashboard saves it, which drops the cached pages.
    organisation.accent_colour = "#1a5fb4"
    organisation.save(update_fields=["accent_colour"])
    for path in ("/s/free-them/en/", "/s/free-them/en/signatories/"):
        assert b'href="/accent/1a5fb4.css"' in Client().get(path).content, path
    assert b"/accent/" not in organiser_client.get("/dashboard/s/free-them/").content


def test_the_colours_stylesheet_sets_the_accent_and_is_kept_for_long(client: Client) -> None:
    response = client.get("/accent/1a5fb4.css")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/css")
    assert response.content.decode().strip() == ":root{--accent:#1a5fb4}"
    assert "immutable" in response["Cache-Control"]


@pytest.mark.parametrize("path", ["/accent/ffff00.css", "/accent/1A5FB4.css", "/accent/1a5fb.css"])
def test_no_stylesheet_for_a_colour_the_form_would_refuse(client: Client, path: str) -> None:
    assert client.get(path).status_code == 404
