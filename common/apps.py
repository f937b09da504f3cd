from django.apps import AppConfig


class CommonConfig(AppConfig):
    """Helpers every app of ours shares: validators, admin helpers, readable history, form
    bases. It sits below all of them (common <- outbox, members <- meetings <- projects <-
    yearwheel) and imports none; the project package, network_portal, wires the apps and is
    imported by none."""

    name = "common"
    verbose_name = "Common"

    def ready(self):
        from . import validators

        validators.register_lookups()
