"""Settings, read from the environment (see the Configuration table in API.md)."""

from pathlib import Path

import certifi
import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from core.env import env_bool, env_float, env_int, env_list, env_rate, env_str

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"
VAR_DIR.mkdir(exist_ok=True)

DEBUG = env_bool("DJANGO_DEBUG", False)
_DEV_SECRET_KEY = "dev-only-insecure-key-do-not-use-in-production"
SECRET_KEY = env_str("DJANGO_SECRET_KEY") or ""
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("DJANGO_SECRET_KEY must be set when DJANGO_DEBUG is off.")
    SECRET_KEY = _DEV_SECRET_KEY
elif SECRET_KEY == _DEV_SECRET_KEY and not DEBUG:
    raise ImproperlyConfigured("The development secret key is refused when DJANGO_DEBUG is off.")

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", ["localhost", "127.0.0.1"])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_q",
    "core",
    "slots",
    "scheduling",
    "integrations",
    "feeds",
    "links",
    "ops",
]

MIDDLEWARE = [
    "core.observability.RequestLogMiddleware",
    "ops.middleware.ProbeMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "core.middleware.TrailingSlashMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "core.middleware.CsrfOnlyInTheAdminMiddleware",  # cookies authenticate nothing outside the admin
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "core.middleware.ApiErrorMiddleware",
]

ROOT_URLCONF = "config.urls"
CSRF_FAILURE_VIEW = "core.errors.csrf_failure"  # the one error shape outside the admin
APPEND_SLASH = False
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
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

# Database: SQLite under var/ unless DATABASE_URL says otherwise. Connections persist across requests (a new
# PostgreSQL connection costs ~13 ms), each checked before its first use in a request, so that one the server
# closed in between is replaced instead of failing the request.
DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'db.sqlite3'}",
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # IMMEDIATE takes SQLite's write lock when a transaction starts, so two bookings
    # cannot both read "free" and then both write: they run one after the other.
    DATABASES["default"]["OPTIONS"] = {"transaction_mode": "IMMEDIATE", "timeout": 20}
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test.sqlite3")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Cache (and the token cache, and the task broker) on Redis when REDIS_URL is set. Without it the cache must
# still be one that every process and machine shares (token revocation, login limits, OAuth state, throttles):
# Django's database cache, whose table `migrate` creates (core.apps). The development setup (bin/run) too: its
# task worker is another process, and what it writes (bookings it makes, calendars it syncs) must reach the
# versions of the web process's cached free time (slots.versions).
REDIS_URL = env_str("REDIS_URL") or ""
CACHE_TABLE = "core_cache"
if REDIS_URL:
    # Short socket timeouts and a breaker (core.cache_backends): with Redis down or stuck, a request pays at
    # most one short timeout and falls back (tokens to the database, counters per process), never a 500.
    CACHES = {"default": {"BACKEND": "core.cache_backends.ResilientRedisCache", "LOCATION": REDIS_URL, "OPTIONS": {
        "socket_connect_timeout": env_float("REDIS_SOCKET_TIMEOUT", 0.5),
        "socket_timeout": env_float("REDIS_SOCKET_TIMEOUT", 0.5),
        "BREAKER_SECONDS": env_float("REDIS_RETRY_SECONDS", 2.0),
    }}}
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": CACHE_TABLE,
            "OPTIONS": {"MAX_ENTRIES": env_int("DATABASE_CACHE_MAX_ENTRIES", 100_000)},
        }
    }

AUTH_USER_MODEL = "core.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(env_str("DJANGO_STATIC_ROOT") or VAR_DIR / "static")
# whitenoise serves the collected files (admin, the API docs' Swagger assets) with far-future caching.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# Behind a proxy / HTTPS (see README "Deploying").
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", [])
for _origin in CSRF_TRUSTED_ORIGINS:
    if "://" not in _origin:
        raise ImproperlyConfigured(
            f"DJANGO_CSRF_TRUSTED_ORIGINS items need a scheme (https://host), not {_origin!r}"
        )
if env_bool("DJANGO_SECURE_PROXY_SSL_HEADER", False):
    # The proxy in front sets X-Forwarded-Proto (and must strip any value the client sent).
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    USE_X_FORWARDED_HOST = env_bool("DJANGO_USE_X_FORWARDED_HOST", False)
SECURE = env_bool("DJANGO_SECURE", False)
if SECURE:
    SECURE_SSL_REDIRECT = True
    # the probes and the metrics scraper talk plain HTTP to the process itself
    SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^metrics$"]
    SECURE_HSTS_SECONDS = env_int("DJANGO_SECURE_HSTS_SECONDS", 31_536_000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = env_bool("DJANGO_SECURE_HSTS_PRELOAD", True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True

# Request size caps: JSON bodies and uploads.
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("DATA_UPLOAD_MAX_MEMORY_SIZE", 2 * 1024 * 1024)
FILE_UPLOAD_MAX_MEMORY_SIZE = DATA_UPLOAD_MAX_MEMORY_SIZE

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["core.authentication.CachedTokenAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["core.parsers.JSONParser"],
    "DEFAULT_PAGINATION_CLASS": "core.pagination.Pagination",
    "PAGE_SIZE": 100,
    "EXCEPTION_HANDLER": "core.errors.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "core.schema.AutoSchema",  # error answers and Idempotency-Key documented
    "UNAUTHENTICATED_USER": None,
    # core.throttling: per user (or client IP when anonymous), counted in the shared cache. Generous defaults
    # (a busy office behind one address, a test run registering hundreds of users); each from the environment.
    "DEFAULT_THROTTLE_CLASSES": ["core.throttling.ScopedThrottle"],
    "DEFAULT_THROTTLE_RATES": {
        "register": env_rate("THROTTLE_REGISTER", "1000/hour"),  # per client IP
        "token": env_rate("THROTTLE_TOKEN", "2000/hour"),  # per client IP (failed logins have their own limits)
        "slots": env_rate("THROTTLE_SLOTS", "600/min"),  # per user
        "imports": env_rate("THROTTLE_IMPORTS", "120/min"),  # per user: iCal uploads, URL imports, subscriptions
        "sync": env_rate("THROTTLE_SYNC", "60/min"),  # per user: any POST .../sync (Google, CalDAV, Microsoft)
        "public": env_rate("THROTTLE_PUBLIC", "300/min"),  # per client IP, the public scheduling-link calls
        "public_link": env_rate("THROTTLE_PUBLIC_LINK", "120/min"),  # per link token
    },
}
if DEBUG:
    REST_FRAMEWORK["DEFAULT_RENDERER_CLASSES"].append("rest_framework.renderers.BrowsableAPIRenderer")

SPECTACULAR_SETTINGS = {
    "TITLE": "Interview scheduling API",
    "DESCRIPTION": "Availability, the slot matcher, interviews, invites, calendar imports and feeds.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SWAGGER_UI_DIST": "SIDECAR",  # served from here: no CDN needed
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "SECURITY": [{"tokenAuth": []}],
    # Google and CalDAV connections share one status (active/broken)
    "ENUM_NAME_OVERRIDES": {"ConnectionStatusEnum": "integrations.models.ConnectionStatus"},
}

# Auth tokens
AUTH_TOKEN_TTL_DAYS = env_int("AUTH_TOKEN_TTL_DAYS", 30)
AUTH_TOKEN_CACHE_SECONDS = env_int("AUTH_TOKEN_CACHE_SECONDS", 300)
# A person's tokens at most (one per login): a new one past that revokes the oldest.
MAX_TOKENS_PER_USER = env_int("MAX_TOKENS_PER_USER", 100)
LOGIN_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 10)
LOGIN_FAILURE_WINDOW_SECONDS = env_int("LOGIN_FAILURE_WINDOW_SECONDS", 900)
# Failed logins from one client IP, counted once per address: password spraying over many addresses.
LOGIN_FAILURE_IP_LIMIT = env_int("LOGIN_FAILURE_IP_LIMIT", 20)

# Proxies of ours in front of the app that append to X-Forwarded-For (0: none, the client is REMOTE_ADDR).
# The client IP (throttles, login limits) is then the N-th address from the right; see core.client_ip.
# Set it with DJANGO_SECURE_PROXY_SSL_HEADER when a proxy terminates HTTPS in front of the app.
TRUSTED_PROXY_COUNT = env_int("DJANGO_TRUSTED_PROXY_COUNT", 0)

# The longest a request may run (at least the WSGI server's worker timeout): an Idempotency-Key claimed
# longer ago than this by a request that never answered belongs to a request that died, and may be taken over.
REQUEST_TIMEOUT_SECONDS = env_int("REQUEST_TIMEOUT_SECONDS", 60)

# Email: Django's own settings, by name.
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_FILE_PATH = env_str("EMAIL_FILE_PATH", str(VAR_DIR / "mail"))
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 30)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "interviews@localhost")

# Public base of absolute links (feeds, invites) when not answering a request.
PUBLIC_BASE_URL = (env_str("PUBLIC_BASE_URL", "http://localhost:8000") or "").rstrip("/")

# Calendar imports
ICAL_URL_ALLOW_PRIVATE = env_bool("ICAL_URL_ALLOW_PRIVATE", False)
# Networks allowed even though private (an intranet calendar server), e.g. "10.1.2.3/32".
ICAL_URL_ALLOWED_NETWORKS = env_list("ICAL_URL_ALLOWED_NETWORKS", [])
ICAL_MAX_BYTES = env_int("ICAL_MAX_BYTES", 2 * 1024 * 1024)
ICAL_FETCH_TIMEOUT_SECONDS = env_int("ICAL_FETCH_TIMEOUT_SECONDS", 10)
ICAL_EXPAND_DAYS = env_int("ICAL_EXPAND_DAYS", 180)
ICAL_MAX_PERIODS = env_int("ICAL_MAX_PERIODS", 5000)
ICAL_SUBSCRIPTION_REFRESH_MINUTES = env_int("ICAL_SUBSCRIPTION_REFRESH_MINUTES", 30)
# Each calendar is parsed in a child process killed after this many seconds, with this much address space.
ICAL_PARSE_SECONDS = env_int("ICAL_PARSE_SECONDS", 8)
ICAL_PARSE_MEMORY_MB = env_int("ICAL_PARSE_MEMORY_MB", 100)

# Quotas (core.quotas): what one person may keep. Generous for people (a window a day by hand for decades, a few
# weekly rules, several calendars); they bound what an account can add to the database and to searches.
MAX_WINDOWS_PER_USER = env_int("MAX_WINDOWS_PER_USER", 20_000)  # availability windows entered through the API
MAX_BUSY_PERIODS_PER_USER = env_int("MAX_BUSY_PERIODS_PER_USER", 20_000)  # busy time entered through the API
MAX_WEEKLY_RULES_PER_USER = env_int("MAX_WEEKLY_RULES_PER_USER", 100)
MAX_CALENDARS_PER_USER = env_int("MAX_CALENDARS_PER_USER", 50)  # imported calendars and subscriptions

# Google Calendar
GOOGLE_CLIENT_ID = env_str("GOOGLE_CLIENT_ID", "") or ""
GOOGLE_CLIENT_SECRET = env_str("GOOGLE_CLIENT_SECRET", "") or ""
GOOGLE_API_ENDPOINT = env_str("GOOGLE_API_ENDPOINT", "https://www.googleapis.com") or ""
GOOGLE_TOKEN_URI = env_str("GOOGLE_TOKEN_URI", "https://oauth2.googleapis.com/token") or ""
GOOGLE_AUTH_URI = env_str("GOOGLE_AUTH_URI", "https://accounts.google.com/o/oauth2/auth") or ""
GOOGLE_REVOKE_URI = env_str("GOOGLE_REVOKE_URI", "https://oauth2.googleapis.com/revoke") or ""
GOOGLE_REDIRECT_URI = env_str("GOOGLE_REDIRECT_URI", f"{PUBLIC_BASE_URL}/api/v1/integrations/google/callback")
GOOGLE_SYNC_DAYS = env_int("GOOGLE_SYNC_DAYS", 180)
GOOGLE_API_RETRIES = env_int("GOOGLE_API_RETRIES", 3)
# Keys that encrypt stored refresh tokens (Fernet), newest first: the first encrypts, all of them decrypt.
# FIELD_ENCRYPTION_KEY (one key) is still read; without either, a key is derived from SECRET_KEY.
FIELD_ENCRYPTION_KEYS = env_list("FIELD_ENCRYPTION_KEYS", []) or env_list("FIELD_ENCRYPTION_KEY", [])
FIELD_ENCRYPTION_KEY = FIELD_ENCRYPTION_KEYS[0] if FIELD_ENCRYPTION_KEYS else ""

# Connected calendars (Google, CalDAV, Microsoft 365): the seconds a booking may wait for their sync, all
# calls together (one try each, then the booking goes ahead on the last known busy time).
CALENDAR_BOOKING_BUDGET_SECONDS = float(env_str("CALENDAR_BOOKING_BUDGET_SECONDS", "") or 3.0)
# Microsoft 365 (Outlook): an app registration's id and secret; the redirect URI registered with it.
MICROSOFT_CLIENT_ID = env_str("MICROSOFT_CLIENT_ID", "") or ""
MICROSOFT_CLIENT_SECRET = env_str("MICROSOFT_CLIENT_SECRET", "") or ""
MICROSOFT_TENANT = env_str("MICROSOFT_TENANT", "common") or "common"
MICROSOFT_AUTHORITY = env_str("MICROSOFT_AUTHORITY", "https://login.microsoftonline.com") or ""
MICROSOFT_GRAPH_ENDPOINT = env_str("MICROSOFT_GRAPH_ENDPOINT", "https://graph.microsoft.com/v1.0") or ""
MICROSOFT_REDIRECT_URI = env_str("MICROSOFT_REDIRECT_URI", f"{PUBLIC_BASE_URL}/api/v1/integrations/microsoft/callback")
MICROSOFT_API_RETRIES = env_int("MICROSOFT_API_RETRIES", 2)  # the worker's retries of 429/5xx (after Retry-After)
# How far ahead CalDAV and Microsoft 365 busy time is read (Google: GOOGLE_SYNC_DAYS).
CALENDAR_SYNC_DAYS = env_int("CALENDAR_SYNC_DAYS", 180)
# The certificate authorities that CalDAV servers' certificates are checked against: a PEM file. The default
# is certifi's public ones; a self-hosted server under a private CA needs a bundle with that CA too, such as
# the system's once the CA is added to it (/etc/ssl/certs/ca-certificates.crt on Debian and Ubuntu).
CALDAV_CA_BUNDLE = env_str("CALDAV_CA_BUNDLE") or certifi.where()
if not Path(CALDAV_CA_BUNDLE).is_file():
    raise ImproperlyConfigured(f"CALDAV_CA_BUNDLE names no file: {CALDAV_CA_BUNDLE}")

# Background tasks: django-q2 on the database, or on Redis when REDIS_URL is set.
Q_CLUSTER = {
    "name": "interviews",
    "workers": env_int("Q_WORKERS", 2),
    "timeout": 120,
    "retry": 180,
    "max_attempts": 5,
    "ack_failures": False,  # a failed task is delivered again (up to max_attempts)
    "catch_up": False,
    # Successful tasks are not stored: what they did is recorded where it belongs (the invite outbox, each calendar
    # connection's last sync). Storing one cost the cluster's single monitor process a locked read of the last 250
    # successes per task, which held the invite worker near 120 invites/s. Failed tasks are still stored.
    "save_limit": -1,
    "sync": env_bool("Q_SYNC", False),
    # tasks fetched ahead of the workers: few, so that a stop has little to finish (see ops.worker)
    "queue_limit": env_int("Q_WORKERS", 2),
}
# bin/worker: how long a stop may take to finish the tasks in hand before the rest is killed.
WORKER_STOP_GRACE_SECONDS = env_int("WORKER_STOP_GRACE_SECONDS", 10)
if REDIS_URL:
    Q_CLUSTER["redis"] = REDIS_URL
    # socket timeouts and the cache's breaker: queueing a task cannot hang a request on a stuck Redis
    Q_CLUSTER["broker_class"] = "core.cache_backends.ResilientRedisBroker"
else:
    Q_CLUSTER["orm"] = "default"

# Logs: one JSON object per line on stderr (LOG_FORMAT=text for the plain lines of a terminal).
LOG_FORMAT = env_str("LOG_FORMAT", "json")
if LOG_FORMAT not in ("json", "text"):
    raise ImproperlyConfigured(f"LOG_FORMAT must be json or text, not {LOG_FORMAT!r}")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request": {"()": "core.observability.RequestContextFilter"},
                "long": {"()": "core.observability.LongMessageFilter"}},
    "formatters": {
        "json": {"()": "core.observability.JsonFormatter"},
        "text": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "level": env_str("LOG_LEVEL", "INFO"),
            "formatter": LOG_FORMAT,
            "filters": ["request", "long"],
        }
    },
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    # the request log line comes from core.observability, with status and duration
    "loggers": {"django.server": {"level": "WARNING"}, "gunicorn.access": {"level": "WARNING"}},
}

# Metrics (GET /metrics, Prometheus text): off unless METRICS_TOKEN is set; scrapers send it as a bearer token.
METRICS_TOKEN = env_str("METRICS_TOKEN", "") or ""
