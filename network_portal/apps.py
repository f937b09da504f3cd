from django.apps import AppConfig

# The module, not the class: Django takes an AppConfig class found in an app's apps.py as
# that app's configuration, and AdminConfig is no configuration of network_portal.
from django.contrib.admin import apps as admin_apps


class NetworkPortalConfig(AppConfig):
    default = True
    name = "network_portal"

    def ready(self):
        from . import validators

        validators.register_lookups()


class PortalAdminConfig(admin_apps.AdminConfig):
    """Django's admin with the portal's admin site (network_portal.admin) as `admin.site`.
    Listed in INSTALLED_APPS in place of "django.contrib.admin"."""

    default = False  # never network_portal's own configuration
    default_site = "network_portal.admin.PortalAdminSite"
