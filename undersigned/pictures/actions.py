"""Storing an uploaded picture: the one path every upload takes (dashboard, demo, tests)."""

from __future__ import annotations

from typing import Any

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction

from undersigned.audit.models import record
from undersigned.lib import pictures
from undersigned.organisations.models import Organisation
from undersigned.pictures.models import Picture


def store_picture(
    organisation: Organisation,
    data: bytes,
    *,
    alt: str,
    credit: str = "",
    actor: Any = None,
) -> Picture:
    """Re-encode `data` (raises lib.pictures.PictureError), write its files to storage and
    record it. Files written for a picture whose row then fails to commit are removed."""
    processed = pictures.process(data)
    written: list[str] = []
    try:
        for name, content in processed.files.items():
            saved = default_storage.save(name, ContentFile(content))
            written.append(saved)
            if saved != name:  # the storage renamed it: the key is random, so never expected
                raise OSError("the storage renamed a picture")
        with transaction.atomic():
            picture = Picture.objects.create(
                organisation=organisation,
                name=processed.name,
                width=processed.width,
                height=processed.height,
                alt=alt,
                credit=credit,
                uploaded_by=actor if getattr(actor, "is_authenticated", False) else None,
            )
            record(
                "picture.uploaded",
                actor=actor,
                object_id=picture.pk,
                organisation=organisation.pk,
            )
    except BaseException:
        for name in written:
            default_storage.delete(name)
        raise
    return picture
