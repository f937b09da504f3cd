from django.apps import AppConfig


class NetworkPortalConfig(AppConfig):
    name = "network_portal"

    def ready(self):
        from . import validators

        validators.register_lookups()
