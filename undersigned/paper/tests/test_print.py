"""The dashboard's Print page: asking for each kind of document, the worker making it, the
download; who may do it; and the housekeeping that deletes old files."""

from __future__ import annotations

import datetime as dt
import os
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from pypdf import PdfReader

from undersigned.conftest import make_signature
from undersigned.jobs.models import Job
from undersigned.paper.actions import delete_expired, request_document, store
from undersigned.paper.models import Document
from undersigned.paper.tests.test_pack import run_paper_jobs
from undersigned.statements.models import Statement

pytestmark = pytest.mark.django_db

PRINT = "/dashboard/s/free-them/print/"


@pytest.fixture(autouse=True)
def paper_dir(settings: Any, tmp_path: Path) -> Path:
    settings.PAPER_DIR = tmp_path / "paper"
    return Path(settings.PAPER_DIR)


def test_a_pack_asked_for_in_the_dashboard_is_made_and_downloaded(
    member_client: Client, statement: Statement
) -> None:
    make_signature(statement, 1, name="Ana García", country="PE")
    form = member_client.get(PRINT)
    assert form.status_code == 200
    assert 'name="pack-addressee_language"' in form.content.decode()
    response = member_client.post(
        PRINT,
        {"kind": "pack", "pack-addressee_language": "es", "pack-letter": "Estimado Ministro:"},
    )
    assert response.status_code == 302 and response["Location"] == PRINT
    document = Document.objects.get()
    assert document.state == Document.State.QUEUED
    assert document.options == {"addressee_language": "es", "letter": "Estimado Ministro:"}
    waiting = member_client.get(PRINT).content.decode()
    assert "Reload to see the progress" in waiting
    assert run_paper_jobs() == 1
    page = member_client.get(PRINT).content.decode()
    download = f"{PRINT}{document.pk}/"
    assert f'href="{download}"' in page and "Reload to see the progress" not in page
    assert f'href="/s/free-them/pack/{document.pk}/"' in page
    got = member_client.get(download)
    assert got.status_code == 200
    assert got["Content-Type"] == "application/pdf"
    assert got["Cache-Control"] == "private, no-store"
    assert got["Content-Disposition"].startswith('attachment; filename="free-them-pack-')
    pdf = b"".join(got.streaming_content)  # type: ignore[arg-type]
    text = " ".join(page.extract_text() for page in PdfReader(BytesIO(pdf)).pages)
    assert "Estimado Ministro:" in text and "Ana García" in text


@pytest.mark.parametrize(
    ("data", "kind", "options"),
    [
        (
            {"kind": "leaflet", "leaflet-size": "A5", "leaflet-language": "en"},
            Document.Kind.LEAFLET,
            {"languages": ["en"], "size": "A5", "event": None},
        ),
        (
            {
                "kind": "leaflet",
                "leaflet-size": "A3",
                "leaflet-language": "es",
                "leaflet-beside": "en",
            },
            Document.Kind.POSTER,
            {"languages": ["es", "en"], "size": "A3", "event": None},
        ),
        ({"kind": "sheet", "sheet-language": "es"}, Document.Kind.SHEET, {"language": "es"}),
    ],
)
def test_leaflets_posters_and_sheets_are_made_by_the_worker(
    organiser_client: Client, statement: Statement, data: dict[str, str], kind: str, options: Any
) -> None:
    assert organiser_client.post(PRINT, data).status_code == 302
    document = Document.objects.get()
    assert (document.kind, document.options) == (kind, options)
    run_paper_jobs()
    document.refresh_from_db()
    assert document.state == Document.State.READY, document.error
    assert (document.progress_done, document.progress_total) == (1, 1)
    assert document.path is not None
    assert len(PdfReader(document.path).pages) >= 1
    assert document.sha256 == "" and not document.checkable


def test_a_form_with_an_error_is_shown_again_and_asks_for_nothing(
    member_client: Client, statement: Statement
) -> None:
    same = {"kind": "leaflet", "leaflet-size": "A5", "leaflet-language": "en"}
    response = member_client.post(PRINT, {**same, "leaflet-beside": "en"})
    assert response.status_code == 400
    assert "Choose another language, or none." in response.content.decode()
    assert member_client.post(PRINT, {"kind": "nothing"}).status_code == 400
    assert not Document.objects.exists() and not Job.objects.filter(kind="paper.make").exists()


def test_viewers_and_outsiders_neither_print_nor_download(
    viewer_client: Client, outsider_client: Client, client: Client, statement: Statement
) -> None:
    document = Document.objects.create(statement=statement, kind="pack", state="ready")
    document.file_name = store(b"%PDF-1.7 names")
    document.save(update_fields=("file_name",))
    download = f"{PRINT}{document.pk}/"
    data = {"kind": "pack", "pack-addressee_language": "en"}
    assert viewer_client.get(PRINT).status_code == 403
    assert viewer_client.post(PRINT, data).status_code == 403
    assert viewer_client.get(download).status_code == 403
    assert outsider_client.get(PRINT).status_code == 404
    assert outsider_client.get(download).status_code == 404
    assert client.get(download).status_code == 302  # to log in
    assert Document.objects.count() == 1


def test_another_statement_s_document_is_not_found(
    member_client: Client, statement: Statement
) -> None:
    other = Statement.objects.create(
        organisation=statement.organisation, slug="other", default_language="en"
    )
    document = Document.objects.create(statement=other, kind="sheet", state="ready")
    document.file_name = store(b"%PDF-1.7")
    document.save(update_fields=("file_name",))
    assert member_client.get(f"{PRINT}{document.pk}/").status_code == 404
    assert member_client.get(f"/dashboard/s/other/print/{document.pk}/").status_code == 200


def test_old_files_are_deleted_and_a_pack_s_check_record_stays(
    statement: Statement, paper_dir: Path, django_capture_on_commit_callbacks: Any
) -> None:
    made = timezone.now() - dt.timedelta(days=8)
    documents = {}
    for kind in (Document.Kind.PACK, Document.Kind.SHEET):
        document = request_document(statement, kind, {"language": "en"}, None)
        name = store(b"%PDF-1.7")
        Document.objects.filter(pk=document.pk).update(
            state="ready", file_name=name, created_at=made, sha256="a" * 64, finished_at=made
        )
        documents[kind] = document
    fresh = Document.objects.create(statement=statement, kind="sheet", state="ready")
    fresh.file_name = store(b"%PDF-1.7")
    fresh.save(update_fields=("file_name",))
    stray = paper_dir / "left-by-a-killed-worker.pdf"
    stray.write_bytes(b"%PDF")
    os.utime(stray, (made.timestamp(), made.timestamp()))
    recent = paper_dir / "being-written.pdf.part"
    recent.write_bytes(b"%PDF")
    with django_capture_on_commit_callbacks(execute=True):
        assert delete_expired(now=timezone.now() + dt.timedelta(days=1)) == 2
    pack = Document.objects.get(pk=documents[Document.Kind.PACK].pk)
    assert (pack.state, pack.file_name, pack.sha256) == (Document.State.DELETED, "", "a" * 64)
    assert not Document.objects.filter(pk=documents[Document.Kind.SHEET].pk).exists()
    assert sorted(path.name for path in paper_dir.iterdir()) == sorted(
        [fresh.file_name, recent.name]
    )
