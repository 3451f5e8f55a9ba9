"""Writing in the dashboard: Markdown with a preview rendered as the public page renders it,
what publishing removes said beside the field, and logos for organisations that signed."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from undersigned.audit.models import AuditLog
from undersigned.conftest import make_signature
from undersigned.organisations.models import Organisation
from undersigned.pictures.models import Picture
from undersigned.statements.models import Signature, Statement, StatementVersion
from undersigned.updates.models import Update, UpdateVersion

VERSION = "/dashboard/s/free-them/versions/en/"
PREVIEW = "/dashboard/o/red-estudiantil/preview/"
UNSAFE = "Our **demands**\n\n<iframe src=https://tracker.example></iframe>\n\n![x](https://tracker.example/p.gif)"


@pytest.fixture(autouse=True)
def _media(settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path


def _version_data(**fields: str) -> dict[str, str]:
    return {"title": "Free them", "summary": "", "body": "", "demands": "", **fields}


def test_the_live_preview_renders_as_the_page_and_says_what_is_dropped(
    member_client: Client,
) -> None:
    answer = json.loads(member_client.post(PREVIEW, {"text": UNSAFE}).content)
    assert "<strong>demands</strong>" in answer["html"]
    assert "iframe" not in answer["html"] and "tracker" not in answer["html"]
    assert "&lt;iframe&gt;" in answer["dropped"]
    assert "https://tracker.example/p.gif" in answer["dropped"]
    clean = json.loads(member_client.post(PREVIEW, {"text": "**ok**"}).content)
    assert clean["dropped"].strip() == ""


def test_a_viewer_cannot_use_the_preview(viewer_client: Client) -> None:
    assert viewer_client.post(PREVIEW, {"text": "x"}).status_code == 403


def test_the_preview_button_shows_the_text_and_what_is_dropped_without_saving(
    member_client: Client, statement: Statement
) -> None:
    page = member_client.post(VERSION, _version_data(body=UNSAFE, preview="1")).content.decode()
    assert "Preview (not saved yet)" in page and "<strong>demands</strong>" in page
    assert "Publishing removes these from the text" in page and "&lt;iframe&gt;" in page
    assert "demands" not in StatementVersion.objects.get(statement=statement, language="en").body


def test_saving_keeps_the_markdown_and_warns_of_what_is_dropped(
    member_client: Client, statement: Statement
) -> None:
    response = member_client.post(VERSION, _version_data(body=UNSAFE), follow=True)
    assert StatementVersion.objects.get(statement=statement, language="en").body == UNSAFE
    page = response.content.decode()
    assert "Publishing removes part of the text" in page
    assert "&lt;iframe&gt;" in page  # still said beside the field after saving
    public = Client().get("/s/free-them/en/").content.decode()
    assert "<strong>demands</strong>" in public and "tracker.example" not in public


def test_an_update_is_previewed_without_javascript(
    member_client: Client, statement: Statement
) -> None:
    page = member_client.post(
        "/dashboard/s/free-them/updates/new/",
        {"en-title": "March", "en-body": "We **marched**.\n\n<script>x()</script>", "preview": "1"},
    )
    text = page.content.decode()
    assert page.status_code == 200 and "<strong>marched</strong>" in text
    assert "&lt;script&gt;" in text and not Update.objects.exists()
    member_client.post(
        "/dashboard/s/free-them/updates/new/", {"en-title": "March", "en-body": "We **marched**."}
    )
    assert UpdateVersion.objects.get().body == "We **marched**."


def _picture(statement: Statement) -> Picture:
    return Picture.objects.create(
        organisation=statement.organisation,
        name="pictures/abcdefghij0123456789-480x480.png",
        width=480,
        height=480,
        alt="The union's logo",
    )


def test_an_editor_gives_an_organisation_signature_its_logo(
    member_client: Client, statement: Statement
) -> None:
    signed = make_signature(
        statement, 1, kind=Signature.Kind.ORGANISATION, organisation_name="Miners of Arequipa"
    )
    picture = _picture(statement)
    url = f"/dashboard/s/free-them/signatures/{signed.pk}/logo/"
    assert "The union&#x27;s logo" in member_client.get(url).content.decode()
    assert member_client.post(url, {"logo": str(picture.pk)}).status_code == 302
    signed.refresh_from_db()
    assert signed.logo == picture
    assert AuditLog.objects.filter(action="signature.logo_set", object_id=signed.pk).exists()
    page = Client().get("/s/free-them/en/").content.decode()
    assert 'src="/media/pictures/abcdefghij0123456789-160x160.webp"' in page
    member_client.post(url, {"logo": ""})
    signed.refresh_from_db()
    assert signed.logo is None


def test_a_logo_must_be_one_of_the_organisation_pictures(
    member_client: Client, statement: Statement
) -> None:
    signed = make_signature(
        statement, 1, kind=Signature.Kind.ORGANISATION, organisation_name="Miners of Arequipa"
    )
    other = Organisation.objects.create(name="Other", slug="other")
    theirs = Picture.objects.create(
        organisation=other, name="pictures/abcdefghij0123456789-480x480.png", width=480, height=480
    )
    url = f"/dashboard/s/free-them/signatures/{signed.pk}/logo/"
    for chosen in (str(theirs.pk), "999999", "not-a-number"):
        response = member_client.post(url, {"logo": chosen})
        assert response.status_code == 200
        assert "Choose one of the pictures" in response.content.decode()
    signed.refresh_from_db()
    assert signed.logo is None


def test_an_individual_signature_has_no_logo(member_client: Client, statement: Statement) -> None:
    signed = make_signature(statement, 1)
    assert (
        member_client.get(f"/dashboard/s/free-them/signatures/{signed.pk}/logo/").status_code == 404
    )
