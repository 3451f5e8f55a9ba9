"""The tables every signer writes to carry no index that another one already covers: each index
is one more write for every signature in a surge (bench/, issue 3)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from undersigned.abuse.models import EmailQuota, RateCounter
from undersigned.jobs.models import Job
from undersigned.statements.models import PartnerConsent, Signature, SignatureToken

WRITTEN_BY_SIGNERS = (Signature, SignatureToken, PartnerConsent, Job, RateCounter, EmailQuota)


def _indexes(table: str) -> dict[str, tuple[list[str], bool]]:
    """Each index or unique constraint of `table`: its columns, and whether it is unique."""
    with connection.cursor() as cursor:
        found = connection.introspection.get_constraints(cursor, table)
    return {
        name: (info["columns"], bool(info["unique"]))
        for name, info in found.items()
        if (info["index"] or info["unique"]) and info["columns"] and not info["primary_key"]
    }


def _covered(table: str) -> list[tuple[str, str]]:
    """(index, what covers it): a plain index whose columns start another index's."""
    indexes = _indexes(table)
    return [
        (name, other)
        for name, (columns, unique) in indexes.items()
        if not unique
        for other, (other_columns, other_unique) in indexes.items()
        if other != name
        and other_columns[: len(columns)] == columns
        # Of two plain indexes on the same columns, each covers the other: name one.
        and (len(other_columns) > len(columns) or other_unique or other < name)
    ]


@pytest.mark.django_db
@pytest.mark.parametrize("model", WRITTEN_BY_SIGNERS, ids=lambda model: model.__name__)
def test_no_index_that_another_covers(model: type) -> None:
    assert _covered(model._meta.db_table) == []


@pytest.mark.django_db(transaction=True)
def test_the_migration_drops_the_covered_indexes_and_restores_them_when_reversed() -> None:
    executor = MigrationExecutor(connection)
    before = [("statements", "0007_coalitions")]
    latest = executor.loader.graph.leaf_nodes("statements")
    try:
        executor.migrate(before)
        covered = {name for name, _by in _covered("statements_signature")}
        covered |= {name for name, _by in _covered("statements_partnerconsent")}
        covered |= {name for name, _by in _covered("statements_signaturetoken")}
        expected = {
            "statements_signature_statement_id_d769c8d7",
            "statements_partnerconsent_signature_id_28475416",
            "statements_partnerconsent_partner_id_97907231",
        }
        if connection.vendor == "postgresql":
            expected.add("statements_signaturetoken_token_hash_ee4d49b6_like")
        assert covered == expected
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(latest)
    for table in ("statements_signature", "statements_partnerconsent", "statements_signaturetoken"):
        assert _covered(table) == []
