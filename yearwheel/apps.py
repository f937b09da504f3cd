from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class YearWheelConfig(AppConfig):
    """The annual wheel ("årshjul"): the network's year drawn as a circle at /year/.

    It sits at the top of the apps' dependency stack (outbox <- members <- meetings <-
    projects <- yearwheel): it reads meetings (and may read projects) and no app of ours
    imports it; only network_portal wires it in (INSTALLED_APPS, the URLs, the home page's
    small wheel). It has no models of its own.
    """

    default_auto_field = "django.db.models.BigAutoField"
    name = "yearwheel"
    verbose_name = _("Annual wheel")

    def ready(self):
        from django.db.models.signals import post_delete, post_save

        from meetings.models import Meeting, MeetingSeries

        from .selectors import forget_shared_marks

        for model in (Meeting, MeetingSeries):
            for signal in (post_save, post_delete):
                signal.connect(
                    forget_shared_marks,
                    sender=model,
                    dispatch_uid=f"yearwheel.forget_shared_marks.{model.__name__}",
                )
