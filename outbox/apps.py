from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

# The module, not the class: Django takes an AppConfig class found in an app's apps.py as
# that app's configuration, and TasksAppConfig is no configuration of outbox.
from django_tasks_db import apps as tasks_db_apps


class OutboxConfig(AppConfig):
    """The durable outbox every e-mail of the portal goes through.

    It sits below every other app of ours and imports none of them: members, meetings and
    projects hand it finished messages, and its worker delivers them.
    """

    default_auto_field = "django.db.models.BigAutoField"
    name = "outbox"
    verbose_name = _("Outgoing e-mail")


class TaskResultsConfig(tasks_db_apps.TasksAppConfig):
    """django-tasks-db under a translated name (its own is "Tasks Database Backend" in every
    language). Listed in INSTALLED_APPS in place of "django_tasks_db"."""

    default = False  # never outbox's own configuration
    # The package's class infers `str` from its English literal; Django's AppConfig takes
    # lazy text, as every other app's name here is.
    verbose_name = _("Background tasks")  # type: ignore[assignment]
