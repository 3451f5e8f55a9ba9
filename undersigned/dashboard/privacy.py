"""What the dashboard does for signers' privacy: whether a statement keeps the count after
erasure. Hiding the whole signatory list is undersigned.statements.privacy's. Each change is
audited. Views are in dashboard/views/privacy.py."""

from __future__ import annotations

from django import forms
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from undersigned.audit.models import record
from undersigned.dashboard.statement_actions import User
from undersigned.statements.models import Statement


class KeepCountForm(forms.Form):
    keep_count_after_erasure = forms.BooleanField(
        label=_("Keep the count after erasure"),
        required=False,
        help_text=Statement._meta.get_field("keep_count_after_erasure").help_text,
    )


def set_keep_count(statement: Statement, keep: bool, actor: User) -> bool:
    """Whether erasing a confirmed signer of `statement` from now on keeps an anonymous row
    that counts. True if this changed anything."""
    with transaction.atomic():
        current = Statement.objects.select_for_update().get(pk=statement.pk)
        if current.keep_count_after_erasure == keep:
            return False
        current.keep_count_after_erasure = keep
        current.save(update_fields=("keep_count_after_erasure",))
        record(
            "statement.keep_count_changed",
            actor=actor,
            statement=current,
            object_id=current.pk,
            keep_count=keep,
        )
    statement.keep_count_after_erasure = keep
    return True
