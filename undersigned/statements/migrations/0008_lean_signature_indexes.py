"""Drop indexes that another index already covers, on tables signers write to: each one is one
more write per signature.

The indexes are dropped by name, not by AlterField: on SQLite, AlterField copies the whole table
to change a foreign key, which at a million rows holds the database for a long while.
"""

import django.db.models.deletion
from django.db import migrations, models

# (table, index, column): Django's names for the foreign keys' own indexes, which a constraint
# or index that starts with the same column covers (nothing reads these rows in id order).
COVERED = [
    ("statements_partnerconsent", "statements_partnerconsent_signature_id_28475416", "signature_id"),
    ("statements_partnerconsent", "statements_partnerconsent_partner_id_97907231", "partner_id"),
]
# PostgreSQL only: unique=True on a CharField adds this index for LIKE queries.
TOKEN_LIKE = "statements_signaturetoken_token_hash_ee4d49b6_like"


def drop(apps, schema_editor):
    for _table, index, _column in COVERED:
        schema_editor.execute(f'DROP INDEX IF EXISTS "{index}"')
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f'DROP INDEX IF EXISTS "{TOKEN_LIKE}"')


def restore(apps, schema_editor):
    for table, index, column in COVERED:
        schema_editor.execute(f'CREATE INDEX IF NOT EXISTS "{index}" ON "{table}" ("{column}")')
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f'CREATE INDEX IF NOT EXISTS "{TOKEN_LIKE}" ON "statements_signaturetoken" '
            '("token_hash" varchar_pattern_ops)'
        )


class Migration(migrations.Migration):
    dependencies = [
        ("statements", "0007_coalitions"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="partnerconsent",
                    name="partner",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="consents",
                        to="statements.partner",
                    ),
                ),
                migrations.AlterField(
                    model_name="partnerconsent",
                    name="signature",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="partner_consents",
                        to="statements.signature",
                    ),
                ),
            ],
            database_operations=[migrations.RunPython(drop, restore)],
        ),
    ]
