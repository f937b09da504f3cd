"""Let the "County staff" group see outgoing e-mails and send failed ones again."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

GROUP_NAME = "County staff"
ACTIONS = ("change", "view")


def add_permissions(apps, schema_editor):
    app_config = apps.get_app_config("outbox")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    # The group is made by the members app; whichever migration runs first creates it.
    group, _ = Group.objects.get_or_create(name=GROUP_NAME)
    group.permissions.add(
        *Permission.objects.filter(
            content_type__app_label="outbox",
            codename__in=[f"{action}_outboxemail" for action in ACTIONS],
        )
    )


def remove_permissions(apps, schema_editor):
    Permission = apps.get_model("auth", "Permission")
    group = apps.get_model("auth", "Group").objects.filter(name=GROUP_NAME).first()
    if group is not None:
        group.permissions.remove(*Permission.objects.filter(content_type__app_label="outbox"))


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("outbox", "0001_initial"),
    ]

    operations = [migrations.RunPython(add_permissions, remove_permissions)]
