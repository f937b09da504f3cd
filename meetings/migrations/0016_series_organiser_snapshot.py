"""A series keeps its organiser's address and contact person too, as they were when it was
made; the network owner starts as the organiser of the latest series, as the footer named it."""

import common.validators
from django.db import migrations, models


def owner_from_latest_series(apps, schema_editor):
    NetworkOwner = apps.get_model("members", "NetworkOwner")
    latest = apps.get_model("meetings", "MeetingSeries").objects.order_by("-year", "pk").first()
    if latest is None or NetworkOwner.objects.exists():
        return
    NetworkOwner.objects.create(
        pk=1,
        name=latest.organiser_name,
        email=latest.organiser_email,
        phone=latest.organiser_phone,
    )


class Migration(migrations.Migration):
    dependencies = [
        ("meetings", "0015_date_polls"),
        ("members", "0010_network_owner"),
    ]

    operations = [
        migrations.AddField(
            model_name="meetingseries",
            name="organiser_address",
            field=models.CharField(
                blank=True,
                max_length=300,
                validators=[common.validators.validate_single_line],
                verbose_name="organiser's address",
            ),
        ),
        migrations.AddField(
            model_name="meetingseries",
            name="organiser_contact",
            field=models.CharField(
                blank=True,
                help_text="Name and job title, as the e-mails are signed.",
                max_length=200,
                validators=[common.validators.validate_single_line],
                verbose_name="organiser's contact person",
            ),
        ),
        migrations.AlterField(
            model_name="meetingseries",
            name="organiser_name",
            field=models.CharField(
                help_text="The county council and section that run the series.",
                max_length=200,
                validators=[common.validators.validate_single_line],
                verbose_name="organiser",
            ),
        ),
        migrations.RunPython(owner_from_latest_series, migrations.RunPython.noop),
    ]
