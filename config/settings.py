"""Moatwatch settings: one module, everything read from the environment.

The defaults give the embedded shape (SQLite, tasks in-process, local-memory
cache). Production sets DATABASE_URL and REDIS_URL; see README "Configuration".
"""

from __future__ import annotations

from pathlib import Path

from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

from config.env import database_from_url, env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent

DEBUG = env_bool("DEBUG", False)

SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off")
    SECRET_KEY = "insecure-local-development-key-only-used-with-DEBUG-on"  # noqa: S105

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.sitemaps",
    "django.contrib.postgres",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "core",
    "cases",
    "evaluations",
    "alerts",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Above sessions, CSRF and messages: it sees every cookie they set on the way out.
    "core.cache_control.CacheControlMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {
    "default": database_from_url(
        env_str("DATABASE_URL", "sqlite:///var/db.sqlite3"),
        base_dir=str(BASE_DIR),
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"

LANGUAGE_CODE = "en-us"
TIME_ZONE = env_str("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "var" / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
# STATIC_FROM_SOURCE: serve static files from the source folders (embedded
# demo, tests). Off (production): `collectstatic` output, hashed and compressed.
STATIC_FROM_SOURCE = env_bool("STATIC_FROM_SOURCE", DEBUG)
WHITENOISE_USE_FINDERS = STATIC_FROM_SOURCE
WHITENOISE_AUTOREFRESH = STATIC_FROM_SOURCE
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if STATIC_FROM_SOURCE
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# --- Redis: broker and cache when REDIS_URL is set, in-process otherwise ---
REDIS_URL = env_str("REDIS_URL")

if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "core.cache.ForgivingRedisCache",
            "LOCATION": REDIS_URL,
            "TIMEOUT": 300,
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

CELERY_BROKER_URL = REDIS_URL or "memory://"
# kombu's Redis transport with the fix that keeps a worker alive when Redis stops while it
# holds unacknowledged messages (core/broker.py explains the failure).
CELERY_BROKER_TRANSPORT = "core.broker:Transport" if REDIS_URL else None
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
# A worker acknowledges a message only once the task has finished, and a
# message whose worker died is given back to the queue, so nothing is lost.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = env_int("CELERY_TASK_SOFT_TIME_LIMIT", 120, minimum=1)
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", 180, minimum=1)
# Redis re-delivers an unacknowledged message after this many seconds; it must
# be longer than the longest task (the hard time limit) or tasks run twice.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT", 600, minimum=1),
    "socket_connect_timeout": 2,
    "socket_timeout": 5,
}
if CELERY_TASK_SOFT_TIME_LIMIT >= CELERY_TASK_TIME_LIMIT:
    raise ImproperlyConfigured("CELERY_TASK_SOFT_TIME_LIMIT must be below CELERY_TASK_TIME_LIMIT")
if CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"] <= CELERY_TASK_TIME_LIMIT:
    raise ImproperlyConfigured("CELERY_VISIBILITY_TIMEOUT must be longer than CELERY_TASK_TIME_LIMIT")
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = True
# The periodic tasks (the sweep, scheduled publishing) are scheduled in evaluations/tasks.py and
# alerts/tasks.py, by reference.
SWEEP_INTERVAL_SECONDS = env_int("SWEEP_INTERVAL_SECONDS", 15, minimum=1)
SCHEDULED_PUBLISH_INTERVAL_SECONDS = env_int("SCHEDULED_PUBLISH_INTERVAL_SECONDS", 60, minimum=1)
# A scheduled version still unpublished this long after its time is overdue: the desk dashboard
# flags it and /health/ answers 503 (the periodic jobs are not running). Allow a few publish intervals.
SCHEDULED_PUBLISH_OVERDUE_SECONDS = env_int("SCHEDULED_PUBLISH_OVERDUE_SECONDS", 300, minimum=1)
# A summary stale for longer than this is re-queued by the sweep (unless a message for it is
# still waiting in Redis: the pending markers, evaluations/queue.py). Short, with a short sweep
# interval, so that the work of a lost message runs again within a minute (README, "Recovery").
STALE_GRACE_SECONDS = env_int("STALE_GRACE_SECONDS", 30, minimum=0)
# Email alerts: how often newly published versions are matched to subscribers (immediate
# digests go out then), and how often weekly subscribers whose digest is due are looked for.
ALERTS_SCAN_INTERVAL_SECONDS = env_int("ALERTS_SCAN_INTERVAL_SECONDS", 60, minimum=1)
ALERTS_WEEKLY_CHECK_SECONDS = env_int("ALERTS_WEEKLY_CHECK_SECONDS", 3600, minimum=1)
# Cases per recompute message and transaction; a fan-out step sends this many batches.
RECOMPUTE_BATCH_SIZE = env_int("RECOMPUTE_BATCH_SIZE", 1000, minimum=1)
# How many published cases a rubric activation's confirmation re-scores to show its impact (bounded work).
RUBRIC_IMPACT_MAX_CASES = env_int("RUBRIC_IMPACT_MAX_CASES", 5000, minimum=1)
FANOUT_BATCHES_PER_STEP = env_int("FANOUT_BATCHES_PER_STEP", 20, minimum=1)
# Exposure recomputes wait this long after the summary change that asked for them,
# so that the requests of a whole fan-out coalesce into a few runs.
EXPOSURE_DEBOUNCE_SECONDS = env_int("EXPOSURE_DEBOUNCE_SECONDS", 5, minimum=0)
# How long "a recompute of this is already queued" is remembered (coalescing).
PENDING_MARKER_SECONDS = env_int("PENDING_MARKER_SECONDS", 300, minimum=1)
# /health/ answers 503 when the oldest stale summary is older than this.
HEALTH_STALE_MAX_SECONDS = env_int("HEALTH_STALE_MAX_SECONDS", 300, minimum=1)

# --- Django REST framework ---
REST_FRAMEWORK = {
    # Token first: an anonymous write is then told 401 with WWW-Authenticate: Token.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticatedOrReadOnly"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    # DRF's JSON parser with a size and a depth limit (400, not a RecursionError's 500).
    "DEFAULT_PARSER_CLASSES": ["core.parsers.JSONParser"],
    # JSON only: the browsable docs page is /api/v1/docs/, built on the schema.
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_SCHEMA_CLASS": "core.api.AutoSchema",
    "EXCEPTION_HANDLER": "core.api.exception_handler",
    "DEFAULT_THROTTLE_CLASSES": [
        # The client address comes from core.throttle.client_ip, as for sign-in.
        "core.throttle.AnonRateThrottle",
        "core.throttle.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env_str("API_THROTTLE_ANON", "120/min"),
        "user": env_str("API_THROTTLE_USER", "600/min"),
    },
    "COERCE_DECIMAL_TO_STRING": False,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Moatwatch API",
    "DESCRIPTION": (
        "The public case library of AI partnerships, and the editors' desk. Reads are public; writes need "
        "`Authorization: Token <token>` (POST /api/v1/auth/token/) or a session. Every version response "
        "carries an ETag; PATCH a draft with it in If-Match."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    # Links from a created object to what can be done with it (core.api.links), for stateful clients.
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "core.api.links_postprocessing_hook",
    ],
    "ENUM_NAME_OVERRIDES": {
        "PartyRoleEnum": "cases.models.Party.Role",
        "DatePrecisionEnum": "cases.models.DatePrecision",
        "OrganizationKindEnum": "cases.models.Organization.Kind",
        "TimelineKindEnum": "cases.models.TimelineEvent.Kind",
        "AnnotationKindEnum": "evaluations.models.Annotation.Kind",
        "CaseStatusEnum": "cases.models.Case.Status",
        "RubricVersionStatusEnum": "evaluations.models.RubricVersion.Status",
        "VersionStateEnum": "evaluations.models.EvaluationVersion.State",
    },
}

# --- Security ---
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
# Load balancers probe /health/ over plain HTTP inside the private network.
SECURE_REDIRECT_EXEMPT = [r"^health/$"]
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
BEHIND_PROXY = env_bool("BEHIND_PROXY", False)
if BEHIND_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# No inline script anywhere: scripts and styles come from our own static files.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.SELF],
}
# Failed sign-ins (core.throttle, which documents the figures): locks per address
# and per username-and-address pair in a window; for a username alone, a delay
# doubling from 1 s up to LOGIN_THROTTLE_MAX_DELAY_SECONDS, skipped by addresses
# the user signed in from in the last LOGIN_KNOWN_ADDRESS_DAYS.
LOGIN_THROTTLE_USER_LIMIT = env_int("LOGIN_THROTTLE_USER_LIMIT", 5, minimum=1)
LOGIN_THROTTLE_IP_LIMIT = env_int("LOGIN_THROTTLE_IP_LIMIT", 20, minimum=1)
LOGIN_THROTTLE_WINDOW_SECONDS = env_int("LOGIN_THROTTLE_WINDOW_SECONDS", 900, minimum=1)
LOGIN_THROTTLE_MAX_DELAY_SECONDS = env_int("LOGIN_THROTTLE_MAX_DELAY_SECONDS", 60, minimum=1)
LOGIN_KNOWN_ADDRESS_DAYS = env_int("LOGIN_KNOWN_ADDRESS_DAYS", 30, minimum=0)
DATA_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024

# --- Email (alerts, desk notifications) ---
# EMAIL_BACKEND: console (prints mail: the default with DEBUG, the embedded default), smtp
# (the default otherwise: EMAIL_HOST, or a mail server on localhost:25 as Django always
# assumed) or file (one file per connection in EMAIL_FILE_PATH; the worker tests use it).


def _mailer() -> dict:
    host = env_str("EMAIL_HOST")
    kind = env_str("EMAIL_BACKEND", "smtp" if host or not DEBUG else "console")
    if kind == "console":
        return {"BACKEND": "django.core.mail.backends.console.EmailBackend"}
    if kind == "file":
        path = env_str("EMAIL_FILE_PATH", str(BASE_DIR / "var" / "mail"))
        return {"BACKEND": "django.core.mail.backends.filebased.EmailBackend", "OPTIONS": {"file_path": path}}
    if kind != "smtp":
        raise ImproperlyConfigured(f"EMAIL_BACKEND must be console, smtp or file, got {kind!r}")
    use_ssl = env_bool("EMAIL_USE_SSL", False)
    use_tls = env_bool("EMAIL_USE_TLS", bool(host) and not use_ssl)
    if use_tls and use_ssl:
        raise ImproperlyConfigured("EMAIL_USE_TLS (STARTTLS) and EMAIL_USE_SSL cannot both be on")
    return {
        "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "OPTIONS": {
            "host": host or "localhost",
            "port": env_int("EMAIL_PORT", 465 if use_ssl else 587 if host else 25, minimum=1),
            "username": env_str("EMAIL_HOST_USER"),
            "password": env_str("EMAIL_HOST_PASSWORD"),
            "use_tls": use_tls,
            "use_ssl": use_ssl,
            "timeout": env_int("EMAIL_TIMEOUT", 10, minimum=1),
        },
    }


MAILERS = {"default": _mailer()}
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Moatwatch alerts <alerts@localhost>")
# Subscribe form: attempts per client address, and confirmation mails per address, per window.
ALERTS_SUBSCRIBE_IP_LIMIT = env_int("ALERTS_SUBSCRIBE_IP_LIMIT", 10, minimum=1)
ALERTS_SUBSCRIBE_ADDRESS_LIMIT = env_int("ALERTS_SUBSCRIBE_ADDRESS_LIMIT", 3, minimum=1)
ALERTS_SUBSCRIBE_WINDOW_SECONDS = env_int("ALERTS_SUBSCRIBE_WINDOW_SECONDS", 3600, minimum=1)
ALERTS_CONFIRM_MAX_AGE_SECONDS = env_int("ALERTS_CONFIRM_MAX_AGE_SECONDS", 3 * 24 * 3600, minimum=60)
# The scan looks this far back for published versions it has not matched yet.
ALERTS_SCAN_LOOKBACK_DAYS = env_int("ALERTS_SCAN_LOOKBACK_DAYS", 7, minimum=1)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    # In-process (eager) tasks would otherwise log one line each.
    "loggers": {"celery.app.trace": {"level": "WARNING"}},
}
