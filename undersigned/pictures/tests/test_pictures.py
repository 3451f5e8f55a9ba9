"""Pictures from the dashboard to the public page: uploaded without metadata, served from the
site with long caching, shown as a statement's cover and inside texts, deleted with their
files, and stored through Django's storage API."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image

from undersigned.audit.models import AuditLog
from undersigned.lib.pictures import NAME
from undersigned.lib.tests.test_pictures import GPS_IFD, photo
from undersigned.organisations.models import Organisation
from undersigned.pictures.models import Picture
from undersigned.statements.models import Statement
from undersigned.updates.models import Update, UpdateVersion

PAGE = "/dashboard/o/red-estudiantil/pictures/"


@pytest.fixture(autouse=True)
def _media(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def upload(client: Client, data: bytes | None = None, **fields: str) -> Any:
    return client.post(
        PAGE,
        {
            "file": SimpleUploadedFile("IMG_2031.jpg", data or photo(), "image/jpeg"),
            "alt": "Students marching past the Ministry",
            "credit": "Photo: Ana Q.",
            **fields,
        },
    )


def test_an_editor_uploads_a_picture_and_the_served_file_has_no_gps(
    member_client: Client, organisation: Organisation, client: Client
) -> None:
    response = upload(member_client)
    assert response.status_code == 302
    picture = Picture.objects.get()
    assert picture.organisation == organisation and (picture.width, picture.height) == (1600, 1067)
    assert picture.alt == "Students marching past the Ministry"
    assert "IMG_2031" not in picture.name and NAME.match(picture.name.split("/")[1])
    assert AuditLog.objects.filter(action="picture.uploaded", object_id=picture.pk).exists()
    largest = picture.url
    shown = [url.split()[0] for url in picture.source.srcset.split(", ")]
    shown += [url.split()[0] for url in picture.source.webp_srcset.split(", ")]
    for url in [largest, *shown]:
        served = client.get(url)
        kind = "image/webp" if url.endswith(".webp") else "image/jpeg"
        assert served.status_code == 200 and served["Content-Type"] == kind
        assert served["Cache-Control"] == "public, max-age=3600"
        content = b"".join(served.streaming_content)
        assert b"Exif" not in content and b"PhoneMaker" not in content
        with Image.open(io.BytesIO(content)) as image:
            assert not image.getexif().get_ifd(GPS_IFD) and not image.getexif()


def test_the_page_gives_the_markdown_that_shows_it(member_client: Client) -> None:
    upload(member_client)
    picture = Picture.objects.get()
    page = member_client.get(PAGE).content.decode()
    assert picture.markdown in page.replace("&quot;", '"')
    assert picture.markdown == (
        f'![Students marching past the Ministry]({picture.url} "Photo: Ana Q.")'
    )


@pytest.mark.parametrize(
    ("data", "fields", "error"),
    [
        (b"%PDF-1.4 not a picture", {}, "This file is not a picture that can be read."),
        (None, {"alt": ""}, "This field is required."),
    ],
)
def test_a_bad_upload_is_refused_with_its_reason_and_nothing_stored(
    member_client: Client, _media: Path, data: bytes | None, fields: dict[str, str], error: str
) -> None:
    response = upload(member_client, data, **fields)
    assert response.status_code == 200
    assert error in response.content.decode()
    assert not Picture.objects.exists() and not list(_media.rglob("*.*"))


def test_a_picture_larger_than_a_request_may_be_is_refused(
    member_client: Client, settings: Any
) -> None:
    settings.REQUEST_BODY_MAX_BYTES = 200 * 1024
    big = photo(3000, 2000)
    assert len(big) > 136 * 1024
    response = upload(member_client, big)
    assert "The picture must be 136" in response.content.decode()
    assert not Picture.objects.exists()


def test_it_is_refused_in_spanish_to_a_spanish_organiser(member_client: Client) -> None:
    member_client.cookies.load({"django_language": "es"})
    response = member_client.post(
        PAGE,
        {"file": SimpleUploadedFile("x.jpg", b"nothing"), "alt": "x"},
        HTTP_ACCEPT_LANGUAGE="es",
    )
    assert "no es una imagen" in response.content.decode()


def test_a_viewer_sees_the_pictures_but_cannot_upload(
    member_client: Client, viewer_client: Client
) -> None:
    upload(member_client)
    assert viewer_client.get(PAGE).status_code == 200
    assert upload(viewer_client).status_code == 403
    assert Picture.objects.count() == 1


def test_deleting_a_picture_deletes_its_files(
    member_client: Client, _media: Path, django_capture_on_commit_callbacks: Any
) -> None:
    upload(member_client)
    picture = Picture.objects.get()
    assert len(list(_media.rglob("*.jpg"))) == 4 and len(list(_media.rglob("*.webp"))) == 4
    with django_capture_on_commit_callbacks(execute=True):
        response = member_client.post(f"{PAGE}{picture.pk}/delete/")
    assert response.status_code == 302
    assert not Picture.objects.exists() and not list(_media.rglob("*.*"))


def test_a_cover_is_not_deleted_from_under_its_statement(
    member_client: Client, statement: Statement
) -> None:
    upload(member_client)
    picture = Picture.objects.get()
    Statement.objects.filter(pk=statement.pk).update(cover=picture)
    member_client.post(f"{PAGE}{picture.pk}/delete/")
    assert Picture.objects.filter(pk=picture.pk).exists()


def test_a_cover_shows_on_the_statement_page_with_its_credit_and_sizes(
    member_client: Client, client: Client, statement: Statement
) -> None:
    upload(member_client)
    picture = Picture.objects.get()
    response = member_client.post(
        "/dashboard/s/free-them/settings/",
        {
            "default_language": "en",
            "ask_country": "on",
            "allow_organisations": "on",
            "cover": str(picture.pk),
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    statement.versions.filter(language="es").update(cover_alt="Estudiantes ante el Ministerio")
    english = client.get("/s/free-them/en/").content.decode()
    assert '<figure class="cover">' in english and "Photo: Ana Q." in english
    assert 'alt="Students marching past the Ministry"' in english
    assert picture.source.webp_srcset in english and picture.source.srcset in english
    assert f'content="http://testserver{picture.url}"' in english or picture.url in english
    assert 'property="og:image"' in english
    spanish = client.get("/s/free-them/es/").content.decode()
    assert 'alt="Estudiantes ante el Ministerio"' in spanish


def test_only_the_organisation_own_pictures_can_be_a_cover(
    member_client: Client, statement: Statement
) -> None:
    other = Organisation.objects.create(name="Other", slug="other")
    foreign = Picture.objects.create(
        organisation=other, name="pictures/abcdefghij0123456789-480x320.jpg", width=480, height=320
    )
    member_client.post(
        "/dashboard/s/free-them/settings/",
        {"default_language": "en", "cover": str(foreign.pk)},
    )
    statement.refresh_from_db()
    assert statement.cover_id is None


def test_a_picture_inside_an_update_is_shown_at_the_right_size(
    member_client: Client, client: Client, statement: Statement
) -> None:
    upload(member_client)
    picture = Picture.objects.get()
    update = Update.objects.create(statement=statement, published_at="2026-12-01T10:00:00Z")
    UpdateVersion.objects.create(
        update=update, language="en", title="The march", body=f"We marched.\n\n{picture.markdown}"
    )
    page = client.get(f"/s/free-them/en/updates/{update.pk}/").content.decode()
    assert "<figure><picture>" in page and "Photo: Ana Q.</figcaption>" in page
    assert 'sizes="(min-width: 50rem) 40rem, 100vw"' in page


def test_pictures_go_through_the_storage_api(
    settings: Any, member_client: Client, client: Client, _media: Path
) -> None:
    # Any storage Django can use (S3-compatible through django-storages, say): here the one
    # Django keeps in memory. Nothing is written to the local folder; the site still serves it.
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    }
    upload(member_client)
    picture = Picture.objects.get()
    assert not list(_media.rglob("*.jpg"))
    assert default_storage.exists(picture.name)
    served = client.get(picture.url)
    assert served.status_code == 200 and b"".join(served.streaming_content)[:2] == b"\xff\xd8"


def test_an_unknown_picture_is_not_found(client: Client, db: None) -> None:
    assert client.get("/media/pictures/abcdefghij0123456789-480x320.jpg").status_code == 404
    assert client.get("/media/pictures/..%2Fsettings.py").status_code == 404


def test_a_file_the_site_no_longer_holds_is_not_served(
    member_client: Client, client: Client, _media: Path
) -> None:
    upload(member_client)
    picture = Picture.objects.get()
    Picture.objects.filter(pk=picture.pk).delete()  # the row gone, its files left behind
    assert list(_media.rglob("*.jpg"))
    assert client.get(picture.url).status_code == 404


def test_logos_stay_in_the_local_folder_whatever_the_picture_storage(
    settings: Any, organiser_client: Client, organisation: Organisation, _media: Path
) -> None:
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    }
    response = organiser_client.post(
        "/dashboard/o/red-estudiantil/",
        {"name": organisation.name, "logo": SimpleUploadedFile("l.jpg", photo(300, 300))},
    )
    assert response.status_code == 302
    organisation.refresh_from_db()
    assert (_media / organisation.logo.name).exists()
    assert organisation.logo.url.startswith("/media/logos/")


def test_an_update_teaser_shows_its_text_once_escaped(client: Client, statement: Statement) -> None:
    update = Update.objects.create(statement=statement, published_at="2026-12-01T10:00:00Z")
    UpdateVersion.objects.create(
        update=update, language="en", title="News", body="Tom & Jerry <3 the **union**"
    )
    page = client.get("/s/free-them/en/").content.decode()
    assert "Tom &amp; Jerry &lt;3 the union" in page and "&amp;amp;" not in page
