"""`check --deploy` warns when production would keep rate limits and used two-factor codes in
each process's own memory."""

from django.core.checks import run_checks

LOCAL = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
SHARED = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": "redis://127.0.0.1:6379/0",
    }
}


def warning_ids(settings, caches):
    settings.CACHES = caches
    return {message.id for message in run_checks(include_deployment_checks=True)}


def test_a_per_process_cache_is_a_deploy_warning(settings):
    assert "network_portal.W001" in warning_ids(settings, LOCAL)


def test_a_shared_cache_is_not(settings):
    assert "network_portal.W001" not in warning_ids(settings, SHARED)


def test_the_ordinary_checks_say_nothing_of_it(settings):
    settings.CACHES = LOCAL
    assert "network_portal.W001" not in {message.id for message in run_checks()}
