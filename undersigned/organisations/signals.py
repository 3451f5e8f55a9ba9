"""Logo files leave storage with the last organisation that shows them: when a logo is replaced
or cleared, or its organisation deleted, from the dashboard, the admin or a shell alike.

The file is deleted only once the change has committed (a rolled-back change still shows it),
and only if no organisation shows it then: two organisations may share one file.
"""

from __future__ import annotations

import logging
from functools import partial
from typing import Any

from django.core.exceptions import SuspiciousFileOperation
from django.db import transaction
from django.db.models.signals import post_delete, post_save, pre_save
from django.dispatch import receiver

from undersigned.organisations.models import Organisation

log = logging.getLogger(__name__)

# Where pre_save leaves the logo as stored, for post_save to compare.
_STORED = "_stored_logo"


@receiver(pre_save, sender=Organisation)
def _note_stored_logo(
    sender: type, instance: Organisation, raw: bool = False, **kwargs: Any
) -> None:
    fields = kwargs.get("update_fields")
    if raw or instance.pk is None or (fields is not None and "logo" not in fields):
        return
    stored = Organisation.objects.filter(pk=instance.pk).values_list("logo", flat=True).first()
    setattr(instance, _STORED, stored or "")


@receiver(post_save, sender=Organisation)
def _forget_replaced_logo(sender: type, instance: Organisation, **kwargs: Any) -> None:
    stored = instance.__dict__.pop(_STORED, "")
    if stored and stored != instance.logo.name:
        forget_logo(stored)


@receiver(post_delete, sender=Organisation)
def _forget_deleted_logo(sender: type, instance: Organisation, **kwargs: Any) -> None:
    if instance.logo.name:
        forget_logo(instance.logo.name)


def forget_logo(name: str) -> None:
    """Delete the logo file `name` once the current transaction commits, unless an
    organisation shows it then."""
    transaction.on_commit(partial(_delete_if_unused, name))


def _delete_if_unused(name: str) -> None:
    if Organisation.objects.filter(logo=name).exists():
        return
    try:
        Organisation._meta.get_field("logo").storage.delete(name)
    except (OSError, SuspiciousFileOperation) as error:
        # The change itself is committed: an orphaned file is no reason to fail the request.
        log.warning("A logo file no longer used could not be deleted: %s", type(error).__name__)
