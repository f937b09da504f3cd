"""System checks for production settings (`manage.py check --deploy`)."""

from django.conf import settings
from django.core.checks import Tags, Warning, register

PER_PROCESS_CACHES = {
    "django.core.cache.backends.locmem.LocMemCache",
    "django.core.cache.backends.dummy.DummyCache",
}


@register(Tags.security, Tags.caches, deploy=True)
def shared_cache(app_configs, **kwargs):
    """Production runs several processes (gunicorn workers, machines). allauth keeps its rate
    limits and its record of used two-factor codes in the cache: in local memory each process
    would count on its own, and a code could be used once in every process."""
    backend = settings.CACHES["default"]["BACKEND"]
    if backend not in PER_PROCESS_CACHES:
        return []
    return [
        Warning(
            "The cache is local to each process, so login rate limits and used two-factor "
            "codes are not shared between the web processes.",
            hint="Set REDIS_URL to a Redis that every web process uses (README, Production).",
            id="network_portal.W001",
        )
    ]
