"""Create the "County staff" group with exactly the permissions county staff need."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

GROUP_NAME = "County staff"

# (app_label, model, actions): the network's data in full, user accounts read-only so staff can
# link a contact person to an account.
PERMISSIONS = [
    ("members", "municipality", ("add", "change", "delete", "view")),
    ("members", "emaildomain", ("add", "change", "delete", "view")),
    ("members", "contactperson", ("add", "change", "delete", "view")),
    ("members", "user", ("view",)),
    ("meetings", "meetingseries", ("add", "change", "delete", "view")),
    ("meetings", "meeting", ("add", "change", "delete", "view")),
    ("meetings", "agendaitem", ("add", "change", "delete", "view")),
    ("meetings", "registration", ("add", "change", "delete", "view")),
]


def create_group(apps, schema_editor):
    # Permissions are normally created after all migrations have run; make sure they exist now.
    for app_label in {"members", "meetings"}:
        app_config = apps.get_app_config(app_label)
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name=GROUP_NAME)
    for app_label, model, actions in PERMISSIONS:
        for action in actions:
            group.permissions.add(
                Permission.objects.get(
                    content_type__app_label=app_label, codename=f"{action}_{model}"
                )
            )


def remove_group(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name=GROUP_NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("members", "0001_initial"),
        ("meetings", "0001_initial"),
    ]

    operations = [migrations.RunPython(create_group, remove_group)]
