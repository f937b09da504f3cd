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
