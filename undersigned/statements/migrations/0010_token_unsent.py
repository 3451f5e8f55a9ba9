"""SignatureToken.unsent: which sign forms send no email, so that an email put off to the next
day carries the link of the signature's newest form that does. Nullable and without a default,
so that SQLite adds the column instead of copying the table."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('statements', '0009_signature_newest_index'),
    ]

    operations = [
        migrations.AddField(
            model_name='signaturetoken',
            name='unsent',
            field=models.BooleanField(null=True),
        ),
    ]
