from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MembersConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "members"
    verbose_name = _("Municipalities and contact persons")

    def ready(self):
        from django.contrib.auth.signals import user_logged_in

        from .sessions import session_activity_start

        user_logged_in.connect(session_activity_start, dispatch_uid="members.session_activity")
