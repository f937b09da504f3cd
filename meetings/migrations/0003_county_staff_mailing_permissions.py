"""Give the "County staff" group the permissions for mailings."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

GROUP_NAME = "County staff"
PERMISSIONS = [
    ("mailing", ("add", "change", "delete", "view")),
    ("mailingrecipient", ("change", "view")),
]


def add_permissions(apps, schema_editor):
    app_config = apps.get_app_config("meetings")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name=GROUP_NAME)
    for model, actions in PERMISSIONS:
        for action in actions:
            group.permissions.add(
                Permission.objects.get(
                    content_type__app_label="meetings", codename=f"{action}_{model}"
                )
            )


def remove_permissions(apps, schema_editor):
    Permission = apps.get_model("auth", "Permission")
    group = apps.get_model("auth", "Group").objects.filter(name=GROUP_NAME).first()
    if group is not None:
        group.permissions.remove(
            *Permission.objects.filter(
                content_type__app_label="meetings",
                content_type__model__in=[model for model, _ in PERMISSIONS],
            )
        )


class Migration(migrations.Migration):
    dependencies = [
        ("meetings", "0002_history_mailings_reminders"),
        ("members", "0002_county_staff_group"),
    ]

    operations = [migrations.RunPython(add_permissions, remove_permissions)]
