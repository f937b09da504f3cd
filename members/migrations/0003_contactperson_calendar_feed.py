import secrets

from django.db import migrations, models

import members.models


def fill_tokens(apps, schema_editor):
    ContactPerson = apps.get_model("members", "ContactPerson")
    for person in ContactPerson.objects.filter(calendar_token__isnull=True).only("pk"):
        person.calendar_token = secrets.token_urlsafe(32)
        person.save(update_fields=["calendar_token"])


class Migration(migrations.Migration):
    dependencies = [
        ("members", "0002_county_staff_group"),
    ]

    operations = [
        migrations.AddField(
            model_name="contactperson",
            name="calendar_includes_all",
            field=models.BooleanField(
                default=False,
                help_text="Otherwise the feed holds only the meetings you are registered for.",
                verbose_name="all network meetings in the calendar feed",
            ),
        ),
        # Existing people each need their own token, so: add empty, fill, then make unique.
        migrations.AddField(
            model_name="contactperson",
            name="calendar_token",
            field=models.CharField(max_length=64, null=True, editable=False),
        ),
        migrations.RunPython(fill_tokens, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="contactperson",
            name="calendar_token",
            field=models.CharField(
                default=members.models.new_calendar_token,
                editable=False,
                help_text="The secret part of the person's calendar feed address.",
                max_length=64,
                unique=True,
                verbose_name="calendar feed key",
            ),
        ),
    ]
