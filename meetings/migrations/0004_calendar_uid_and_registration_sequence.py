"""Store each meeting's calendar UID, and give registrations a calendar sequence.

Until now the UID was made on the fly as "meeting-<pk>@<host of SITE_URL>", so a new host name
changed every UID. Existing meetings keep exactly the UID they have today, read from SITE_URL
as it is when this migration runs; new meetings get a random UUID (`new_calendar_uid`).

The column is added nullable, filled, then made unique and required: a callable default on
AddField is evaluated once, which would give every existing meeting the same value. Django's
"Migrations that add unique fields" in one migration: PostgreSQL and SQLite both run it in one
transaction.
"""

from urllib.parse import urlsplit

from django.conf import settings
from django.db import migrations, models

import meetings.models


def legacy_uid(pk) -> str:
    """The UID `meetings.ics.meeting_uid` gave a meeting before the UID was stored."""
    host = urlsplit(settings.SITE_URL).hostname or "localhost"
    return f"meeting-{pk}@{host}"


def fill_calendar_uids(apps, schema_editor):
    for name in ("Meeting", "HistoricalMeeting"):
        model = apps.get_model("meetings", name)
        rows = list(model.objects.filter(calendar_uid__isnull=True).only("id"))
        for row in rows:
            # A history row keeps the UID of the meeting it records, whose pk is `id`.
            row.calendar_uid = legacy_uid(row.id)
        model.objects.bulk_update(rows, ["calendar_uid"], batch_size=500)


class Migration(migrations.Migration):

    dependencies = [
        ('meetings', '0003_county_staff_mailing_permissions'),
    ]

    operations = [
        migrations.AddField(
            model_name='meeting',
            name='calendar_uid',
            field=models.CharField(editable=False, max_length=300, null=True, verbose_name='calendar UID'),
        ),
        migrations.AddField(
            model_name='historicalmeeting',
            name='calendar_uid',
            field=models.CharField(editable=False, max_length=300, null=True, verbose_name='calendar UID'),
        ),
        migrations.RunPython(fill_calendar_uids, migrations.RunPython.noop, elidable=False),
        migrations.AlterField(
            model_name='meeting',
            name='calendar_uid',
            field=models.CharField(default=meetings.models.new_calendar_uid, editable=False, help_text='Identifies the meeting in calendar programs; never changes.', max_length=300, unique=True, verbose_name='calendar UID'),
        ),
        migrations.AlterField(
            model_name='historicalmeeting',
            name='calendar_uid',
            field=models.CharField(db_index=True, default=meetings.models.new_calendar_uid, editable=False, help_text='Identifies the meeting in calendar programs; never changes.', max_length=300, verbose_name='calendar UID'),
        ),
        migrations.AddField(
            model_name='historicalregistration',
            name='calendar_sequence',
            field=models.PositiveIntegerField(default=0, editable=False, help_text='Rises on every change of status.', verbose_name='calendar sequence'),
        ),
        migrations.AddField(
            model_name='registration',
            name='calendar_sequence',
            field=models.PositiveIntegerField(default=0, editable=False, help_text='Rises on every change of status.', verbose_name='calendar sequence'),
        ),
    ]
