"""Drop this process's cached statements when one, its versions, its organisation or its
partners change."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from undersigned.lib import pagecache
from undersigned.organisations.models import Organisation
from undersigned.statements.models import Partner, Statement, StatementVersion
from undersigned.statements.queries import forget_statements


@receiver([post_save, post_delete], sender=Statement)
@receiver([post_save, post_delete], sender=StatementVersion)
@receiver([post_save, post_delete], sender=Organisation)
@receiver([post_save, post_delete], sender=Partner)
def statement_changed(sender: type, **kwargs: Any) -> None:
    _forget()
    # Again once committed: a reader between the save and the commit re-cached the old one.
    transaction.on_commit(_forget)


def _forget() -> None:
    forget_statements()
    pagecache.clear()
