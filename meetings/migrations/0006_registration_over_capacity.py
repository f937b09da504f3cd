"""Staff may confirm someone over a meeting's capacity; the registration records it."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("meetings", "0004_calendar_uid_and_registration_sequence"),
        ("members", "0004_history"),
    ]

    operations = [
        migrations.AddField(
            model_name="historicalregistration",
            name="over_capacity",
            field=models.BooleanField(
                default=False,
                help_text="Confirmed by staff although the meeting was full. Without this, confirming someone in a full meeting puts them on the waiting list.",
                verbose_name="over capacity",
            ),
        ),
        migrations.AddField(
            model_name="registration",
            name="over_capacity",
            field=models.BooleanField(
                default=False,
                help_text="Confirmed by staff although the meeting was full. Without this, confirming someone in a full meeting puts them on the waiting list.",
                verbose_name="over capacity",
            ),
        ),
        migrations.AddConstraint(
            model_name="registration",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("over_capacity", False), ("status", "confirmed"), _connector="OR"
                ),
                name="registration_over_capacity_is_confirmed",
                violation_error_message="Only a confirmed registration can be over capacity.",
            ),
        ),
    ]
