"""The network owner (members.NetworkOwner), which county staff view and change."""

from django.contrib.auth.management import create_permissions
import django.db.models.deletion
import common.validators
import simple_history.models
from django.conf import settings
from django.db import migrations, models


GROUP_NAME = "County staff"


def add_permissions(apps, schema_editor):
    app_config = apps.get_app_config("members")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name=GROUP_NAME)
    group.permissions.add(
        *Permission.objects.filter(
            content_type__app_label="members",
            codename__in=["view_networkowner", "change_networkowner"],
        )
    )


class Migration(migrations.Migration):
    dependencies = [
        ("members", "0009_emaildomain_history"),
    ]

    operations = [
        migrations.CreateModel(
            name="HistoricalNetworkOwner",
            fields=[
                (
                    "id",
                    models.BigIntegerField(
                        auto_created=True, blank=True, db_index=True, verbose_name="ID"
                    ),
                ),
                (
                    "name",
                    models.CharField(
                        help_text="For example Vestland fylkeskommune.",
                        max_length=200,
                        validators=[common.validators.validate_single_line],
                        verbose_name="county council",
                    ),
                ),
                (
                    "section",
                    models.CharField(
                        blank=True,
                        help_text="The part of the county council that runs the network.",
                        max_length=200,
                        validators=[common.validators.validate_single_line],
                        verbose_name="department and section",
                    ),
                ),
                (
                    "address",
                    models.CharField(
                        blank=True,
                        max_length=300,
                        validators=[common.validators.validate_single_line],
                        verbose_name="address",
                    ),
                ),
                (
                    "contact_name",
                    models.CharField(
                        blank=True,
                        max_length=200,
                        validators=[common.validators.validate_single_line],
                        verbose_name="contact person",
                    ),
                ),
                (
                    "contact_title",
                    models.CharField(
                        blank=True,
                        max_length=200,
                        validators=[common.validators.validate_single_line],
                        verbose_name="contact person's job title",
                    ),
                ),
                (
                    "phone",
                    models.CharField(
                        blank=True,
                        max_length=30,
                        validators=[common.validators.validate_single_line],
                        verbose_name="phone",
                    ),
                ),
                (
                    "email",
                    models.EmailField(
                        blank=True,
                        help_text="Replies to the network's e-mails go here.",
                        max_length=254,
                        validators=[common.validators.validate_single_line],
                        verbose_name="e-mail",
                    ),
                ),
                (
                    "website",
                    models.URLField(
                        blank=True,
                        validators=[common.validators.validate_single_line],
                        verbose_name="website",
                    ),
                ),
                ("history_id", models.AutoField(primary_key=True, serialize=False)),
                ("history_date", models.DateTimeField(db_index=True)),
                ("history_change_reason", models.CharField(max_length=100, null=True)),
                (
                    "history_type",
                    models.CharField(
                        choices=[("+", "Created"), ("~", "Changed"), ("-", "Deleted")], max_length=1
                    ),
                ),
                (
                    "history_user",
                    models.ForeignKey(
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "verbose_name": "historical network owner",
                "verbose_name_plural": "historical network owner",
                "ordering": ("-history_date", "-history_id"),
                "get_latest_by": ("history_date", "history_id"),
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        migrations.CreateModel(
            name="NetworkOwner",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "name",
                    models.CharField(
                        help_text="For example Vestland fylkeskommune.",
                        max_length=200,
                        validators=[common.validators.validate_single_line],
                        verbose_name="county council",
                    ),
                ),
                (
                    "section",
                    models.CharField(
                        blank=True,
                        help_text="The part of the county council that runs the network.",
                        max_length=200,
                        validators=[common.validators.validate_single_line],
                        verbose_name="department and section",
                    ),
                ),
                (
                    "address",
                    models.CharField(
                        blank=True,
                        max_length=300,
                        validators=[common.validators.validate_single_line],
                        verbose_name="address",
                    ),
                ),
                (
                    "contact_name",
                    models.CharField(
                        blank=True,
                        max_length=200,
                        validators=[common.validators.validate_single_line],
                        verbose_name="contact person",
                    ),
                ),
                (
                    "contact_title",
                    models.CharField(
                        blank=True,
                        max_length=200,
                        validators=[common.validators.validate_single_line],
                        verbose_name="contact person's job title",
                    ),
                ),
                (
                    "phone",
                    models.CharField(
                        blank=True,
                        max_length=30,
                        validators=[common.validators.validate_single_line],
                        verbose_name="phone",
                    ),
                ),
                (
                    "email",
                    models.EmailField(
                        blank=True,
                        help_text="Replies to the network's e-mails go here.",
                        max_length=254,
                        validators=[common.validators.validate_single_line],
                        verbose_name="e-mail",
                    ),
                ),
                (
                    "website",
                    models.URLField(
                        blank=True,
                        validators=[common.validators.validate_single_line],
                        verbose_name="website",
                    ),
                ),
            ],
            options={
                "verbose_name": "network owner",
                "verbose_name_plural": "network owner",
                "constraints": [
                    models.CheckConstraint(
                        condition=models.Q(("pk", 1)), name="networkowner_single_row"
                    )
                ],
            },
        ),
        migrations.RunPython(add_permissions, migrations.RunPython.noop),
    ]
