import django.core.validators
import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

import common.validators

# PostgreSQL refuses to alter a table with pending trigger events, which the data step's
# writes leave until their transaction commits: schema, data and schema are three migrations,
# each in a transaction of its own.


class Migration(migrations.Migration):
    dependencies = [
        ("meetings", "0011_registration_municipality"),
        ("members", "0002_county_staff_group"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="MeetingReminder",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "days_before",
                    models.PositiveSmallIntegerField(
                        help_text="1 to 90 days before the registration deadline.",
                        validators=[
                            django.core.validators.MinValueValidator(1),
                            django.core.validators.MaxValueValidator(90),
                        ],
                        verbose_name="days before the deadline",
                    ),
                ),
            ],
            options={
                "verbose_name": "reminder",
                "verbose_name_plural": "reminders",
                "ordering": ["meeting", "-days_before"],
            },
        ),
        migrations.RemoveConstraint(
            model_name="mailing",
            name="mailing_one_reminder_of_each_kind",
        ),
        migrations.AddField(
            model_name="mailing",
            name="body_en",
            field=models.TextField(
                blank=True,
                validators=[common.validators.validate_no_control_characters],
                verbose_name="text (English)",
            ),
        ),
        migrations.AddField(
            model_name="mailing",
            name="body_nb",
            field=models.TextField(
                blank=True,
                validators=[common.validators.validate_no_control_characters],
                verbose_name="text (Bokmål)",
            ),
        ),
        migrations.AddField(
            model_name="mailing",
            name="reminder_days",
            field=models.PositiveSmallIntegerField(
                blank=True,
                editable=False,
                help_text="Which reminder of the meeting's schedule this mailing is.",
                null=True,
                verbose_name="reminder, days before the deadline",
            ),
        ),
        migrations.AddField(
            model_name="mailing",
            name="subject_en",
            field=models.CharField(
                blank=True,
                max_length=200,
                validators=[common.validators.validate_single_line],
                verbose_name="subject (English)",
            ),
        ),
        migrations.AddField(
            model_name="mailing",
            name="subject_nb",
            field=models.CharField(
                blank=True,
                max_length=200,
                validators=[common.validators.validate_single_line],
                verbose_name="subject (Bokmål)",
            ),
        ),
        migrations.AddConstraint(
            model_name="mailing",
            constraint=models.UniqueConstraint(
                condition=models.Q(("kind", "reminder")),
                fields=("meeting", "reminder_days"),
                name="mailing_each_reminder_once",
            ),
        ),
        migrations.AddConstraint(
            model_name="mailing",
            constraint=models.UniqueConstraint(
                condition=models.Q(("kind", "participant_reminder")),
                fields=("meeting", "kind"),
                name="mailing_one_participant_reminder",
            ),
        ),
        migrations.AddField(
            model_name="meetingreminder",
            name="meeting",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="reminder_schedule",
                to="meetings.meeting",
                verbose_name="meeting",
            ),
        ),
        migrations.AddConstraint(
            model_name="meetingreminder",
            constraint=models.UniqueConstraint(
                fields=("meeting", "days_before"),
                name="meetingreminder_once_per_meeting",
                violation_error_message="This meeting already has a reminder on that day.",
            ),
        ),
        migrations.AddConstraint(
            model_name="meetingreminder",
            constraint=models.CheckConstraint(
                condition=models.Q(("days_before__gte", 1), ("days_before__lte", 90)),
                name="meetingreminder_days_in_range",
                violation_error_message="Remind between 1 and 90 days before the registration deadline.",
            ),
        ),
    ]
