from django.apps import AppConfig

# The module, not the class: Django takes an AppConfig class found in an app's apps.py as
# that app's configuration, and AdminConfig is no configuration of network_portal.
from django.contrib.admin import apps as admin_apps


class NetworkPortalConfig(AppConfig):
    default = True
    name = "network_portal"

    def ready(self):
        from django.contrib.admin import widgets

        from . import checks  # noqa: F401 (checks registers itself)

        # Select2, the admin's autocomplete, ships Bokmål but no Nynorsk, so the admin loads
        # no translation for "nn" and its boxes speak English. Ours is in static/admin/js.
        widgets.SELECT2_TRANSLATIONS.setdefault("nn", "nn")


class PortalAdminConfig(admin_apps.AdminConfig):
    """Django's admin with the portal's admin site (network_portal.admin) as `admin.site`.
    Listed in INSTALLED_APPS in place of "django.contrib.admin"."""

    default = False  # never network_portal's own configuration
    default_site = "network_portal.admin.PortalAdminSite"
