"""Take the permission to delete registrations from the "County staff" group.

Registrations are cancelled, never deleted: a deleted seat would skip the waiting list and
tell nobody. The admin refuses deletion to everyone; this keeps the group's permissions honest.
"""

from django.db import migrations

GROUP_NAME = "County staff"


def remove_permission(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group = Group.objects.filter(name=GROUP_NAME).first()
    if group is not None:
        group.permissions.remove(
            *Permission.objects.filter(
                content_type__app_label="meetings", codename="delete_registration"
            )
        )


def restore_permission(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group = Group.objects.filter(name=GROUP_NAME).first()
    permission = Permission.objects.filter(
        content_type__app_label="meetings", codename="delete_registration"
    ).first()
    if group is not None and permission is not None:
        group.permissions.add(permission)


class Migration(migrations.Migration):
    dependencies = [
        ("meetings", "0006_registration_over_capacity"),
        ("members", "0002_county_staff_group"),
    ]

    operations = [migrations.RunPython(remove_permission, restore_permission)]
