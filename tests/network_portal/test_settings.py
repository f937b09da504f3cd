"""Settings are read from the environment when the settings module is imported, so each case
runs Django in a fresh interpreter with exactly the environment under test."""

import subprocess
import sys
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parents[2]

SHOW_SETTINGS = """
import django
django.setup()
from django.conf import settings
print(settings.DATABASES["default"]["ENGINE"])
print(settings.DEBUG)
print(",".join(settings.ALLOWED_HOSTS))
"""


def env_example() -> dict[str, str]:
    values = {}
    for line in (BASE_DIR / ".env.example").read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            name, _, value = line.partition("=")
            values[name.strip()] = value.strip()
    return values


def run_django(env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(  # noqa: S603 - our own interpreter and code
        [sys.executable, "-c", SHOW_SETTINGS],
        cwd=BASE_DIR,
        env={"PATH": "/usr/bin:/bin", "DJANGO_SETTINGS_MODULE": "network_portal.settings", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_defaults_are_for_development():
    result = run_django({})
    assert result.returncode == 0, result.stderr
    engine, debug, hosts = result.stdout.split("\n")[:3]
    assert engine == "django.db.backends.sqlite3"
    assert debug == "True"
    assert "localhost" in hosts.split(",")


def test_env_example_as_dot_env_works():
    # `make` exports a .env copied from .env.example, empty values included.
    result = run_django(env_example())
    assert result.returncode == 0, result.stderr
    assert result.stdout.split("\n")[0] == "django.db.backends.sqlite3"


def test_empty_database_url_means_the_default():
    result = run_django({"DATABASE_URL": ""})
    assert result.returncode == 0, result.stderr
    assert result.stdout.split("\n")[0] == "django.db.backends.sqlite3"


def test_database_url_is_read():
    result = run_django({"DATABASE_URL": "postgres://portal@db.example.org:5432/portal"})
    assert result.returncode == 0, result.stderr
    assert result.stdout.split("\n")[0] == "django.db.backends.postgresql"


def test_no_default_secret_key_with_debug_off():
    result = run_django({"DEBUG": "false"})
    assert result.returncode != 0
    assert "SECRET_KEY must be set when DEBUG is off." in result.stderr


@pytest.mark.parametrize("value", ["false", "0", "no", "off", "False"])
def test_debug_off_values(value):
    result = run_django({"DEBUG": value, "SECRET_KEY": "x" * 50, "ALLOWED_HOSTS": "a.example"})
    assert result.returncode == 0, result.stderr
    _, debug, hosts = result.stdout.split("\n")[:3]
    assert debug == "False"
    assert hosts == "a.example"


def test_no_allowed_hosts_by_default_with_debug_off():
    result = run_django({"DEBUG": "false", "SECRET_KEY": "x" * 50})
    assert result.returncode == 0, result.stderr
    assert result.stdout.split("\n")[2] == ""
