"""Tranche settings, read from the environment (see README "Configuration")."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from urllib.parse import unquote, urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
# Run-time files live in the checkout when Tranche runs from one; installed as a package
# (BASE_DIR is then site-packages), they live in the working directory instead.
RUN_DIR = BASE_DIR if (BASE_DIR / "manage.py").is_file() else Path.cwd()
VAR_DIR = Path(os.environ.get("TRANCHE_VAR_DIR", RUN_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)


def envbool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def envlist(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = envbool("DEBUG", True)


def _secret_key() -> str:
    key = os.environ.get("SECRET_KEY", "")
    if key:
        return key
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY is required when DEBUG is off.")
    # A development key kept under var/ so signed links survive restarts.
    key_file = VAR_DIR / "dev-secret-key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(50))
    return key_file.read_text().strip()


SECRET_KEY = _secret_key()
ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1],testserver")
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
CSRF_TRUSTED_ORIGINS = [SITE_URL]
TRACKER_PUBLIC = envbool("TRACKER_PUBLIC", True)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "auditlog",
    "health_check",  # its /health/ page template (tracker.health)
    "tracker",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "tracker.audit.AuditMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "config.urls"

# The audit log (tracker.Change): django-auditlog writes it, with typed before/after values.
AUDITLOG_LOGENTRY_MODEL = "tracker.Change"
AUDITLOG_STORE_JSON_CHANGES = True
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        # Listed before the apps' folders so that tracker's registration/ templates win over
        # django.contrib.admin's (installed earlier); the folder ships inside the package.
        "DIRS": [BASE_DIR / "tracker" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'tranche.sqlite3'}",
        conn_max_age=int(os.environ.get("CONN_MAX_AGE", "0")),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Web, worker and beat share one file: WAL and immediate transactions
    # turn lock contention into short waits instead of "database is locked".
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
    # A file, not memory, so a Celery worker process can see the test data.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test.sqlite3")}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = os.environ.get("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = RUN_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "overview"
LOGOUT_REDIRECT_URL = "overview"


# Email: EMAIL_URL = file://var/mail | smtp://user:pass@host:port | smtp+tls://… | console://
def _email_settings(url: str) -> dict[str, object]:
    parts = urlsplit(url)
    if parts.scheme == "file":
        folder = Path((parts.netloc + parts.path) or "var/mail")
        if folder.parts[:1] == ("var",):
            folder = VAR_DIR.joinpath(*folder.parts[1:])  # follows TRANCHE_VAR_DIR
        elif not folder.is_absolute():
            folder = RUN_DIR / folder
        return {"EMAIL_BACKEND": "tracker.mail.EmlFileBackend", "EMAIL_FILE_PATH": str(folder)}
    if parts.scheme == "console":
        return {"EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend"}
    if parts.scheme in {"smtp", "smtp+tls", "smtps"}:
        return {
            "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "EMAIL_HOST": parts.hostname or "localhost",
            "EMAIL_PORT": parts.port or (465 if parts.scheme == "smtps" else 25),
            "EMAIL_HOST_USER": unquote(parts.username or ""),
            "EMAIL_HOST_PASSWORD": unquote(parts.password or ""),
            "EMAIL_USE_TLS": parts.scheme == "smtp+tls",
            "EMAIL_USE_SSL": parts.scheme == "smtps",
            "EMAIL_TIMEOUT": 10,
        }
    raise ImproperlyConfigured(
        f"EMAIL_URL scheme {parts.scheme!r} is not one of file, smtp, smtp+tls, smtps, console."
    )


EMAIL_URL = os.environ.get("EMAIL_URL", "file://var/mail")
globals().update(_email_settings(EMAIL_URL))
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Tranche <tranche@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# Celery: Redis when REDIS_URL is set, otherwise a filesystem broker under var/.
REDIS_URL = os.environ.get("REDIS_URL", "")
CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, object]
CELERY_TIMEZONE = "UTC"
CELERY_ENABLE_UTC = True
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 300
CELERY_TASK_SOFT_TIME_LIMIT = 240
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
# Beat's own scheduler plus a heartbeat row for /health/ (tracker.tasks).
CELERY_BEAT_SCHEDULER = "tracker.tasks:HeartbeatScheduler"
# The outbox (README "Reminders"): a sender's claim holds this long unless renewed, so a
# dead sender's rows come back within it; while the mail server refuses everything,
# one sender probes it this often.
OUTBOX_LEASE_SECONDS = float(os.environ.get("OUTBOX_LEASE_SECONDS", "90"))
SMTP_PROBE_SECONDS = float(os.environ.get("SMTP_PROBE_SECONDS", "30"))
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    # Longer than the longest task time limit, so an unacked message is not
    # redelivered while a worker is still on it. Messages only say "look at the
    # outbox", so a redelivery after a crash is harmless anyway.
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
        }
    }
else:
    _broker_dir = VAR_DIR / "broker"
    for _sub in ("queue", "processed", "control"):
        (_broker_dir / _sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "processed_folder": str(_broker_dir / "processed"),
        # Broadcast (pidbox) exchanges, which otherwise land in the working directory.
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
    }

# Fixed intervals in seconds (not crontab): each job is safe to run at any time.
CELERY_BEAT_SCHEDULE = {
    "refresh-statuses": {"task": "tracker.tasks.refresh_statuses", "schedule": 600.0},
    # Planning and sending are cheap no-ops when nothing changed; short intervals
    # mean a new subscription hears within a minute or two.
    "plan-reminders": {"task": "tracker.tasks.plan_reminders", "schedule": 60.0},
    "send-due-reminders": {"task": "tracker.tasks.send_due_reminders", "schedule": 30.0},
    "send-digests": {"task": "tracker.tasks.send_digests", "schedule": 900.0},
}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["tracker.api.permissions.ReadPublicWriteWithModelPermission"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.SearchFilter",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "tracker.api.errors.exception_handler",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Tranche API",
    "DESCRIPTION": "Trade-deal deadlines, milestones, targets and their sources.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
}
