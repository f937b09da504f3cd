import django.core.validators
import django.db.models.deletion
from django.conf import settings
from django.contrib.auth.management import create_permissions
from django.db import migrations, models

import network_portal.validators


def keep_the_reminder_days(apps, schema_editor):
    """Each existing meeting's schedule is the one reminder it had, on the day it had; its
    reminder mailing, if one went out, is that reminder, so it is not sent again. New
    meetings start with 14, 7 and 2 days (services.meeting_save)."""
    Meeting = apps.get_model("meetings", "Meeting")
    MeetingReminder = apps.get_model("meetings", "MeetingReminder")
    Mailing = apps.get_model("meetings", "Mailing")
    rows = Meeting.objects.values_list("pk", "reminder_days_before_deadline")
    MeetingReminder.objects.bulk_create(
        (MeetingReminder(meeting_id=pk, days_before=days) for pk, days in rows.iterator()),
        batch_size=500,
    )
    for pk, days in rows.filter(mailings__kind="reminder").distinct().iterator():
        Mailing.objects.filter(meeting_id=pk, kind="reminder").update(reminder_days=days)


def give_back_the_reminder_days(apps, schema_editor):
    """The latest reminder of each schedule (the fewest days) becomes the single value."""
    Meeting = apps.get_model("meetings", "Meeting")
    MeetingReminder = apps.get_model("meetings", "MeetingReminder")
    Mailing = apps.get_model("meetings", "Mailing")
    for meeting_id, days in (
        MeetingReminder.objects.order_by("meeting_id", "-days_before")
        .values_list("meeting_id", "days_before")
        .iterator()
    ):
        Meeting.objects.filter(pk=meeting_id).update(reminder_days_before_deadline=days)
    # The single field allowed one reminder mailing per meeting: the latest is kept as it.
    for mailing in Mailing.objects.filter(kind="reminder").order_by("meeting_id", "reminder_days"):
        later = Mailing.objects.filter(
            meeting_id=mailing.meeting_id, kind="reminder", reminder_days__lt=mailing.reminder_days
        )
        if later.exists():
            mailing.kind = "invitation"
            mailing.reminder_days = None
            mailing.save(update_fields=["kind", "reminder_days"])


def county_staff_edit_schedules(apps, schema_editor):
    """County staff edit the reminder schedule in the meeting's page."""
    app_config = apps.get_app_config("meetings")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name="County staff")
    group.permissions.add(
        *Permission.objects.filter(
            content_type__app_label="meetings", content_type__model="meetingreminder"
        )
    )


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
                validators=[network_portal.validators.validate_no_control_characters],
                verbose_name="text (English)",
            ),
        ),
        migrations.AddField(
            model_name="mailing",
            name="body_nb",
            field=models.TextField(
                blank=True,
                validators=[network_portal.validators.validate_no_control_characters],
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
                validators=[network_portal.validators.validate_single_line],
                verbose_name="subject (English)",
            ),
        ),
        migrations.AddField(
            model_name="mailing",
            name="subject_nb",
            field=models.CharField(
                blank=True,
                max_length=200,
                validators=[network_portal.validators.validate_single_line],
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
        migrations.RunPython(keep_the_reminder_days, give_back_the_reminder_days),
        migrations.RunPython(county_staff_edit_schedules, migrations.RunPython.noop),
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
