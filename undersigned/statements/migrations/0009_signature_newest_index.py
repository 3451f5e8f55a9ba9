"""A signature's statement is indexed with its id, (statement_id, id), instead of alone.

On SQLite the two are the same index: SQLite keeps an index's rows with equal values in id
order. On PostgreSQL the one on statement_id alone gives no id order, so a statement's rows
newest first (the dashboard's list), or oldest first from a position (the export, erasure),
would be read through the primary key, stepping over every other statement's rows.

The old index is dropped by name, not by AlterField: on SQLite, AlterField copies the whole
table to change a foreign key, which at a million rows holds the database for a long while.
"""

import django.db.models.deletion
from django.db import migrations, models

# Django's name for the foreign key's own index.
OLD = "statements_signature_statement_id_d769c8d7"


def drop_old(apps, schema_editor):
    schema_editor.execute(f'DROP INDEX IF EXISTS "{OLD}"')


def restore_old(apps, schema_editor):
    schema_editor.execute(
        f'CREATE INDEX IF NOT EXISTS "{OLD}" ON "statements_signature" ("statement_id")'
    )


class Migration(migrations.Migration):
    dependencies = [
        ("statements", "0008_lean_signature_indexes"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="signature",
                    name="statement",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="signatures",
                        to="statements.statement",
                    ),
                ),
            ],
            database_operations=[migrations.RunPython(drop_old, restore_old)],
        ),
        migrations.AddIndex(
            model_name="signature",
            index=models.Index(fields=["statement", "id"], name="signature_newest"),
        ),
    ]
