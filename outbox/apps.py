from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OutboxConfig(AppConfig):
    """The durable outbox every e-mail of the portal goes through.

    It sits below every other app of ours and imports none of them: members, meetings and
    projects hand it finished messages, and its worker delivers them.
    """

    default_auto_field = "django.db.models.BigAutoField"
    name = "outbox"
    verbose_name = _("Outgoing e-mail")
