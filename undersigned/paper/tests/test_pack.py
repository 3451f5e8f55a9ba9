"""The delivery pack of the demo statement, made by the worker's job and read back: its text
with pypdf, its QR code from the last page drawn at 150 dpi and decoded with zxing-cpp, its
hash computed again from the database and from the file attached to it."""

from __future__ import annotations

import hashlib
import re
import subprocess
import unicodedata
from pathlib import Path
from typing import Any

import pytest
import zxingcpp
from django.test import Client
from django.utils import timezone
from PIL import Image
from pypdf import PdfReader

from undersigned.jobs.models import Job
from undersigned.jobs.queue import run_job
from undersigned.lib.names import initialled
from undersigned.paper import jobs
from undersigned.paper import pack as pack_module
from undersigned.paper.actions import packs_with_files, request_document
from undersigned.paper.models import Document
from undersigned.statements import privacy
from undersigned.statements.demo import load_demo
from undersigned.statements.models import Signature, Statement

pytestmark = pytest.mark.django_db

SITE = "https://petitions.example.org"
LETTER = "Dear Minister,\n\nWe deliver the voices of many.\n\nWith respect,"
# A signer who chose not to be listed, with a name no one else has.
HIDDEN_NAME = "Zebulon Quackenbush"


@pytest.fixture
def paper_dir(settings: Any, tmp_path: Path) -> Path:
    settings.PAPER_DIR = tmp_path / "paper"
    return Path(settings.PAPER_DIR)


@pytest.fixture
def demo(settings: Any, tmp_path: Path, paper_dir: Path) -> Statement:
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.SITE_URL = SITE
    statement = load_demo()
    Signature.objects.create(
        statement=statement,
        language="en",
        name=HIDDEN_NAME,
        email="zq@example.org",
        email_canonical="zq@example.org",
        consent_version="v",
        consent_at=timezone.now(),
        state=Signature.State.CONFIRMED,
        confirmed_at=timezone.now() - timezone.timedelta(minutes=5),
        display=Signature.Display.HIDDEN,
        country="PE",
    )
    return statement


def run_paper_jobs() -> int:
    """Run the queued paper jobs (and only those: the demo queues emails too)."""
    ran = 0
    for job in Job.objects.filter(kind="paper.make", failed_at__isnull=True).order_by("pk"):
        run_job(job)
        ran += 1
    return ran


def make(statement: Statement, **options: Any) -> Document:
    document = request_document(
        statement,
        Document.Kind.PACK,
        {"addressee_language": "en", "letter": LETTER, **options},
        None,
    )
    run_paper_jobs()
    document.refresh_from_db()
    return document


@pytest.fixture
def pack(demo: Statement) -> Document:
    return make(demo)


def pages_of(document: Document) -> list[str]:
    assert document.path is not None
    reader = PdfReader(document.path)
    return [" ".join((page.extract_text() or "").split()) for page in reader.pages]


def expected_lines(statement: Statement) -> list[str]:
    """The list as the pack defines it, computed here on its own from the database."""

    def shown(signature: Signature) -> str:
        if signature.display == Signature.Display.INITIAL:
            return initialled(signature.name)
        return signature.name

    listed = Signature.objects.filter(statement=statement, state="confirmed").exclude(
        display="hidden"
    )
    lines = []
    for signature in listed.filter(kind="organisation").order_by("organisation_name", "id"):
        who = shown(signature)
        if signature.organisation_role:
            who += f", {signature.organisation_role}"
        lines.append(f"{signature.organisation_name} ({who})")
    for signature in listed.filter(kind="individual").order_by("confirmed_at", "id"):
        lines.append(shown(signature))
    return [unicodedata.normalize("NFC", " ".join(line.split())) for line in lines]


def sha256_of(lines: list[str]) -> str:
    return hashlib.sha256("".join(f"{line}\n" for line in lines).encode("utf-8")).hexdigest()


def test_the_pack_is_made_with_its_progress_and_figures(pack: Document, demo: Statement) -> None:
    assert pack.state == Document.State.READY, pack.error
    counted = Signature.objects.counted().filter(statement=demo).count()
    assert pack.count == counted
    lines = expected_lines(demo)
    assert pack.listed == len(lines) < counted
    assert pack.progress_total == pack.progress_done == len(lines)
    assert pack.percent == 100
    assert pack.path is not None and pack.path.read_bytes().startswith(b"%PDF-")
    assert pack.size == pack.path.stat().st_size


def test_the_pack_reads_in_order_with_letter_versions_list_and_counts(
    pack: Document, demo: Statement
) -> None:
    pages = pages_of(pack)
    text = " ".join(pages)
    # The cover letter: the organisers' words, to the addressee.
    assert "Dear Minister," in pages[0] and "We deliver the voices of many." in pages[0]
    assert "The Ministry of the Interior of Valmora" in pages[0]
    # Every language version's title.
    for version in demo.versions.all():
        assert version.title in text
    # Organisations first, with the person who signed and their role, then individuals.
    organisation = Signature.objects.listed().filter(
        statement=demo, kind="organisation", organisation_role__gt=""
    )[0]
    entry = f"{organisation.organisation_name} ({organisation.public_name}, "
    assert entry + organisation.organisation_role + ")" in text
    first_person = expected_lines(demo)[pack.listed - 1]  # the latest individual
    assert text.index(entry) < text.rindex(first_person)
    # Not listed, but counted.
    assert HIDDEN_NAME not in text and initialled(HIDDEN_NAME) not in text
    assert f"Signers counted {pack.count}" in text
    # Counts by country: Peru's is every counted signer who gave Peru, listed or not.
    peru = Signature.objects.counted().filter(statement=demo, country="PE").count()
    assert re.search(rf"Peru\s*{peru}\b", text)


def test_a_list_laid_out_in_many_chunks_keeps_every_entry_in_order_on_full_pages(
    demo: Statement, monkeypatch: pytest.MonkeyPatch
) -> None:
    now = timezone.now()
    Signature.objects.bulk_create(
        Signature(
            statement=demo,
            language="en",
            name=f"Crowd Member{n}",
            email=f"crowd{n}@example.org",
            email_canonical=f"crowd{n}@example.org",
            consent_version="v",
            consent_at=now,
            state=Signature.State.CONFIRMED,
            confirmed_at=now - timezone.timedelta(seconds=n),
        )
        for n in range(1200)
    )
    # Several pages a chunk, so that each chunk's last page is laid out again with the next.
    monkeypatch.setattr(pack_module, "CHUNK", 700)
    document = make(demo)
    lines = expected_lines(demo)
    assert document.sha256 == sha256_of(lines)
    assert document.path is not None
    reader = PdfReader(document.path)
    pages = [page.extract_text() or "" for page in reader.pages]
    text = " ".join(" ".join(page.split()) for page in pages)
    position = 0
    for line in lines:
        found = text.find(line, position)
        assert found >= 0, line
        position = found + len(line)
    # Every page of individuals is as full as the first, but the section's last.
    listing = [len(page.splitlines()) for page in pages if "Crowd Member" in page]
    assert len(listing) >= 4
    assert all(count >= listing[0] - 4 for count in listing[:-1]), listing
    test_every_page_is_numbered_and_the_contents_point_to_them(document)


def test_every_page_is_numbered_and_the_contents_point_to_them(pack: Document) -> None:
    pages = pages_of(pack)
    for number, page in enumerate(pages, start=1):
        assert page.endswith(f" {number}") or page == str(number), (number, page[-60:])
    contents = next(page for page in pages if page.startswith("Contents"))
    found = re.search(r"Individuals · \d+ listed (\d+)", contents)
    assert found is not None, contents
    individuals = int(found.group(1))
    assert pages[individuals - 1].startswith("Individuals As each chose to appear")
    assert not pages[individuals - 2].startswith("Individuals")
    last = re.search(r"count and hash (\d+)", contents)
    assert last is not None and pages[int(last.group(1)) - 1].startswith("Signers by country")


def test_the_printed_hash_is_the_list_s_and_the_attached_file_s(
    pack: Document, demo: Statement
) -> None:
    lines = expected_lines(demo)
    assert pack.sha256 == sha256_of(lines)
    assert pack.sha256 in pages_of(pack)[-1]
    assert pack.path is not None
    attached = PdfReader(pack.path).attachments["signatories.txt"][0]
    assert attached == "".join(f"{line}\n" for line in lines).encode("utf-8")
    assert hashlib.sha256(attached).hexdigest() == pack.sha256


def test_the_last_page_s_qr_code_leads_to_the_check_page(pack: Document, tmp_path: Path) -> None:
    assert pack.path is not None
    count = len(PdfReader(pack.path).pages)
    subprocess.run(  # noqa: S603 - a fixed tool on a file of the test's own
        ["pdftoppm", "-r", "150", "-png", "-f", str(count), "-l", str(count)]  # noqa: S607
        + [str(pack.path), str(tmp_path / "last")],
        check=True,
    )
    (png,) = tmp_path.glob("last*.png")
    codes = zxingcpp.read_barcodes(Image.open(png))
    assert [code.text for code in codes] == [f"{SITE}/s/free-the-valmora-students/pack/{pack.pk}/"]


def test_the_pack_is_archival_pdf_a(pack: Document) -> None:
    assert pack.path is not None
    reader = PdfReader(pack.path)
    metadata = reader.trailer["/Root"]["/Metadata"].get_object().get_data().decode()
    assert re.search(r"pdfaid:part(>|=\")3", metadata)
    assert "/OutputIntents" in reader.trailer["/Root"]
    # Bookmarks lead to the list's sections.
    titles = [item.title for item in reader.outline if not isinstance(item, list)]
    assert {"Organisations", "Individuals", "Count and hash"} <= set(titles)


def test_the_check_page_shows_the_count_and_hash_and_no_one(client: Client, pack: Document) -> None:
    page = client.get(f"/s/free-the-valmora-students/pack/{pack.pk}/")
    assert page.status_code == 200
    text = page.content.decode()
    assert pack.sha256 in text and f"<dd>{pack.count}</dd>" in text
    assert "Free the Valmora students" in text
    assert HIDDEN_NAME not in text and "Inés Castro" not in text
    assert page["Cache-Control"].startswith("public")


def test_the_check_page_is_only_for_finished_packs(
    client: Client, demo: Statement, pack: Document, statement: Statement
) -> None:
    sheet = Document.objects.create(statement=demo, kind="sheet", state="ready")
    waiting = Document.objects.create(statement=demo, kind="pack")
    for pk in (sheet.pk, waiting.pk, pack.pk + 1000):
        assert client.get(f"/s/free-the-valmora-students/pack/{pk}/").status_code == 404
    # Another statement's address.
    assert client.get(f"/s/free-them/pack/{pack.pk}/").status_code == 404


def test_the_cover_letter_is_in_the_addressee_s_language(demo: Statement) -> None:
    pack = make(demo, addressee_language="es", letter="")
    letter = pages_of(pack)[0]
    assert "Libertad para los estudiantes de Valmora" in letter
    assert "El Ministerio del Interior de Valmora" in letter
    assert "Free the Valmora students" not in letter


def test_withdrawing_a_listed_signer_deletes_the_file_and_keeps_the_check(
    client: Client, demo: Statement, pack: Document, django_capture_on_commit_callbacks: Any
) -> None:
    path = pack.path
    assert path is not None and path.exists()
    # Someone not listed leaves: the pack names no one less.
    privacy.withdraw(Signature.objects.get(name=HIDDEN_NAME))
    pack.refresh_from_db()
    assert pack.state == Document.State.READY and path.exists()
    with django_capture_on_commit_callbacks(execute=True):
        privacy.withdraw(Signature.objects.listed().filter(statement=demo, kind="individual")[0])
    pack.refresh_from_db()
    assert pack.state == Document.State.DELETED and pack.file_name == ""
    assert not path.exists()
    page = client.get(f"/s/free-the-valmora-students/pack/{pack.pk}/")
    assert page.status_code == 200 and pack.sha256 in page.content.decode()


def test_erasing_the_statement_s_signers_deletes_its_pack_files(
    demo: Statement, pack: Document, django_capture_on_commit_callbacks: Any
) -> None:
    path = pack.path
    assert path is not None
    with django_capture_on_commit_callbacks(execute=True):
        privacy.erase_signers(demo, reason="test")
    assert not path.exists()
    assert not Statement.objects.filter(packs_with_files(), pk=demo.pk).exists()


def test_a_signer_leaving_while_the_pack_is_made_makes_it_again(
    demo: Statement, monkeypatch: pytest.MonkeyPatch, paper_dir: Path
) -> None:
    real = jobs.render
    leaving = Signature.objects.listed().filter(statement=demo, kind="individual")[0]

    def render_while_someone_leaves(document: Document, progress: Any) -> Any:
        made = real(document, progress)
        if Signature.objects.filter(pk=leaving.pk).exists():
            privacy.withdraw(leaving)
        return made

    monkeypatch.setattr(jobs, "render", render_while_someone_leaves)
    document = request_document(demo, Document.Kind.PACK, {"addressee_language": "en"}, None)
    run_paper_jobs()  # made, then thrown away: the withdrawal asked for it again
    run_paper_jobs()
    document.refresh_from_db()
    assert document.state == Document.State.READY
    assert document.listed == len(expected_lines(demo))
    assert [path.name for path in paper_dir.iterdir()] == [document.file_name]


def test_running_the_job_twice_makes_one_file(demo: Statement, paper_dir: Path) -> None:
    document = request_document(demo, Document.Kind.PACK, {"addressee_language": "en"}, None)
    jobs.make({"document": document.pk})
    jobs.make({"document": document.pk})
    document.refresh_from_db()
    assert document.state == Document.State.READY
    assert [path.name for path in paper_dir.iterdir()] == [document.file_name]


def test_a_failure_is_retried_then_recorded_by_its_class_only(
    statement: Statement, monkeypatch: pytest.MonkeyPatch, settings: Any, paper_dir: Path
) -> None:
    def broken(document: Document, progress: Any) -> Any:
        raise RuntimeError("the text of an error may name someone: ana@example.org")

    monkeypatch.setattr(jobs, "render", broken)
    settings.JOB_MAX_ATTEMPTS = 2
    document = request_document(statement, Document.Kind.PACK, {"addressee_language": "en"}, None)
    run_paper_jobs()
    document.refresh_from_db()
    assert (document.state, document.error) == (Document.State.QUEUED, "RuntimeError")
    job = Job.objects.get(kind="paper.make")
    assert job.attempts == 1 and job.failed_at is None
    run_job(job)
    document.refresh_from_db()
    assert (document.state, document.error) == (Document.State.FAILED, "RuntimeError")
    assert not Job.objects.filter(kind="paper.make").exists()
    assert not paper_dir.exists() or not any(paper_dir.iterdir())


def test_a_hidden_list_prints_no_name_and_the_count(demo: Statement) -> None:
    privacy.hide_signatories(demo)
    pack = make(demo)
    text = " ".join(pages_of(pack))
    assert pack.listed == 0 and pack.sha256 == hashlib.sha256(b"").hexdigest()
    assert "Inés Castro" not in text and "Amal Haddad" not in text
    assert pack.count == Signature.objects.counted().filter(statement=demo).count()
