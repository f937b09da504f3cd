from django.contrib.auth.management import create_permissions
from django.db import migrations


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
    """Each meeting's single reminder day becomes its schedule; county staff edit schedules."""

    dependencies = [
        ("meetings", "0012_invitations_in_languages_and_reminder_schedule"),
        ("members", "0002_county_staff_group"),
    ]

    operations = [
        migrations.RunPython(keep_the_reminder_days, give_back_the_reminder_days),
        migrations.RunPython(county_staff_edit_schedules, migrations.RunPython.noop),
    ]
