"""A picture's files leave storage with it, once its deletion has committed (from the
dashboard, the admin, or with its organisation)."""

from __future__ import annotations

import logging
from functools import partial
from typing import Any

from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models.signals import post_delete
from django.dispatch import receiver

from undersigned.pictures.models import Picture

log = logging.getLogger(__name__)


@receiver(post_delete, sender=Picture)
def _forget_files(sender: type, instance: Picture, **kwargs: Any) -> None:
    transaction.on_commit(partial(_delete, instance.stored_names))


def _delete(names: list[str]) -> None:
    for name in names:
        try:
            default_storage.delete(name)
        except OSError as error:
            log.warning("A picture file could not be deleted: %s", type(error).__name__)
