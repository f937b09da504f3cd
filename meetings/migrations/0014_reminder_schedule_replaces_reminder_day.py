import django.core.validators
from django.db import migrations, models

import common.validators


class Migration(migrations.Migration):
    dependencies = [
        ("meetings", "0013_reminder_schedule_data"),
    ]

    operations = [
        migrations.AddConstraint(
            model_name="mailing",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("kind", "reminder"), ("reminder_days__isnull", False)),
                    models.Q(
                        models.Q(("kind", "reminder"), _negated=True),
                        ("reminder_days__isnull", True),
                    ),
                    _connector="OR",
                ),
                name="mailing_reminder_days_with_reminders",
            ),
        ),
        migrations.RemoveConstraint(
            model_name="meeting",
            name="meeting_reminder_days_in_range",
        ),
        migrations.RemoveField(
            model_name="historicalmeeting",
            name="reminder_days_before_deadline",
        ),
        migrations.RemoveField(
            model_name="meeting",
            name="reminder_days_before_deadline",
        ),
        migrations.AlterField(
            model_name='historicalmeeting',
            name='reminders_enabled',
            field=models.BooleanField(default=True, help_text='Remind invitees who have not answered on the days of the reminder schedule below, and participants the day before the meeting.', verbose_name='send reminders'),
        ),
        migrations.AlterField(
            model_name='meeting',
            name='reminders_enabled',
            field=models.BooleanField(default=True, help_text='Remind invitees who have not answered on the days of the reminder schedule below, and participants the day before the meeting.', verbose_name='send reminders'),
        ),
    ]
