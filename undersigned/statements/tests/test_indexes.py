"""The tables every signer writes to carry no index that another one already covers: each index
is one more write for every signature in a surge."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from undersigned.abuse.models import EmailQuota, RateCounter
from undersigned.dashboard.export import _export_sql
from undersigned.jobs.models import Job
from undersigned.lib import fastinsert
from undersigned.organisations.models import Organisation
from undersigned.statements.models import PartnerConsent, Signature, SignatureToken, Statement

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


@contextlib.contextmanager
def _migrated_back_to(migration: str) -> Iterator[None]:
    """The statements app's tables as `migration` left them, then migrated forward again, with
    every app whose migrations depend on them (their tables are dropped on the way back)."""
    executor = MigrationExecutor(connection)
    latest = executor.loader.graph.leaf_nodes()
    try:
        executor.migrate([("statements", migration)])
        yield
    finally:
        MigrationExecutor(connection).migrate(latest)


@pytest.mark.django_db(transaction=True)
def test_the_migration_drops_the_covered_indexes_and_restores_them_when_reversed() -> None:
    with _migrated_back_to("0007_coalitions"):
        for table, names in DROPPED.items():
            assert names <= set(_indexes(table))
    for table, names in DROPPED.items():
        assert not names & set(_indexes(table))


OLD_STATEMENT_INDEX = "statements_signature_statement_id_d769c8d7"


@pytest.mark.django_db(transaction=True)
def test_a_signatures_statement_is_indexed_with_its_id_and_back_when_reversed() -> None:
    with _migrated_back_to("0008_lean_signature_indexes"):
        before = _indexes("statements_signature")
        assert before[OLD_STATEMENT_INDEX] == ["statement_id", "id"]
        assert "signature_newest" not in before
    after = _indexes("statements_signature")
    assert OLD_STATEMENT_INDEX not in after
    assert after["signature_newest"] == ["statement_id", "id", "id"]


def _plan(sql: str, params: list[Any]) -> str:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Only to compare the indexes: on a test's few rows a full read would win.
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute(f"EXPLAIN {sql}", params)
        else:
            cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
        return "\n".join(str(row[-1]) for row in cursor.fetchall())


@pytest.mark.django_db
def test_a_statements_signatures_are_read_in_id_order_through_its_index(
    statement: Statement, organisation: Organisation
) -> None:
    """The dashboard's list (newest first) and the export (oldest first, from a position) of
    an older statement's signatures, among many newer ones of another: read in order through
    signature_newest, neither sorted nor found by stepping over the other statement's."""
    other = Statement.objects.create(organisation=organisation, slug="later", status="open")
    for target in (statement, other):
        fastinsert.insert(
            Signature,
            [
                {
                    "statement_id": target.pk,
                    "email": f"s{n}@example.org",
                    "email_canonical": f"s{n}@example.org",
                    "name": f"Signer {n}",
                    "language": "en",
                    "state": Signature.State.CONFIRMED,
                    "created_at": timezone.now(),
                    "consent_at": timezone.now(),
                }
                for n in range(1000)
            ],
        )
    # The other statement's doubled five times, to 32,000: then, as with a million, the
    # planner does not find the older statement's newest by stepping over the others'.
    table = Signature._meta.db_table
    columns = [field.column for field in Signature._meta.concrete_fields if not field.primary_key]
    for copy in range(5):
        copied = [
            f"email_canonical || '.{copy}'" if column == "email_canonical" else column
            for column in columns
        ]
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {table} ({', '.join(columns)}) "  # noqa: S608 - the model's names
                f"SELECT {', '.join(copied)} FROM {table} WHERE statement_id = %s",
                [other.pk],
            )
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {table}")
    newest = Signature.objects.filter(statement=statement).only("name", "state").order_by("-id")
    export, params = _export_sql(statement.pk)
    with transaction.atomic():
        plans = [
            _plan(*newest[:101].query.sql_with_params()),
            # A chunk from the start (export_rows), a tenth of the statement's, as one of
            # csvexport.CHUNK is of a large statement's.
            _plan(export, [*params, 0, 100]),
        ]
    for plan in plans:
        assert "signature_newest" in plan, plan
        assert "Sort" not in plan and "TEMP B-TREE" not in plan, plan
        assert "pkey" not in plan and "PRIMARY KEY" not in plan, plan
