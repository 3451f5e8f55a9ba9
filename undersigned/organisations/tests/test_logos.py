"""Logo files leave storage once no organisation shows them, and only after the change has
committed (undersigned.organisations.signals)."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import Client
from PIL import Image

from undersigned.organisations.models import Organisation

PAGE = "/dashboard/o/red-estudiantil/"


@pytest.fixture(autouse=True)
def media(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def _upload(colour: str = "red") -> SimpleUploadedFile:
    out = io.BytesIO()
    Image.new("RGB", (20, 10), colour).save(out, "PNG")
    return SimpleUploadedFile("logo.png", out.getvalue(), content_type="image/png")


def _save(client: Client, **fields: Any) -> Any:
    response = client.post(PAGE, {"name": "Red Estudiantil", "website": "", **fields})
    assert response.status_code == 302, response.content.decode()
    return response


def _file(media: Path, organisation: Organisation) -> Path:
    organisation.refresh_from_db()
    return media / organisation.logo.name


def test_a_replaced_logo_file_is_deleted_once_the_change_has_committed(
    organiser_client: Client,
    organisation: Organisation,
    media: Path,
    django_capture_on_commit_callbacks: Any,
) -> None:
    _save(organiser_client, logo=_upload())
    first = _file(media, organisation)
    assert first.is_file()
    with django_capture_on_commit_callbacks() as callbacks:
        _save(organiser_client, logo=_upload("blue"))
    second = _file(media, organisation)
    assert second != first and second.is_file()
    # Not before the commit: the test's transaction is still open.
    assert first.is_file()
    for callback in callbacks:
        callback()
    assert not first.exists() and second.is_file()


def test_a_cleared_logo_file_is_deleted(
    organiser_client: Client,
    organisation: Organisation,
    media: Path,
    django_capture_on_commit_callbacks: Any,
) -> None:
    _save(organiser_client, logo=_upload())
    logo = _file(media, organisation)
    with django_capture_on_commit_callbacks(execute=True):
        _save(organiser_client, **{"logo-clear": "on"})
    organisation.refresh_from_db()
    assert not organisation.logo and not logo.exists()


def test_saving_other_fields_or_a_refused_logo_keeps_the_file(
    organiser_client: Client,
    organisation: Organisation,
    media: Path,
    django_capture_on_commit_callbacks: Any,
) -> None:
    _save(organiser_client, logo=_upload())
    logo = _file(media, organisation)
    with django_capture_on_commit_callbacks(execute=True):
        _save(organiser_client, website="example.org")
        refused = organiser_client.post(
            PAGE,
            {"name": "Red Estudiantil", "logo": SimpleUploadedFile("a.png", b"not an image")},
        )
        assert refused.status_code == 200
        organisation.name = "Renamed"
        organisation.save()
    assert _file(media, organisation) == logo and logo.is_file()


@pytest.mark.django_db(transaction=True)
def test_a_change_rolled_back_keeps_the_file(organisation: Organisation, media: Path) -> None:
    organisation.logo.save("kept.png", _upload(), save=True)
    logo = _file(media, organisation)
    with pytest.raises(RuntimeError), transaction.atomic():
        organisation.logo = ""  # type: ignore[assignment]
        organisation.save()
        raise RuntimeError
    assert logo.is_file()
    organisation.refresh_from_db()
    assert organisation.logo.name == "logos/kept.png"
    # Outside a transaction, the commit is at once, and so is the deletion.
    organisation.logo = ""  # type: ignore[assignment]
    organisation.save()
    assert not logo.exists()


def test_a_file_another_organisation_shows_is_never_deleted(
    organisation: Organisation, media: Path, django_capture_on_commit_callbacks: Any
) -> None:
    organisation.logo.save("shared.png", _upload(), save=True)
    shared = _file(media, organisation)
    other = Organisation.objects.create(name="Other", slug="other", logo=organisation.logo.name)
    third = Organisation.objects.create(name="Third", slug="third", logo=organisation.logo.name)
    with django_capture_on_commit_callbacks(execute=True):
        organisation.logo = ""  # type: ignore[assignment]
        organisation.save()
        other.delete()
    assert shared.is_file()
    # The last one to show it lets it go.
    with django_capture_on_commit_callbacks(execute=True):
        third.delete()
    assert not shared.exists()


def test_a_file_already_gone_is_no_error(
    organisation: Organisation, media: Path, django_capture_on_commit_callbacks: Any
) -> None:
    organisation.logo.save("gone.png", _upload(), save=True)
    _file(media, organisation).unlink()
    with django_capture_on_commit_callbacks(execute=True):
        organisation.logo = ""  # type: ignore[assignment]
        organisation.save()
    organisation.refresh_from_db()
    assert not organisation.logo
