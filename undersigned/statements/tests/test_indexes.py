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


def _indexes(table: str) -> dict[str, list[str]]:
    """Each index or unique constraint of `table`, with its columns followed by the primary
    key's, as SQLite keeps an index: rows with the same values in id order. An index on a
    statement's id alone is so read in id order, which one on (statement, email) is not."""
    with connection.cursor() as cursor:
        found = connection.introspection.get_constraints(cursor, table)
        primary_key = connection.introspection.get_primary_key_column(cursor, table)
    return {
        name: [*info["columns"], primary_key]
        for name, info in found.items()
        if (info["index"] or info["unique"]) and info["columns"] and not info["primary_key"]
    }


def _covered(table: str) -> list[tuple[str, str]]:
    """(index, what covers it): an index whose columns start another one's."""
    indexes = _indexes(table)
    return [
        (name, other)
        for name, columns in indexes.items()
        for other, other_columns in indexes.items()
        if other != name
        and other_columns[: len(columns)] == columns
        # Of two on the same columns, each covers the other: name one.
        and (len(other_columns) > len(columns) or other < name)
    ]


@pytest.mark.django_db
@pytest.mark.parametrize("model", WRITTEN_BY_SIGNERS, ids=lambda model: model.__name__)
def test_no_index_that_another_covers(model: type) -> None:
    assert _covered(model._meta.db_table) == []


# Dropped by migration 0008: nothing reads these tables in id order through them.
DROPPED = {
    "statements_partnerconsent": {
        "statements_partnerconsent_signature_id_28475416",
        "statements_partnerconsent_partner_id_97907231",
    },
    "statements_signaturetoken": (
        {"statements_signaturetoken_token_hash_ee4d49b6_like"}
        if connection.vendor == "postgresql"
        else set()
    ),
}


@pytest.mark.django_db(transaction=True)
def test_the_migration_drops_the_covered_indexes_and_restores_them_when_reversed() -> None:
    executor = MigrationExecutor(connection)
    latest = executor.loader.graph.leaf_nodes("statements")
    try:
        executor.migrate([("statements", "0007_coalitions")])
        for table, names in DROPPED.items():
            assert names <= set(_indexes(table))
    finally:
        MigrationExecutor(connection).migrate(latest)
    for table, names in DROPPED.items():
        assert not names & set(_indexes(table))
    # The one a signature's statement has stays: the export reads a statement's in id order.
    assert "statements_signature_statement_id_d769c8d7" in _indexes("statements_signature")
