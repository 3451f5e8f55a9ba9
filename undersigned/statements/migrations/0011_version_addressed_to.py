"""StatementVersion.addressed_to: whom a statement addresses, as each language names them
(the statement's own setting stays the default). A small table: SQLite copying it is quick."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('statements', '0010_token_unsent'),
    ]

    operations = [
        migrations.AddField(
            model_name='statementversion',
            name='addressed_to',
            field=models.CharField(blank=True, help_text="Whom the statement addresses, as readers of this language name them. Left empty, the statement's own setting is shown.", max_length=200, verbose_name='addressed to, in this language'),
        ),
    ]
