"""Tranche settings, read from the environment (docs/settings.md lists every variable).

Importing this module only reads: it creates no file or folder and imports no app module.
The run-time folder (VAR_DIR) and the generated secret key are made when Django starts
(tracker.run_folder, from TrackerConfig.ready()).
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import dj_database_url
import environ
from csp.constants import NONCE, NONE, SELF
from django.core.exceptions import ImproperlyConfigured

from config.loopback import bind_is_loopback, bind_url


class StrictEnv(environ.Env):
    """django-environ's reader, refusing what it would otherwise guess.

    django-environ reads any unknown word as false for a boolean (DEBUG=ture would turn
    debugging off without a word) and lets int() fail with a message that names no
    variable. Here an empty variable means its default, and a value that is not one of the
    accepted words or not a number is refused, naming the variable.
    """

    TRUE = frozenset({"1", "true", "yes", "on"})
    FALSE = frozenset({"0", "false", "no", "off"})

    def _raw(self, var: str) -> str:
        return str(self.ENVIRON.get(var, "")).strip()

    def bool(self, var: str, default: Any = environ.Env.NOTSET) -> bool:
        raw = self._raw(var)
        if raw == "":
            return bool(self._default(var, default))
        if raw.lower() in self.TRUE:
            return True
        if raw.lower() in self.FALSE:
            return False
        raise ImproperlyConfigured(
            f"{var} must be true or false (also 1/0, yes/no, on/off), not {raw!r}."
        )

    def int(self, var: str, default: Any = environ.Env.NOTSET) -> int:
        raw = self._raw(var)
        if raw == "":
            return int(self._default(var, default))
        if not raw.lstrip("-").isascii() or not raw.lstrip("-").isdigit():
            raise ImproperlyConfigured(f"{var} must be a whole number, not {raw!r}.")
        return int(raw)

    def float(self, var: str, default: Any = environ.Env.NOTSET) -> float:
        raw = self._raw(var)
        if raw == "":
            return float(self._default(var, default))
        try:
            value = float(raw)
        except ValueError:
            value = float("nan")
        if value != value or value in (float("inf"), float("-inf")):
            raise ImproperlyConfigured(f"{var} must be a number (seconds), not {raw!r}.")
        return value

    def _default(self, var: str, default: Any) -> Any:
        if default is self.NOTSET:
            raise ImproperlyConfigured(f"Set the {var} environment variable.")
        return default

    def words(self, var: str, default: str) -> list[str]:
        """A comma-separated list; unset or empty, `default` (also comma-separated)."""
        raw = self._raw(var) or default
        return [item.strip() for item in raw.split(",") if item.strip()]

    def text(self, var: str, default: str) -> str:
        """A string; unset or empty, `default`."""
        return self._raw(var) or default


env = StrictEnv()

BASE_DIR = Path(__file__).resolve().parent.parent
# Run-time files live in the checkout when Tranche runs from one; installed as a package
# (BASE_DIR is then site-packages), they live in the working directory instead.
RUN_DIR = BASE_DIR if (BASE_DIR / "manage.py").is_file() else Path.cwd()
# Owner-only (made so when Django starts): it holds the secret key, the SQLite database,
# mail, the filesystem broker and the admin password.
VAR_DIR = Path(env.text("TRANCHE_VAR_DIR", str(RUN_DIR / "var")))

DEBUG = env.bool("DEBUG", False)
# Debug pages show settings and every URL, so debug mode serves this machine only: the web
# process (Procfile) binds WEB_BIND, and tracker.security also turns other addresses away.
WEB_BIND = env.text("WEB_BIND", "127.0.0.1:8000")
if DEBUG and not bind_is_loopback(WEB_BIND):
    raise ImproperlyConfigured(
        f"DEBUG is on, so WEB_BIND must be on this machine (127.0.0.1, [::1], localhost "
        f"or unix:), not {WEB_BIND!r}. Turn DEBUG off to serve others."
    )

# SECRET_KEY, else a key generated once into var/secret-key (owner-only) for the embedded
# start: kept across restarts so signed links stay valid, and shared by every process on
# this machine. When the file does not exist yet, tracker.run_folder writes it as Django
# starts and sets SECRET_KEY from it. `check --deploy` warns about it: production sets
# SECRET_KEY.
SECRET_KEY_FILE = VAR_DIR / "secret-key"
SECRET_KEY_GENERATED = not env.text("SECRET_KEY", "")
SECRET_KEY = env.text("SECRET_KEY", "") or (
    SECRET_KEY_FILE.read_text().strip() if SECRET_KEY_FILE.is_file() else ""
)
ALLOWED_HOSTS = env.words("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1],testserver")
# The one public address in every link (emails, snippets, feeds, bootstrap's output);
# unset, it is where the web process (WEB_BIND) answers.
SITE_URL = env.text("SITE_URL", bind_url(WEB_BIND)).rstrip("/")
CSRF_TRUSTED_ORIGINS = [SITE_URL]
TRACKER_PUBLIC = env.bool("TRACKER_PUBLIC", True)
# Self sign-up (verified by email) on /signup/. A private tracker has none unless this is
# set to true explicitly (issue 22); `check --deploy` warns about that (tracker.W002).
TRACKER_SIGNUP = env.bool("TRACKER_SIGNUP", TRACKER_PUBLIC)
# Sites that may frame the embed widget (/embed/…; CSP frame-ancestors): any, by default.
# Every other page refuses framing (X-Frame-Options DENY, frame-ancestors 'none').
TRACKER_EMBED_ANCESTORS = env.words("TRACKER_EMBED_ANCESTORS", "*")
# An open item whose newest source is older than this many days reads as stale ("may be
# out of date") and is listed under "Needs review".
TRACKER_STALE_AFTER_DAYS = env.int("TRACKER_STALE_AFTER_DAYS", 90)

# Deadlines (README "Deadlines"): how 03/04/2027 is read, and the month a fiscal year
# ("FY2027") starts in when the negotiation's first party does not say.
TRACKER_NUMERIC_DATES = env.text("TRACKER_NUMERIC_DATES", "dmy").lower()
if TRACKER_NUMERIC_DATES not in {"dmy", "mdy"}:
    raise ImproperlyConfigured(
        f"TRACKER_NUMERIC_DATES must be dmy (31/03/2027) or mdy (03/31/2027), "
        f"not {TRACKER_NUMERIC_DATES!r}."
    )
_fiscal_year_start = env.text("TRACKER_FISCAL_YEAR_START", "4")
if not (re.fullmatch("[0-9]{1,2}", _fiscal_year_start) and 1 <= int(_fiscal_year_start) <= 12):
    raise ImproperlyConfigured(
        f"TRACKER_FISCAL_YEAR_START must be a month from 1 to 12 (4 is April), "
        f"not {_fiscal_year_start!r}."
    )
TRACKER_FISCAL_YEAR_START = int(_fiscal_year_start)

# Webhooks (README "Webhooks"): endpoints on loopback, private, link-local, reserved or
# multicast addresses are refused unless this is on (server-side request forgery).
TRACKER_WEBHOOKS_ALLOW_PRIVATE = env.bool("TRACKER_WEBHOOKS_ALLOW_PRIVATE", False)
# Seconds to connect, and to wait for each read, per delivery.
TRACKER_WEBHOOKS_TIMEOUT = env.float("TRACKER_WEBHOOKS_TIMEOUT", 10)
# Seconds a whole delivery may take, connect to last byte; held below the outbox lease.
TRACKER_WEBHOOKS_DEADLINE = env.float("TRACKER_WEBHOOKS_DEADLINE", 30)
# Seconds to wait after each failed webhook attempt (tracker.webhooks.schedule): by default
# 5 s, 5 min, 30 min, 2 h, 5 h, then 10 h six times, about three days in all. An endpoint
# failing for the sum of the waits, with no success, is disabled; its owner is warned a third
# of the way. Comma-separated, e.g. "1,2,4" to scale it down in a test; empty means the
# default. Checked when the app starts (tracker.apps), which refuses a bad value by name.
TRACKER_WEBHOOK_RETRY_SCHEDULE = env.text("TRACKER_WEBHOOK_RETRY_SCHEDULE", "")

# Production behind HTTPS (README "Configuration"); all off for the embedded start, which
# serves plain HTTP on loopback.
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", False)
# Database sessions that treat a cookie Django never issued (a NUL in it) as no session.
SESSION_ENGINE = "tracker.sessions"
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = env.bool("SECURE_COOKIES", False)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", False)
# "X-Forwarded-Proto: https": the header a reverse proxy of ours sets on HTTPS requests.
_proxy_header, _, _proxy_value = env.text("SECURE_PROXY_SSL_HEADER", "").partition(":")
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_" + _proxy_header.strip().upper().replace("-", "_"), _proxy_value.strip())
    if _proxy_header.strip()
    else None
)
# How many reverse proxies of ours add to X-Forwarded-For (tracker.security.client_address).
TRUSTED_PROXIES = env.int("TRUSTED_PROXIES", 0)
# Error pages and error emails hide passwords inside URL settings (EMAIL_URL, REDIS_URL …).
DEFAULT_EXCEPTION_REPORTER_FILTER = "tracker.security.CredentialMaskingFilter"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "knox",
    "axes",
    "csp",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI's files for /api/docs/, served here: no CDN
    "auditlog",
    "health_check",  # its /health/ page template (tracker.health)
    "import_export",  # the admin's bulk import of observations (tracker.imports)
    "tracker",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "tracker.security.LoopbackOnlyWhileDebugging",
    "tracker.security.NulRefused",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # After sessions, before common (Django's order): the switcher's cookie, else the
    # browser's Accept-Language; the account's choice, once known, wins (tracker.languages).
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "tracker.languages.AccountLanguageMiddleware",
    "tracker.audit.AuditMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: it turns a locked-out login into its 429 answer.
    "axes.middleware.AxesMiddleware",
]

# Content-Security-Policy (django-csp): nothing from other sites, no inline scripts; the
# one inline stylesheet (the API docs page) carries the request's nonce.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF, NONCE],
        "img-src": [SELF, "data:"],
        "object-src": [NONE],
        "base-uri": [NONE],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

ROOT_URLCONF = "config.urls"

# The audit log (tracker.Change): django-auditlog writes it, with typed before/after values.
AUDITLOG_LOGENTRY_MODEL = "tracker.Change"
AUDITLOG_STORE_JSON_CHANGES = True
# Its own log table is swapped out for tracker.Change, so its migrations would only create
# an unused table (whose foreign key to auth_user stops PostgreSQL from truncating users).
MIGRATION_MODULES = {"auditlog": None}
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
                "tracker.dashboard.accounts.sign_up_context",
            ],
        },
    },
]

# Persistent connections (docs/deploy.md "Database connections"): a web process keeps its
# connection for CONN_MAX_AGE seconds instead of opening one per request (0: one per
# request, as behind PgBouncer in session mode), and checks it still answers before reusing
# it, so a restarted server costs one reconnect, not a 500. Celery's Django fixup closes
# every connection before and after each task, whatever this says.
DATABASES = {
    "default": dj_database_url.parse(
        env.text("DATABASE_URL", f"sqlite:///{VAR_DIR / 'tranche.sqlite3'}"),
        conn_max_age=env.int("CONN_MAX_AGE", 60),
        conn_health_checks=True,
        # PgBouncer in transaction mode cannot keep the cursors that iterator() holds open
        # between transactions (the exports): it needs them off.
        disable_server_side_cursors=env.bool("DISABLE_SERVER_SIDE_CURSORS", False),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # tracker.run_folder creates the file empty and owner-only before SQLite opens it
    # (SQLite would make it 0644); its -wal and -shm files take the database file's mode.
    # Web, worker and beat share one file: WAL and immediate transactions
    # turn lock contention into short waits instead of "database is locked". A kept
    # connection sits in autocommit between requests, holding no snapshot, so it does not
    # hold back WAL checkpoints; the pragmas run once per connection.
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

# Failed logins (django-axes), on every route that checks a password: /login/, /admin/login/
# and /api/v1/auth/token/. After LOGIN_FAILURE_LIMIT failures for one username, or from one
# address, that username or address is refused, the right password too, until
# LOGIN_COOLOFF_MINUTES have passed without a try. `manage.py axes_reset_username NAME`
# (or axes_reset_ip, axes_reset) unlocks at once.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", 10)
AXES_COOLOFF_TIME = dt.timedelta(minutes=env.int("LOGIN_COOLOFF_MINUTES", 30))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "tracker.security.client_address"
AXES_LOCKOUT_CALLABLE = "tracker.security.lockout_response"

# API tokens (django-rest-knox): stored as hashes, valid for API_TOKEN_DAYS, revoked when
# the password changes; sent as `Authorization: Token …`.
REST_KNOX = {
    "TOKEN_TTL": dt.timedelta(days=env.int("API_TOKEN_DAYS", 30)),
    "AUTH_HEADER_PREFIX": "Token",
}

LANGUAGE_CODE = "en"
TIME_ZONE = env.text("TIME_ZONE", "UTC")
USE_I18N = True
# The interface's languages (docs/accessibility.md): English, Hindi (official communications
# in India go out in Hindi and English) and French (the EU's and the WTO's working language).
LANGUAGES = [("en", "English"), ("hi", "हिन्दी"), ("fr", "Français")]
# The catalogues ship inside the package, as the templates do; .ci/run compiles them.
LOCALE_PATHS = [BASE_DIR / "tracker" / "locale"]
# Dates as each locale writes them come from Django's own formats; Hindi's short date is
# already DD-MM-YYYY, as GIGW 3.0 asks (tests/dashboard/test_languages.py checks it).
LANGUAGE_COOKIE_NAME = "tranche_language"
LANGUAGE_COOKIE_SAMESITE = "Lax"
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(env.text("STATIC_ROOT", str(RUN_DIR / "staticfiles")))
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


EMAIL_URL = env.text("EMAIL_URL", "file://var/mail")
globals().update(_email_settings(EMAIL_URL))
DEFAULT_FROM_EMAIL = env.text("DEFAULT_FROM_EMAIL", "Tranche <tranche@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# Celery: Redis when REDIS_URL is set, otherwise a filesystem broker under var/.
REDIS_URL = env.text("REDIS_URL", "")
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
OUTBOX_LEASE_SECONDS = env.float("OUTBOX_LEASE_SECONDS", 90)
SMTP_PROBE_SECONDS = env.float("SMTP_PROBE_SECONDS", 30)
# How many send runs a backlog fans out to: the worker processes (--concurrency × workers).
OUTBOX_SENDERS = env.int("OUTBOX_SENDERS", 2)
# The orchestrator probes and Prometheus scrape processes directly, often over plain HTTP.
SECURE_REDIRECT_EXEMPT = [r"^health/", r"^metrics$"]
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    # Longer than the longest task time limit, so an unacked message is not
    # redelivered while a worker is still on it. Messages only say "look at the
    # outbox", so a redelivery after a crash is harmless anyway.
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
    # Shared by every web and worker process: cached pages, and (as "limits") the counts
    # behind the rate limits on account emails and sign-ups (tracker.mail_limits).
    _redis_cache = {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    CACHES = {"default": _redis_cache, "limits": _redis_cache}
else:
    CACHES = {
        # Cached pages: each process keeps its own (they are keyed on the data version).
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
        # Rate-limit counts must be shared by the web processes (gunicorn runs two):
        # files under var/limits/, a folder Django makes owner-only on first use.
        "limits": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "limits"),
        },
    }
    # Its folders are made by tracker.run_folder when Django starts.
    _broker_dir = VAR_DIR / "broker"
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
    # The 10-minute pass looks only where the day can change something; once a day every
    # row is judged, which also catches rows written around the services.
    "refresh-every-status": {
        "task": "tracker.tasks.refresh_statuses",
        "schedule": 86400.0,
        "kwargs": {"everything": True},
    },
    # Planning and sending are cheap no-ops when nothing changed; short intervals
    # mean a new subscription hears within a minute or two.
    # The outlook's back-test (docs/design.md), once a day: its score moves slowly.
    "score-outlooks": {"task": "tracker.tasks.score_outlooks", "schedule": 86400.0},
    "plan-reminders": {"task": "tracker.tasks.plan_reminders", "schedule": 60.0},
    "send-due-reminders": {"task": "tracker.tasks.send_due_reminders", "schedule": 30.0},
    "send-digests": {"task": "tracker.tasks.send_digests", "schedule": 900.0},
    # Weekly lists keyed by (subscription, week): hourly runs queue each once a week.
    "send-unconfirmed-lists": {"task": "tracker.tasks.send_unconfirmed_lists", "schedule": 3600.0},
    "deliver-webhooks": {"task": "tracker.tasks.deliver_webhooks", "schedule": 15.0},
    # The confirmation wakes a worker at once; this catches a lost message or a dead worker.
    "run-import-jobs": {"task": "tracker.tasks.run_import_jobs", "schedule": 60.0},
}

# django-ratelimit counts in the "limits" cache above (tracker.mail_limits).
RATELIMIT_USE_CACHE = "limits"

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "knox.auth.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    # JSON nested deeper than any Tranche payload is a 400, not a RecursionError. JSON only:
    # a form or multipart body cannot say a deadline's {earliest, latest}, so it is a 415
    # rather than a write that silently drops fields (issue 21). Uploading an article's file
    # is the one multipart write (tracker.api.articles).
    "DEFAULT_PARSER_CLASSES": ["tracker.api.parsers.BoundedJSONParser"],
    # DRF's test client speaks what the API takes: JSON unless a test says otherwise.
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    # orjson writes the same bytes as DRF's JSONRenderer, several times faster.
    "DEFAULT_RENDERER_CLASSES": [
        "tracker.api.renderers.ORJSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
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
    # The schema follows TRACKER_PUBLIC like the rest of the API.
    "SERVE_PERMISSIONS": ["tracker.api.permissions.ReadPublicWriteWithModelPermission"],
    # /api/docs/: Swagger UI from drf-spectacular-sidecar's static files, not a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    # No deep links: Swagger UI puts them as links inside each operation's button.
    "SWAGGER_UI_SETTINGS": {"deepLinking": False, "docExpansion": "list", "filter": True},
    # Operations are grouped by resource (milestones, targets, …), not all under "v1".
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "LICENSE": {"name": "MIT", "url": "https://opensource.org/license/mit"},
    # Every operation's 4xx answers, summaries, and a type beside each `nullable`.
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "tracker.api.schema.document_failures",
    ],
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.text("LOG_LEVEL", "INFO")},
}
