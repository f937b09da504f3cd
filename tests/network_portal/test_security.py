"""Deployment hardening: the Content-Security-Policy on every response, HTTPS settings read
from the environment, the health check over plain HTTP, and `check --deploy` clean of
warnings with production settings.

Settings are read when the settings module is imported, so the cases about the environment
run Django in a fresh interpreter with exactly the environment under test (as
test_settings.py does)."""

import json
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from tests.helpers import sign_in_with_second_factor

pytestmark = pytest.mark.django_db

BASE_DIR = Path(__file__).resolve().parents[2]

EXPECTED_POLICY = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    "img-src": ["'self'", "data:"],
    "font-src": ["'self'"],
    "connect-src": ["'self'"],
    "frame-ancestors": ["'none'"],
    "form-action": ["'self'"],
    "base-uri": ["'self'"],
    "object-src": ["'none'"],
}

PRODUCTION = {
    "DEBUG": "false",
    "SECRET_KEY": "test-only-Qm3v9Lx2Rk7Tz4Wp8Ns1Hc6Jd0Fb5Yg-deploy-check-key",
    "ALLOWED_HOSTS": "portal.example.org",
    # Production shares one cache between its processes (checks.py); nothing connects to it.
    "REDIS_URL": "redis://127.0.0.1:6379/0",
}

SHOW_SECURITY_SETTINGS = """
import json
import django
django.setup()
from django.conf import settings
names = [
    "SECURE_SSL_REDIRECT", "SECURE_REDIRECT_EXEMPT", "SECURE_HSTS_SECONDS",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS", "SECURE_HSTS_PRELOAD", "SECURE_PROXY_SSL_HEADER",
    "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE", "CONTENT_SECURITY_POLICY",
    "CONTENT_SECURITY_POLICY_REPORT_ONLY",
]
print(json.dumps({name: getattr(settings, name, None) for name in names}))
"""

DEPLOY_CHECK = """
import django
django.setup()
from django.core.management import call_command
call_command("check", deploy=True, fail_level="WARNING")
"""


def run_python(code: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(  # noqa: S603 - our own interpreter and code
        [sys.executable, "-c", code],
        cwd=BASE_DIR,
        env={"PATH": "/usr/bin:/bin", "DJANGO_SETTINGS_MODULE": "network_portal.settings", **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def security_settings(env: dict[str, str]) -> dict:
    result = run_python(SHOW_SECURITY_SETTINGS, env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def parse_policy(header: str) -> dict[str, list[str]]:
    policy = {}
    for directive in header.split(";"):
        name, *sources = directive.split()
        assert name not in policy, f"{name} twice in {header!r}"
        policy[name] = sources
    return policy


# --- Content-Security-Policy on responses ---------------------------------------------------


def assert_portal_policy(response):
    assert "Content-Security-Policy-Report-Only" not in response
    policy = parse_policy(response["Content-Security-Policy"])
    assert policy == EXPECTED_POLICY
    for directive in ("script-src", "style-src", "default-src"):
        assert "'unsafe-inline'" not in policy[directive]
        assert "'unsafe-eval'" not in policy[directive]


def test_member_page_carries_the_policy(client_for, linked_contact_person_factory):
    response = client_for(linked_contact_person_factory()).get("/my-meetings/")
    assert response.status_code == 200
    assert_portal_policy(response)


def test_public_page_carries_the_policy(client):
    response = client.get("/meetings/")
    assert response.status_code == 200
    assert_portal_policy(response)


def test_admin_page_carries_the_policy(staff_client):
    response = staff_client.get("/admin/meetings/meeting/add/")
    assert response.status_code == 200
    assert_portal_policy(response)


def test_not_found_page_carries_the_policy(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert_portal_policy(response)


def test_report_only_mode_sends_the_report_only_header(client, settings):
    settings.CONTENT_SECURITY_POLICY_REPORT_ONLY = settings.CONTENT_SECURITY_POLICY
    settings.CONTENT_SECURITY_POLICY = None
    response = client.get("/meetings/")
    assert "Content-Security-Policy" not in response
    assert parse_policy(response["Content-Security-Policy-Report-Only"]) == EXPECTED_POLICY


# --- No inline code in the pages we render -----------------------------------------------
# The browser tests (tests/browser/test_content_security_policy.py) are the real check; these
# catch the same markup without Chromium, on pages that once had it.

# Script types a browser does not run, so the policy does not apply (allauth's JSON data).
DATA_SCRIPT_TYPES = {"application/json", "application/ld+json", "text/template"}


class InlineCodeFinder(HTMLParser):
    def __init__(self):
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if "style" in attributes:
            self.found.append(f"<{tag} style={attributes['style']!r}>")
        self.found += [f"<{tag} {name}=...>" for name in attributes if name.startswith("on")]
        if tag == "style":
            self.found.append("<style> element")
        if (
            tag == "script"
            and "src" not in attributes
            and attributes.get("type") not in DATA_SCRIPT_TYPES
        ):
            self.found.append("inline <script>")
        if any(
            str(value).strip().lower().startswith("javascript:") for value in attributes.values()
        ):
            self.found.append(f"<{tag}> with a javascript: URL")


def inline_code(response) -> list[str]:
    finder = InlineCodeFinder()
    finder.feed(response.content.decode())
    return finder.found


@pytest.fixture
def superuser_client(client, user_factory):
    sign_in_with_second_factor(client, user_factory(is_staff=True, is_superuser=True))
    return client


def test_history_pages_have_no_inline_style(superuser_client, meeting_factory):
    meeting = meeting_factory()
    meeting.title = "Nytt namn"
    meeting.save()
    history_url = reverse("admin:meetings_meeting_history", args=[meeting.pk])
    response = superuser_client.get(history_url)
    assert response.status_code == 200
    assert 'class="paginator history-paginator"' in response.content.decode()
    assert inline_code(response) == []
    record = meeting.history.earliest()
    response = superuser_client.get(
        reverse("admin:meetings_meeting_simple_history", args=[meeting.pk, record.pk])
    )
    assert response.status_code == 200
    assert inline_code(response) == []


def test_import_preview_marks_changes_without_inline_style(
    superuser_client, contact_person_factory
):
    person = contact_person_factory(email="kari@example.org", job_title="rådgjevar")
    rows = f"name,email,job_title\n{person.name},kari@example.org,seniorrådgjevar <&>\n"
    response = superuser_client.post(
        reverse("admin:members_contactperson_import"),
        {
            "resource": "0",
            "format": "0",
            "import_file": SimpleUploadedFile("people.csv", rows.encode(), "text/csv"),
        },
    )
    assert response.status_code == 200
    content = response.content.decode()
    assert 'class="import-preview"' in content
    # The change is still marked (import-export's import.css colours <ins> and <del>), and
    # the file's text is escaped.
    assert "<td><ins>senior</ins><span>rådgjevar</span><ins> &lt;&amp;&gt;</ins></td>" in content
    assert inline_code(response) == []


@pytest.mark.parametrize(
    "path",
    [
        "/admin/",
        "/admin/meetings/meeting/",
        "/admin/meetings/meeting/add/",
        "/admin/meetings/mailing/add/",
        "/admin/members/contactperson/import/",
        "/admin/projects/projectidea/add/",
        "/meetings/overview/",
        "/accounts/2fa/",
    ],
)
def test_staff_pages_have_no_inline_code(superuser_client, path):
    response = superuser_client.get(path)
    assert response.status_code == 200
    assert inline_code(response) == []


# --- Settings from the environment ----------------------------------------------------------


def test_development_defaults_leave_https_to_the_developer():
    values = security_settings({})
    assert values["SECURE_SSL_REDIRECT"] is False
    assert values["SECURE_HSTS_SECONDS"] == 0
    assert values["SESSION_COOKIE_SECURE"] is False
    assert values["CSRF_COOKIE_SECURE"] is False
    assert values["SECURE_PROXY_SSL_HEADER"] is None
    # The policy is enforced in development too, so a violation shows up early.
    assert values["CONTENT_SECURITY_POLICY"]["DIRECTIVES"] == EXPECTED_POLICY
    assert values["CONTENT_SECURITY_POLICY_REPORT_ONLY"] is None


def test_production_defaults_are_https_only():
    values = security_settings(PRODUCTION)
    assert values["SECURE_SSL_REDIRECT"] is True
    assert values["SECURE_HSTS_SECONDS"] == 31536000
    # They reach every host under the domain, which the portal cannot speak for.
    assert values["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is False
    assert values["SECURE_HSTS_PRELOAD"] is False
    assert values["SESSION_COOKIE_SECURE"] is True
    assert values["CSRF_COOKIE_SECURE"] is True
    # Trusting a forwarded header is only safe behind a proxy that sets it: opt in.
    assert values["SECURE_PROXY_SSL_HEADER"] is None
    assert values["CONTENT_SECURITY_POLICY"]["DIRECTIVES"] == EXPECTED_POLICY
    assert values["CONTENT_SECURITY_POLICY_REPORT_ONLY"] is None


def test_behind_a_tls_terminating_proxy():
    values = security_settings(
        {
            **PRODUCTION,
            "SECURE_SSL_REDIRECT": "false",
            "SECURE_HSTS_SECONDS": "600",
            "SECURE_HSTS_INCLUDE_SUBDOMAINS": "true",
            "SECURE_HSTS_PRELOAD": "true",
            "SECURE_PROXY_SSL_HEADER": "HTTP_X_FORWARDED_PROTO,https",
            "SESSION_COOKIE_SECURE": "false",
            "CSRF_COOKIE_SECURE": "false",
        }
    )
    assert values["SECURE_SSL_REDIRECT"] is False
    assert values["SECURE_HSTS_SECONDS"] == 600
    assert values["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is True
    assert values["SECURE_HSTS_PRELOAD"] is True
    assert values["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]
    assert values["SESSION_COOKIE_SECURE"] is False
    assert values["CSRF_COOKIE_SECURE"] is False


def test_empty_values_mean_the_defaults():
    # `make` exports a .env copied from .env.example, empty values included.
    empty = dict.fromkeys(
        [
            "SECURE_SSL_REDIRECT",
            "SECURE_HSTS_SECONDS",
            "SECURE_HSTS_INCLUDE_SUBDOMAINS",
            "SECURE_HSTS_PRELOAD",
            "SECURE_PROXY_SSL_HEADER",
            "SESSION_COOKIE_SECURE",
            "CSRF_COOKIE_SECURE",
            "CSP_REPORT_ONLY",
            "CSP_REPORT_URI",
        ],
        "",
    )
    assert security_settings({**PRODUCTION, **empty}) == security_settings(PRODUCTION)


def test_csp_report_only_from_the_environment():
    values = security_settings({**PRODUCTION, "CSP_REPORT_ONLY": "true"})
    assert values["CONTENT_SECURITY_POLICY"] is None
    assert values["CONTENT_SECURITY_POLICY_REPORT_ONLY"]["DIRECTIVES"] == EXPECTED_POLICY


def test_csp_report_uri_from_the_environment():
    values = security_settings(
        {**PRODUCTION, "CSP_REPORT_ONLY": "true", "CSP_REPORT_URI": "https://csp.example.org/r"}
    )
    directives = values["CONTENT_SECURITY_POLICY_REPORT_ONLY"]["DIRECTIVES"]
    assert directives == {**EXPECTED_POLICY, "report-uri": "https://csp.example.org/r"}


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("SECURE_HSTS_SECONDS", "a year"),
        ("SECURE_HSTS_SECONDS", "-1"),
        ("SECURE_PROXY_SSL_HEADER", "HTTP_X_FORWARDED_PROTO"),
        ("SECURE_PROXY_SSL_HEADER", "X-Forwarded-Proto,https"),
        ("SECURE_PROXY_SSL_HEADER", "HTTP_X_FORWARDED_PROTO,https,http"),
    ],
)
def test_bad_values_stop_start_up_with_a_clear_message(name, value):
    result = run_python(SHOW_SECURITY_SETTINGS, {**PRODUCTION, name: value})
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert name in result.stderr


# --- The health check over plain HTTP -------------------------------------------------------


@pytest.fixture
def ssl_redirect(settings):
    # SecurityMiddleware reads this when the client's handler loads it, at the first request.
    settings.SECURE_SSL_REDIRECT = True


def test_pages_redirect_to_https(client, ssl_redirect):
    response = client.get("/meetings/")
    assert response.status_code == 301
    assert response["Location"] == "https://testserver/meetings/"


def test_health_check_answers_over_plain_http(client, ssl_redirect):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}


@pytest.mark.parametrize("path", ["/healthz/", "/healthzx", "/admin/healthz"])
def test_only_the_health_check_is_exempt(client, ssl_redirect, path):
    response = client.get(path)
    assert response.status_code == 301
    assert response["Location"].startswith("https://")


# --- Django's deployment checks -------------------------------------------------------------


def test_deploy_check_passes_without_warnings_in_production():
    result = run_python(DEPLOY_CHECK, PRODUCTION)
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout, result.stdout + result.stderr


def test_deploy_check_fails_on_warnings():
    # The check above means something only if a warning does fail it.
    result = run_python(DEPLOY_CHECK, {**PRODUCTION, "SECURE_HSTS_SECONDS": "0"})
    assert result.returncode != 0
    assert "security.W004" in result.stderr


def test_deploy_check_passes_in_report_only_mode():
    result = run_python(DEPLOY_CHECK, {**PRODUCTION, "CSP_REPORT_ONLY": "true"})
    assert result.returncode == 0, result.stderr
