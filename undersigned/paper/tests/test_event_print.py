"""An event's Print page: a leaflet or a poster of an event with no statement (its QR code to
the event's page) or with one (to the statement's sign page, with the event's source code),
made by the worker, downloaded and read back; who may do it; what an event alone may have."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from django.db import IntegrityError, transaction
from django.test import Client

from undersigned.events.models import Event
from undersigned.events.tests.conftest import make_event
from undersigned.jobs.models import Job
from undersigned.jobs.queue import drain
from undersigned.organisations.models import Organisation
from undersigned.paper.actions import request_document, store
from undersigned.paper.models import Document
from undersigned.paper.tests.test_leaflets import SITE, qr_codes, text_of
from undersigned.statements.models import Source, Statement

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def paper_dir(settings: Any, tmp_path: Path) -> Path:
    settings.PAPER_DIR = tmp_path / "paper"
    settings.SITE_URL = SITE
    return Path(settings.PAPER_DIR)


def _meeting(organisation: Organisation, statement: Statement | None = None) -> Event:
    """Saturday 12 December 2026, 18:00 to 20:00 in Madrid (UTC+1)."""
    start = dt.datetime(2026, 12, 12, 17, 0, tzinfo=dt.UTC)
    return make_event(organisation, statement, start=start, end=start + dt.timedelta(hours=2))


def _made(client: Client, event: Event, data: dict[str, str]) -> tuple[Document, bytes]:
    """Ask for a document on the event's Print page, let the worker make it, download it."""
    page = f"/dashboard/events/{event.pk}/print/"
    response = client.post(page, {"kind": "leaflet", **data})
    assert response.status_code == 302 and response["Location"] == page
    assert drain() >= 1
    document = Document.objects.get(event=event)
    assert document.state == Document.State.READY, document.error
    download = f"{page}{document.pk}/"
    assert f'href="{download}"' in client.get(page).content.decode()
    got = client.get(download)
    assert got.status_code == 200 and got["Cache-Control"] == "private, no-store"
    return document, b"".join(got.streaming_content)  # type: ignore[arg-type]


def test_an_event_without_a_statement_gets_a_leaflet_to_its_own_page(
    member_client: Client, organisation: Organisation, tmp_path: Path
) -> None:
    event = _meeting(organisation)
    overview = member_client.get(f"/dashboard/events/{event.pk}/").content.decode()
    assert f'href="/dashboard/events/{event.pk}/print/"' in overview
    form = member_client.get(f"/dashboard/events/{event.pk}/print/").content.decode()
    assert 'name="leaflet-language"' in form and 'name="leaflet-event"' not in form
    document, pdf = _made(member_client, event, {"leaflet-size": "A5", "leaflet-language": "en"})
    assert (document.statement, document.kind) == (None, Document.Kind.LEAFLET)
    assert document.options == {"languages": ["en"], "size": "A5", "event": event.pk}
    assert document.download_name().startswith(f"event-{event.pk}-leaflet-")
    text = text_of(pdf)
    assert "Emergency demonstration" in text
    assert "Saturday 12 December 2026" in text and "18:00–20:00, Madrid time" in text
    assert {url for _page, url in qr_codes(pdf, tmp_path)} == {f"{SITE}/e/{event.pk}/en/"}
    assert not Source.objects.exists()


def test_an_event_with_a_statement_asks_to_sign_it_with_its_own_source(
    organiser_client: Client, statement: Statement, tmp_path: Path
) -> None:
    event = _meeting(statement.organisation, statement)
    data = {"leaflet-size": "A5", "leaflet-language": "es", "leaflet-beside": "en"}
    document, pdf = _made(organiser_client, event, data)
    assert document.statement == statement
    text = text_of(pdf)
    assert "Concentración urgente" in text and "Libertad para ellos" in text
    assert {url for _page, url in qr_codes(pdf, tmp_path)} == {
        f"{SITE}/s/free-them/es/?src=leaflet-{event.pk}-es",
        f"{SITE}/s/free-them/en/?src=leaflet-{event.pk}-en",
    }
    assert Source.objects.filter(statement=statement, code=f"leaflet-{event.pk}-es").exists()
    # The statement's Print page lists it too, to download from there.
    statement_page = organiser_client.get("/dashboard/s/free-them/print/").content.decode()
    assert f'href="/dashboard/s/free-them/print/{document.pk}/"' in statement_page


def test_a_leaflet_for_an_event_asked_for_on_the_statement_s_page_is_the_event_s_too(
    member_client: Client, statement: Statement
) -> None:
    event = make_event(statement.organisation, statement)
    data = {
        "kind": "leaflet",
        "leaflet-size": "A4",
        "leaflet-language": "en",
        "leaflet-event": str(event.pk),
    }
    assert member_client.post("/dashboard/s/free-them/print/", data).status_code == 302
    document = Document.objects.get()
    assert (document.statement, document.event, document.kind) == (statement, event, "poster")
    drain()
    page = member_client.get(f"/dashboard/events/{event.pk}/print/").content.decode()
    assert f'href="/dashboard/events/{event.pk}/print/{document.pk}/"' in page


def test_viewers_and_outsiders_neither_print_nor_download_an_event_s_documents(
    viewer_client: Client,
    outsider_client: Client,
    client: Client,
    member_client: Client,
    organisation: Organisation,
) -> None:
    event = _meeting(organisation)
    document = Document.objects.create(event=event, kind="leaflet", state="ready")
    document.file_name = store(b"%PDF-1.7 a leaflet")
    document.save(update_fields=("file_name",))
    page = f"/dashboard/events/{event.pk}/print/"
    download = f"{page}{document.pk}/"
    data = {"kind": "leaflet", "leaflet-size": "A5", "leaflet-language": "en"}
    assert viewer_client.get(page).status_code == 403
    assert viewer_client.post(page, data).status_code == 403
    assert viewer_client.get(download).status_code == 403
    assert outsider_client.get(page).status_code == 404
    assert outsider_client.post(page, data).status_code == 404
    assert outsider_client.get(download).status_code == 404
    assert client.get(download).status_code == 302  # to log in
    assert Document.objects.count() == 1
    assert not Job.objects.filter(kind="paper.make").exists()
    # Another event's address does not reach it.
    other = _meeting(organisation)
    assert (
        member_client.get(f"/dashboard/events/{other.pk}/print/{document.pk}/").status_code == 404
    )
    assert member_client.get(download).status_code == 200


def test_a_form_with_an_error_asks_for_nothing(
    member_client: Client, organisation: Organisation
) -> None:
    event = _meeting(organisation)
    page = f"/dashboard/events/{event.pk}/print/"
    data = {"leaflet-size": "A5", "leaflet-language": "en", "leaflet-beside": "en"}
    response = member_client.post(page, data)
    assert response.status_code == 400
    assert "Choose another language, or none." in response.content.decode()
    assert member_client.post(page, {**data, "leaflet-language": "fr"}).status_code == 400
    assert not Document.objects.exists()


def test_only_a_leaflet_or_a_poster_is_an_event_s_alone(organisation: Organisation) -> None:
    event = _meeting(organisation)
    for kind in (Document.Kind.SHEET, Document.Kind.PACK):
        with pytest.raises(ValueError, match="needs a statement"):
            request_document(None, kind, {"language": "en"}, None, event=event)
        with pytest.raises(IntegrityError), transaction.atomic():
            Document.objects.create(event=event, kind=kind)
    with pytest.raises(IntegrityError), transaction.atomic():
        Document.objects.create(kind=Document.Kind.LEAFLET)
    assert str(Document.objects.create(event=event, kind="poster")).endswith(f"event {event.pk}")
