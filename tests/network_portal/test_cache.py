"""The cache: local memory by default, one Redis shared by every process with REDIS_URL.

The Redis cases need a Redis server: the one in REDIS_URL, else the usual local one
(redis://127.0.0.1:6379/15). Where none answers they are skipped, saying so; `.ci/run` does
not need Redis. They write only keys of their own prefix, and remove them afterwards."""

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from django.core.cache import cache

from network_portal.settings import cache_settings, session_engine

BASE_DIR = Path(__file__).resolve().parents[2]
LOCAL_REDIS = "redis://127.0.0.1:6379/15"


def test_without_redis_url_the_cache_is_local_memory():
    assert cache_settings("")["default"]["BACKEND"] == (
        "django.core.cache.backends.locmem.LocMemCache"
    )


def test_with_redis_url_the_cache_is_django_s_redis_backend():
    config = cache_settings("redis://cache.internal:6379/2")["default"]
    assert config["BACKEND"] == "django.core.cache.backends.redis.RedisCache"
    assert config["LOCATION"] == "redis://cache.internal:6379/2"


def test_sessions_are_read_from_the_shared_cache_only_with_redis():
    # A session cached in one process's memory would outlive its deletion by another.
    assert session_engine("") == "django.contrib.sessions.backends.db"
    assert session_engine("redis://cache.internal:6379/2") == (
        "django.contrib.sessions.backends.cached_db"
    )


@pytest.fixture
def redis_url():
    """A Redis that answers, or a skip that says why there is none."""
    import redis

    url = os.environ.get("REDIS_URL") or LOCAL_REDIS
    try:
        redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1).ping()
    except redis.RedisError as error:
        pytest.skip(f"no Redis answers at {url} ({error}); set REDIS_URL to try the Redis cache")
    return url


@pytest.fixture
def redis_cache(settings, redis_url):
    """Django's cache in this process on that Redis, under a prefix of this test's own; every
    key under it is removed afterwards."""
    import redis

    prefix = f"test-{uuid.uuid4().hex}"
    config = cache_settings(redis_url)
    config["default"]["KEY_PREFIX"] = prefix
    settings.CACHES = config
    yield prefix
    client = redis.Redis.from_url(redis_url)
    for key in client.scan_iter(f"{prefix}:*"):
        client.delete(key)


def test_a_value_cached_by_one_process_is_read_by_another(redis_url, redis_cache):
    # The other process is a fresh interpreter configured by REDIS_URL alone, as a second
    # web process (on another machine, say) would be.
    key = f"written-by-another-process-{uuid.uuid4().hex}"
    script = (
        "import django; django.setup()\n"
        "from django.conf import settings\n"
        "from django.core.cache import cache\n"
        f"settings.CACHES['default']['KEY_PREFIX'] = {redis_cache!r}\n"
        "print(settings.CACHES['default']['BACKEND'])\n"
        f"cache.set({key!r}, 'hei frå den andre prosessen', 60)\n"
    )
    result = subprocess.run(  # noqa: S603 - our own interpreter and code
        [sys.executable, "-c", script],
        cwd=BASE_DIR,
        env={
            "PATH": "/usr/bin:/bin",
            "DJANGO_SETTINGS_MODULE": "network_portal.settings",
            "REDIS_URL": redis_url,
        },
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "django.core.cache.backends.redis.RedisCache"
    assert cache.get(key) == "hei frå den andre prosessen"
    cache.delete(key)
    assert cache.get(key) is None


@pytest.mark.django_db
def test_the_network_feed_is_kept_in_redis(client, redis_url, redis_cache, monkeypatch):
    import redis

    from meetings import ics

    builds = []
    build = ics.feed_calendar

    def counting(*args, **kwargs):
        builds.append(1)
        return build(*args, **kwargs)

    monkeypatch.setattr(ics, "feed_calendar", counting)
    first = client.get("/calendar/network.ics")
    second = client.get("/calendar/network.ics")
    assert first.status_code == second.status_code == 200
    assert second.content == first.content
    assert len(builds) == 1
    stored = list(redis.Redis.from_url(redis_url).scan_iter(f"{redis_cache}:*calendar-feed:*"))
    assert len(stored) == 1


@pytest.mark.django_db
def test_a_signed_in_request_reads_its_session_from_redis(
    settings, redis_cache, client, user_factory, django_assert_num_queries
):
    settings.SESSION_ENGINE = session_engine("redis://configured")
    user = user_factory()
    client.force_login(user)
    client.get("/privacy/")
    # The user row, not the session row: the session comes from Redis.
    with django_assert_num_queries(1):
        response = client.get("/privacy/")
    assert response.wsgi_request.user == user
    client.logout()
    assert client.get("/profile/").status_code == 302
