"""Settings for the network portal.

Everything that differs between a developer's laptop and production is read from the
environment (see `.env.example`). The defaults are safe for local development: SQLite in the
project folder, the console e-mail backend and DEBUG on. With DEBUG off, SECRET_KEY must be set.
"""

import os
from email.utils import formataddr
from pathlib import Path
from typing import Any

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    if not value.isdigit():
        raise ImproperlyConfigured(f"{name} must be a whole number of zero or more, not {value!r}.")
    return int(value)


def env_proxy_ssl_header(name: str) -> tuple[str, str] | None:
    """`HTTP_X_FORWARDED_PROTO,https` -> ("HTTP_X_FORWARDED_PROTO", "https"); unset -> None."""
    parts = env_list(name)
    if not parts:
        return None
    if len(parts) != 2 or not parts[0].startswith("HTTP_") or parts[0] != parts[0].upper():
        raise ImproperlyConfigured(
            f"{name} must be a request.META header name and its value for HTTPS, "
            f"e.g. HTTP_X_FORWARDED_PROTO,https, not {os.environ[name]!r}."
        )
    return parts[0], parts[1]


# --- Core ----------------------------------------------------------------------------------

DEBUG = env_bool("DEBUG", True)

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    # Development only: never used once DEBUG is off.
    SECRET_KEY = "django-insecure-local-development-key-do-not-use-in-production"  # noqa: S105

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

# Absolute base URL for links in e-mails and calendar files, where no request is at hand.
SITE_URL = (os.environ.get("SITE_URL") or "http://127.0.0.1:8000").rstrip("/")

ROOT_URLCONF = "network_portal.urls"
WSGI_APPLICATION = "network_portal.wsgi.application"
ASGI_APPLICATION = "network_portal.asgi.application"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "members.User"
SITE_ID = 1

# --- Applications --------------------------------------------------------------------------

INSTALLED_APPS = [
    # Django's admin behind the staff door: allauth's login and a second factor.
    "network_portal.apps.PortalAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.sites",
    # For allauth's list of security keys ("last used 3 days ago").
    "django.contrib.humanize",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "crispy_forms",
    "crispy_bootstrap5",
    "bootstrap",
    "django_tasks",
    "outbox.apps.TaskResultsConfig",  # django_tasks_db, under a translated name
    "import_export",
    "simple_history",
    "csp",
    # The network owner: one row, read through the cache on every page (its footer).
    "solo",
    "network_portal",
    # Shared helpers of the apps below; imports none of them.
    "common",
    "outbox",
    "members",
    "meetings",
    "projects",
    # At the top of the stack: reads meetings, and nothing of ours imports it.
    "yearwheel",
    # A deleted material's file goes once the deletion is committed, by whatever road the row
    # went (a meeting's cascade included). Last, so other apps' signal handlers run first.
    "django_cleanup.apps.CleanupConfig",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "network_portal.middleware.RefuseNulInQueryMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "network_portal.middleware.PortalLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "members.sessions.SessionIdleTimeoutMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
]

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "network_portal.context_processors.organiser",
            ],
        },
    },
]

# --- Database ------------------------------------------------------------------------------

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=int(os.environ.get("DATABASE_CONN_MAX_AGE") or "0"),
    )
}

# --- Cache --------------------------------------------------------------------------------


def cache_settings(redis_url: str) -> dict:
    """Local memory by default; with REDIS_URL (e.g. redis://cache.internal:6379/0) one
    Redis shared by every web process, which production with more than one process needs:
    the calendar feeds keep their built bodies there, and allauth counts its rate limits
    there, which in local memory would count per process (see README, "Several machines")."""
    if not redis_url:
        return {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    return {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": redis_url,
            # Another application on the same Redis keeps its own keys.
            "KEY_PREFIX": "network-portal",
            # A Redis that does not answer fails the request in seconds, not in minutes.
            "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
        }
    }


def session_engine(redis_url: str) -> str:
    """Sessions live in the database; with a shared Redis they are also read from it, which
    spares every signed-in request a query. Never from a per-process cache: a session ended
    by one process (sign-out) would live on in the memory of the others."""
    if redis_url:
        return "django.contrib.sessions.backends.cached_db"
    return "django.contrib.sessions.backends.db"


CACHES = cache_settings(os.environ.get("REDIS_URL", "").strip())
SESSION_ENGINE = session_engine(os.environ.get("REDIS_URL", "").strip())

# --- Authentication (django-allauth) -------------------------------------------------------

AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "my_meetings"
ACCOUNT_ADAPTER = "members.adapter.AccountAdapter"
ACCOUNT_SIGNUP_FORM_CLASS = "members.forms.SignupForm"
ACCOUNT_FORMS = {"login": "members.account_forms.LoginForm"}
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_EMAIL_SUBJECT_PREFIX = ""
ACCOUNT_LOGOUT_REDIRECT_URL = "home"
# allauth's rate limits stay at their defaults (on): they guard sign-up, login and resets.
# A reset link proves the e-mail address, not the second factor: sign in afterwards.
ACCOUNT_LOGIN_ON_PASSWORD_RESET = False

# Two-factor authentication (allauth.mfa), at /accounts/2fa/. Members may turn it on; county
# staff must, before any admin page opens (network_portal.admin). An authenticator app
# (TOTP) with recovery codes as its spare, or a security key (WebAuthn) as a second factor
# after the password. No passkey login without a password, no sign-up by passkey, and no
# "trust this browser": every sign-in asks for the second factor.
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes", "webauthn"]
MFA_PASSKEY_LOGIN_ENABLED = False
MFA_PASSKEY_SIGNUP_ENABLED = False
MFA_TRUST_ENABLED = False
# allauth's security key forms leave their one field's label untranslated.
MFA_FORMS = {
    "add_webauthn": "members.account_forms.AddWebAuthnForm",
    "edit_webauthn": "members.account_forms.EditWebAuthnForm",
}
# The name authenticator apps show for the portal's codes.
MFA_TOTP_ISSUER = "Kommunenettverket"

# --- Internationalisation ------------------------------------------------------------------

LANGUAGE_CODE = "nn"
LANGUAGES = [
    ("nn", _("Norwegian Nynorsk")),
    ("nb", _("Norwegian Bokmål")),
    ("en", _("English")),
]
# Django searches these before the packages' own catalogues, in this order: our strings first,
# then locale_packages, which completes and corrects the Nynorsk and Bokmål (and the English
# wording) of the package strings the portal shows: the admin, allauth, import-export,
# simple-history and the forms' and password validators' messages. It is kept apart because
# `makemessages --no-obsolete` on locale/ would drop every msgid not in our own sources.
LOCALE_PATHS = [BASE_DIR / "locale", BASE_DIR / "locale_packages"]
FORMAT_MODULE_PATH = ["network_portal.formats"]
USE_I18N = True
TIME_ZONE = "Europe/Oslo"
USE_TZ = True

# --- Static files --------------------------------------------------------------------------

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT") or BASE_DIR / "staticfiles")
STORAGES: dict[str, dict[str, Any]] = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "network_portal.storage.StaticFilesStorage"
        )
    },
}

# Meeting materials (slides, reports) uploaded to meetings. Never served from a public URL:
# every download goes through a view that checks who may see the file (meetings.views), so
# the files live apart from static files, in their own storage. Another backend (an
# S3-compatible bucket through django-storages, for several web machines) replaces
# STORAGES["materials"]; see README, "Meeting materials".
MATERIAL_ROOT = Path(os.environ.get("MATERIAL_ROOT") or BASE_DIR / "data" / "materials")
STORAGES["materials"] = {
    "BACKEND": "django.core.files.storage.FileSystemStorage",
    "OPTIONS": {"location": MATERIAL_ROOT, "base_url": None},
}
# The largest file accepted, in bytes (25 MB by default).
MATERIAL_MAX_UPLOAD_BYTES = env_int("MATERIAL_MAX_UPLOAD_BYTES", 25 * 1024 * 1024)
# With a web server in front that serves files itself, the download view only checks the
# permission and answers with this header ("X-Accel-Redirect" for nginx, "X-Sendfile" for
# Apache's mod_xsendfile), naming the file under MATERIAL_SENDFILE_PREFIX (nginx: an
# internal location; Apache: the directory MATERIAL_ROOT). Unset: Django streams the file.
MATERIAL_SENDFILE_HEADER = os.environ.get("MATERIAL_SENDFILE_HEADER") or None
if MATERIAL_SENDFILE_HEADER not in (None, "X-Accel-Redirect", "X-Sendfile"):
    raise ImproperlyConfigured(
        "MATERIAL_SENDFILE_HEADER must be X-Accel-Redirect or X-Sendfile, "
        f"not {MATERIAL_SENDFILE_HEADER!r}."
    )
MATERIAL_SENDFILE_PREFIX = os.environ.get("MATERIAL_SENDFILE_PREFIX") or "/protected-materials/"

# In development files are served straight from the apps, without collectstatic.
WHITENOISE_AUTOREFRESH = DEBUG
WHITENOISE_USE_FINDERS = DEBUG

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# --- E-mail --------------------------------------------------------------------------------

EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND") or (
    "django.core.mail.backends.smtp.EmailBackend"
    if os.environ.get("EMAIL_HOST")
    else "django.core.mail.backends.console.EmailBackend"
)
EMAIL_HOST = os.environ.get("EMAIL_HOST") or "localhost"
EMAIL_PORT = int(os.environ.get("EMAIL_PORT") or "587")
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)
EMAIL_TIMEOUT = int(os.environ.get("EMAIL_TIMEOUT") or "30")
# Mail comes from a name people recognise, not a bare address: "Kommunenettverket
# <kommunenettverk@example.org>". A DEFAULT_FROM_EMAIL that already has a name is used as it is.
EMAIL_SENDER_NAME = os.environ.get("EMAIL_SENDER_NAME") or "Kommunenettverket"
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL") or "kommunenettverk@example.org"
if "<" not in DEFAULT_FROM_EMAIL and EMAIL_SENDER_NAME:
    DEFAULT_FROM_EMAIL = formataddr((EMAIL_SENDER_NAME, DEFAULT_FROM_EMAIL))
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# Who runs the network is data county staff edit in the admin (members.NetworkOwner), read on
# every page for the footer: kept in the cache, which its save refreshes.
SOLO_CACHE = "default"
SOLO_CACHE_TIMEOUT = 60 * 60

# --- Background tasks (django-tasks) -------------------------------------------------------

# Mailings and reminders are sent by `manage.py db_worker` in production. Without a worker
# (development, tests) set TASKS_BACKEND=immediate and they run at once, in the request.
TASKS = {
    "default": {
        "BACKEND": {
            "database": "django_tasks_db.DatabaseBackend",
            "immediate": "django_tasks.backends.immediate.ImmediateBackend",
        }[os.environ.get("TASKS_BACKEND") or ("immediate" if DEBUG else "database")],
        "QUEUES": ["default"],
    }
}
# How many e-mails one background task claims and sends over one SMTP connection: 5,000
# recipients go out over 5 connections. Lower it for a relay that limits mails per connection.
MAILING_BATCH_SIZE = int(os.environ.get("MAILING_BATCH_SIZE") or "1000")

# --- Wiring between apps ---------------------------------------------------------------------

# Apps depend one way (members <- meetings <- projects); where a lower app runs what a higher
# one adds, it finds it here by name. Deadlines in personal calendar feeds besides the
# meetings' (meetings.views.feed_sources): the calls of the EU programmes a person follows.
CALENDAR_FEED_EXTRA_EVENTS = ["projects.calendar.call_deadline_events"]
# Jobs `manage.py send_reminders` (hourly, from cron) runs after the meetings' reminders: each
# a callable taking `now` and returning counts by kind, safe to run again.
REMINDER_EXTRA_JOBS = ["projects.services.call_reminders_send"]

# --- Change history (django-simple-history) -----------------------------------------------

# History is for reading: reverting a registration or meeting to an old version would bypass
# the seat and deadline rules.
SIMPLE_HISTORY_REVERT_DISABLED = True

# --- Personal data and sessions ------------------------------------------------------------

# `manage.py purge_personal_data` (daily, from cron) anonymises contact persons without an
# account who have done nothing for this many months ...
PERSONAL_DATA_RETENTION_MONTHS = int(os.environ.get("PERSONAL_DATA_RETENTION_MONTHS") or "24")
# ... and clears registrations' dietary needs and comments this many days after the meeting.
REGISTRATION_ANSWERS_RETENTION_DAYS = int(
    os.environ.get("REGISTRATION_ANSWERS_RETENTION_DAYS") or "30"
)
# A signed-in session ends after this many minutes without a request (a working day by
# default: sign in in the morning, signed out overnight).
SESSION_IDLE_TIMEOUT_MINUTES = int(os.environ.get("SESSION_IDLE_TIMEOUT_MINUTES") or "480")

# --- Import and export (django-import-export) ----------------------------------------------

# An import with any bad row imports nothing.
IMPORT_EXPORT_USE_TRANSACTIONS = True
IMPORT_EXPORT_SKIP_ADMIN_LOG = False

# --- Security ------------------------------------------------------------------------------

# With DEBUG off the portal speaks HTTPS only. Each setting can be changed for a proxy or load
# balancer that terminates TLS in front of it (see README, "Configuration").
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
# A load balancer's health check talks plain HTTP to the portal and must not get a redirect.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 365 * 24 * 60 * 60)
# Both reach every host under the domain (a county's domain hosts other services), and preload
# is close to irreversible: the domain's owner decides, so they are off unless set.
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
# Only behind a proxy that always sets (and overwrites) this header may it be trusted;
# otherwise any client could claim HTTPS.
SECURE_PROXY_SSL_HEADER = env_proxy_ssl_header("SECURE_PROXY_SSL_HEADER")
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", not DEBUG)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", not DEBUG)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# `check --deploy` warns (W005, W021) unless every subdomain is forced to HTTPS and the domain
# is submitted to the browsers' preload list. That is the domain owner's decision, not the
# portal's (see above): both are available as settings, and off by default on purpose.
SILENCED_SYSTEM_CHECKS = ["security.W005", "security.W021"]

# --- Content-Security-Policy (django-csp) --------------------------------------------------

# No inline scripts or styles anywhere, the admin included: templates link static files.
# Enforced in development too, so a violation shows up in the browser's console at once.
# CSP_REPORT_ONLY=true sends it as Content-Security-Policy-Report-Only, to try a change out.
# (No setting may be named CSP_REPORT_ONLY: django-csp 4 takes CSP_* settings for its old
# configuration and fails its system check.)
content_security_policy: dict[str, dict[str, list[str] | str]] = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        # Allauth shows the TOTP set-up QR code as a data: URL image.
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    }
}
if os.environ.get("CSP_REPORT_URI"):
    content_security_policy["DIRECTIVES"]["report-uri"] = os.environ["CSP_REPORT_URI"]
CONTENT_SECURITY_POLICY: dict[str, Any] | None
CONTENT_SECURITY_POLICY_REPORT_ONLY: dict[str, Any] | None
if env_bool("CSP_REPORT_ONLY", False):
    CONTENT_SECURITY_POLICY = None
    CONTENT_SECURITY_POLICY_REPORT_ONLY = content_security_policy
else:
    CONTENT_SECURITY_POLICY = content_security_policy
    CONTENT_SECURITY_POLICY_REPORT_ONLY = None

# --- Logging -------------------------------------------------------------------------------

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL") or "INFO"},
}
