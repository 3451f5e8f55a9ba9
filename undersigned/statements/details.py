"""What a new signature's form said besides its own row: the partner organisations its signer
agreed to hear from, and the statement's source (link) the form came through. The sign request
queues them for every form that has them, new address or not, and the worker writes them for
a new signature only: the request's time must not tell whether the address had signed
(statements.store).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import connection, transaction

from undersigned.abuse import counters
from undersigned.jobs.queue import handler
from undersigned.statements.forms import CONSENT_VERSION
from undersigned.statements.models import Partner, PartnerConsent, Signature, Source, SourceCount

NEW_SIGNATURE_DETAILS = "statements.new_signature_details"
# Before the signer's email (0), whose confirmation page shows the partners agreed to.
NEW_SIGNATURE_PRIORITY = -1


@handler(NEW_SIGNATURE_DETAILS)
def write_details(payload: dict[str, Any]) -> None:
    if not payload["new"]:
        return  # signed again: the first form's choices stand
    at = dt.datetime.fromisoformat(payload["at"])
    with transaction.atomic():
        if not Signature.objects.filter(pk=payload["signature"]).exists():
            return  # withdrawn meanwhile
        # Partners removed since the form was read are left out. Written twice if the worker
        # was killed before deleting this job: the same rows.
        partners = Partner.objects.filter(pk__in=payload["partners"]).values_list("pk", flat=True)
        PartnerConsent.objects.bulk_create(
            [
                PartnerConsent(
                    signature_id=payload["signature"],
                    partner_id=partner,
                    version=CONSENT_VERSION,
                    at=at,
                )
                for partner in partners
            ],
            ignore_conflicts=True,
        )
        if payload["source"] is not None and _lock_source(payload["source"]):
            hour = at.replace(minute=0, second=0, microsecond=0)
            field = SourceCount._meta.get_field("hour")
            counters.numbers(
                SourceCount, "hour", field.get_db_prep_value(hour, connection), [payload["source"]]
            )


def _lock_source(source: int) -> bool:
    """Whether the source still exists: an organiser may have deleted it since the form was
    read. On PostgreSQL it is share-locked until this transaction ends, so that a deletion
    waits for the count and deletes it too (dashboard.statement_actions.delete_source)."""
    sql = f"SELECT id FROM {Source._meta.db_table} WHERE id = %s"  # noqa: S608
    if connection.vendor == "postgresql":
        sql += " FOR KEY SHARE"
    with connection.cursor() as cursor:
        cursor.execute(sql, [source])
        return cursor.fetchone() is not None
