from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MeetingsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "meetings"
    verbose_name = _("Meetings")

    def ready(self):
        from members.privacy import register

        from .privacy import MeetingsPersonalData

        register(MeetingsPersonalData())
