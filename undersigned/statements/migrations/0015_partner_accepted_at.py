from django.db import migrations, models
from django.db.models import F


def keep_existing_partners(apps, schema_editor):
    # Partnerships made before partners were asked stay as they were: public, offered on the
    # sign form. The CHANGELOG asks organisers to remove any their partners did not agree to.
    Partner = apps.get_model("statements", "Partner")
    Partner.objects.update(accepted_at=F("added_at"), asked_at=F("added_at"))


class Migration(migrations.Migration):
    dependencies = [("statements", "0014_signature_logo")]

    operations = [
        migrations.AddField(
            model_name="partner",
            name="accepted_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="partner",
            name="asked_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.RunPython(keep_existing_partners, migrations.RunPython.noop),
    ]
