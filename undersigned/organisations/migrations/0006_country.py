from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("organisations", "0005_logo_storage")]

    operations = [
        migrations.AddField(
            model_name="organisation",
            name="country",
            field=models.CharField(
                blank=True, db_default="", default="", max_length=2, verbose_name="country"
            ),
        ),
    ]
