"""EventHub settings, read from the environment with safe local defaults.

Every hub-specific setting is prefixed EVENTHUB_ and documented in docs/configuration.md.
EVENTHUB_ENV=production switches on the deployment hardening.
"""

from __future__ import annotations

import base64
import hashlib
from datetime import timedelta
from pathlib import Path

import dj_database_url
from cryptography.fernet import Fernet

from eventhub.deploy_checks import refuse_local_in_production
from eventhub.env import env_bool, env_float, env_int, env_list, env_str
from eventhub.local_secret import load_or_create as load_or_create_secret

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("EVENTHUB_VAR_DIR", str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)

EVENTHUB_ENV = env_str("EVENTHUB_ENV", "development")
PRODUCTION = EVENTHUB_ENV == "production"

# No public default: outside production an unset key is generated once and kept in var/ (mode 0600).
SECRET_KEY = env_str("EVENTHUB_SECRET_KEY", "")
if not SECRET_KEY:
    if PRODUCTION:
        raise RuntimeError("EVENTHUB_SECRET_KEY must be set when EVENTHUB_ENV=production")
    SECRET_KEY = load_or_create_secret(VAR_DIR / "secret_key")
DEBUG = env_bool("EVENTHUB_DEBUG", False)
ALLOWED_HOSTS = env_list("EVENTHUB_ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("EVENTHUB_CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "django_filters",
    "django_celery_beat",
    "axes",
    "eventhub",
    "subscriptions",
    "deliveries",
    "scheduled_events",
    "portal",
    # Tooling that runs inside the hub's processes without the hub knowing it (the benchmark's statement
    # counter): comma-separated app modules or AppConfig paths.
    *env_list("EVENTHUB_EXTRA_APPS", []),
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",  # admin's static files from any server, no DEBUG needed
    "eventhub.not_found.JsonNotFoundMiddleware",
    "eventhub.middleware.RejectNulCharactersMiddleware",
    # Sessions, Django auth and messages for browser pages; skipped on /v1/ and /organizations/
    # (key-authenticated DRF views), where they only cost time (eventhub/browser_middleware.py). CSRF
    # stays Django's own (deploy checks look for it; DRF views are exempt, so it does little there).
    "eventhub.browser_middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "eventhub.browser_middleware.AuthenticationMiddleware",
    "eventhub.browser_middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "eventhub.middleware.DatabaseUnavailableMiddleware",
    "axes.middleware.AxesMiddleware",  # last: turns a locked-out login into its 429 response
]
APPEND_SLASH = False  # SDK clients follow redirects and turn a POST into a GET; routes match exactly.

ROOT_URLCONF = "eventhub.urls"
WSGI_APPLICATION = "eventhub.wsgi.application"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ]
        },
    }
]

DATABASE_URL = env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'eventhub.sqlite3'}")
DATABASES = {
    "default": dj_database_url.parse(DATABASE_URL, conn_max_age=env_int("EVENTHUB_DB_CONN_MAX_AGE", 60))
}
# PostgreSQL only (eventhub/prepared.py); EVENTHUB_DB_PREPARED_INSERT is its earlier name, still read.
EVENTHUB_DB_PREPARED_STATEMENTS = env_bool(
    "EVENTHUB_DB_PREPARED_STATEMENTS", env_bool("EVENTHUB_DB_PREPARED_INSERT", True)
)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Web, worker and beat share one file locally: WAL lets readers run beside the single writer,
    # and IMMEDIATE transactions queue writers instead of failing with "database is locked".
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 30,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    # A file (not :memory:) so end-to-end tests can share the test database with a worker process.
    DATABASES["default"]["TEST"] = {
        "NAME": str(VAR_DIR / env_str("EVENTHUB_TEST_DB_NAME", "test_eventhub.sqlite3"))
    }
else:
    # A SELECT 1 on a kept connection before each request's first query (web) or task's (workers).
    # Off, a connection the server dropped fails one request with a retryable 503 and is then replaced.
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = env_bool("EVENTHUB_DB_HEALTH_CHECKS", True)
    # Behind PgBouncer in transaction mode (docs/deploy.md): no named cursors across transactions.
    DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = env_bool(
        "EVENTHUB_DB_DISABLE_SERVER_SIDE_CURSORS", False
    )
    # A one-event publish's INSERT and the delivery claim are statements prepared once per connection
    # (eventhub/prepared.py): the threshold 0 prepares what binds on the server at its first run; nothing
    # else binds on the server. Off behind PgBouncer in transaction mode (they are per server connection).
    if EVENTHUB_DB_PREPARED_STATEMENTS:
        DATABASES["default"].setdefault("OPTIONS", {})["prepare_threshold"] = 0
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

CACHE_URL = env_str("EVENTHUB_CACHE_URL", "")
# Rate-limit counters (the `ratelimit` cache) must be shared by every web process: the cache server, else
# a database table (made by migration eventhub 0004 and by `createcachetable`), never per-process memory.
if CACHE_URL.startswith("redis"):
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": CACHE_URL}}
    CACHES["ratelimit"] = {**CACHES["default"], "KEY_PREFIX": "ratelimit"}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "eventhub"}}
    CACHES["ratelimit"] = {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": "eventhub_cache",
    }

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

# --- Admin login lockout (django-axes) -----------------------------------------------------------
# Failures are counted in the database, which every web process shares (the cache may be per-process
# locally). A username is locked out from one address after the limit; the cool-off lifts it.
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]
AXES_ENABLED = env_bool("EVENTHUB_ADMIN_LOCKOUT_ENABLED", True)
AXES_FAILURE_LIMIT = env_int("EVENTHUB_ADMIN_LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_float("EVENTHUB_ADMIN_LOGIN_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_HANDLER = "axes.handlers.database.AxesDatabaseHandler"
AXES_ENABLE_ADMIN = False  # eventhub.admin_lockout registers it, with its action's permission declared

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)  # WhiteNoise warns on every start until collectstatic has run
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

# --- Django REST framework and OpenAPI -------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["eventhub.api.authentication.ApiKeyAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["eventhub.api.permissions.HasAccountOrStaffKey"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["eventhub.api.parsers.LenientJSONParser"],
    "EXCEPTION_HANDLER": "eventhub.api.errors.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "UNAUTHENTICATED_USER": None,
    "DEFAULT_THROTTLE_CLASSES": ["eventhub.api.throttling.ApiKeyRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {"api_key": env_str("EVENTHUB_RATE_LIMIT", "6000/min")},
}
SPECTACULAR_SETTINGS = {
    "TITLE": "EventHub API",
    "DESCRIPTION": "Event catalog, ingest, subscriptions and webhook deliveries. "
    "`/v1/...` is the card-issuing dialect; `/organizations/{orgId}/...` the billing-platform dialect.",
    "VERSION": "0.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
}

# --- Celery ----------------------------------------------------------------------------------
BROKER_DIR = VAR_DIR / "broker"
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", "filesystem://")
if CELERY_BROKER_URL.startswith("filesystem"):
    for sub in ("queue", "processed", "control"):
        (BROKER_DIR / sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(BROKER_DIR / "queue"),
        "data_folder_out": str(BROKER_DIR / "queue"),
        "processed_folder": str(BROKER_DIR / "processed"),
        "control_folder": str(BROKER_DIR / "control"),
        "store_processed": False,
    }
else:
    CELERY_BROKER_TRANSPORT_OPTIONS = {}
# A broker that accepts connections and never answers must not hold up an API request's wake-up kick
# (the event is committed; the sweeper delivers it when the broker is back): every connect, read and
# write to the broker is bounded, and publishes are retried a bounded number of times.
EVENTHUB_BROKER_TIMEOUT = env_float("EVENTHUB_BROKER_TIMEOUT", 1.0)
EVENTHUB_BROKER_PUBLISH_RETRIES = env_int("EVENTHUB_BROKER_PUBLISH_RETRIES", 1)
CELERY_BROKER_CONNECTION_TIMEOUT = EVENTHUB_BROKER_TIMEOUT
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": EVENTHUB_BROKER_PUBLISH_RETRIES,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.2,
}
if CELERY_BROKER_URL.startswith(("redis", "rediss")):
    CELERY_BROKER_TRANSPORT_OPTIONS |= {
        "socket_connect_timeout": EVENTHUB_BROKER_TIMEOUT,
        "socket_timeout": EVENTHUB_BROKER_TIMEOUT,
        "retry_on_timeout": False,
        "max_retries": EVENTHUB_BROKER_PUBLISH_RETRIES,
        # No unacked-message bookkeeping: kombu's ack emulation writes every received task to a hash and
        # an index in a MULTI pipeline and removes it on ack, ~60 % of the worker's cost of receiving a
        # kick; it only ever redelivers after kombu's visibility timeout (an hour; without the emulation
        # that timeout is never read, so it is not set here). The database is the source
        # of truth: the sweeper re-dispatches what a lost kick or a killed worker left (docs/decisions.md).
        "ack_emulation": False,
    }
elif CELERY_BROKER_URL.startswith(("amqp", "pyamqp")):
    # confirm_publish: a publish returns only once RabbitMQ has the message (or fails within the timeout).
    CELERY_BROKER_TRANSPORT_OPTIONS |= {
        "confirm_publish": True,
        "confirm_timeout": EVENTHUB_BROKER_TIMEOUT,
        "connect_timeout": EVENTHUB_BROKER_TIMEOUT,
        "read_timeout": EVENTHUB_BROKER_TIMEOUT,
        "write_timeout": EVENTHUB_BROKER_TIMEOUT,
        "max_retries": EVENTHUB_BROKER_PUBLISH_RETRIES,
    }
CELERY_TASK_IGNORE_RESULT = True
CELERY_RESULT_BACKEND = None
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_TIMEZONE = "UTC"
CELERY_TASK_ALWAYS_EAGER = env_bool("EVENTHUB_CELERY_EAGER", False)
# First tries and retries have their own queues, so a failing endpoint's retries never delay first tries.
CELERY_TASK_ROUTES = {
    "deliveries.deliver_due": {"queue": "deliveries"},
    "deliveries.deliver_retries": {"queue": "retries"},
}
if CELERY_BROKER_URL.startswith("filesystem"):
    CELERY_BROKER_TRANSPORT_OPTIONS["polling_interval"] = (
        0.1  # kombu's default 1 s would delay every delivery
    )

# --- EventHub ---------------------------------------------------------------------------------
EVENTHUB_MAX_PAYLOAD_BYTES = env_int("EVENTHUB_MAX_PAYLOAD_BYTES", 256 * 1024)
EVENTHUB_MAX_BATCH_SIZE = env_int("EVENTHUB_MAX_BATCH_SIZE", 1000)
EVENTHUB_MAX_REQUEST_BYTES = env_int("EVENTHUB_MAX_REQUEST_BYTES", 16 * 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = EVENTHUB_MAX_REQUEST_BYTES
# The plain one-event POST /v1/events skips DRF's dispatch (eventhub/api/lean_publish.py); off, DRF serves it all.
EVENTHUB_LEAN_PUBLISH = env_bool("EVENTHUB_LEAN_PUBLISH", True)
EVENTHUB_MAX_SCHEMA_BYTES = env_int("EVENTHUB_MAX_SCHEMA_BYTES", 64 * 1024)
# Secrets at rest and API-key hashes have keys of their own (not SECRET_KEY), so each can be rotated
# alone. Production must set both; development derives them from SECRET_KEY (generated when unset).
EVENTHUB_ENCRYPTION_KEYS = env_list("EVENTHUB_ENCRYPTION_KEYS", [])
EVENTHUB_API_KEY_PEPPER = env_str("EVENTHUB_API_KEY_PEPPER", "")
if PRODUCTION and not (EVENTHUB_ENCRYPTION_KEYS and EVENTHUB_API_KEY_PEPPER):
    raise RuntimeError(
        "EVENTHUB_ENCRYPTION_KEYS (comma-separated Fernet keys, the first encrypts) and EVENTHUB_API_KEY_PEPPER "
        "must be set when EVENTHUB_ENV=production; generate a key with "
        "python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'"
    )
if not EVENTHUB_ENCRYPTION_KEYS:
    EVENTHUB_ENCRYPTION_KEYS = [
        base64.urlsafe_b64encode(
            hashlib.sha256(("eventhub-encryption-key:" + SECRET_KEY).encode()).digest()
        ).decode()
    ]
for _key in EVENTHUB_ENCRYPTION_KEYS:
    try:
        Fernet(_key.encode())
    except ValueError as _exc:
        raise RuntimeError(
            "every EVENTHUB_ENCRYPTION_KEYS entry must be a Fernet key (32 url-safe base64-encoded bytes)"
        ) from _exc
# The development pepper is SECRET_KEY itself, so keys issued before this setting existed still match.
EVENTHUB_API_KEY_PEPPER = EVENTHUB_API_KEY_PEPPER or SECRET_KEY
# Legacy, decrypt-only: values stored before EVENTHUB_ENCRYPTION_KEYS were encrypted with a key stretched
# from this passphrase; `manage.py rotate_encryption_key` moves them to the first key.
EVENTHUB_SECRET_ENCRYPTION_KEY = env_str("EVENTHUB_SECRET_ENCRYPTION_KEY", SECRET_KEY)
EVENTHUB_DEFAULT_RETENTION_DAYS = env_int("EVENTHUB_DEFAULT_RETENTION_DAYS", 30)
EVENTHUB_TRUSTED_PROXY_COUNT = env_int(
    "EVENTHUB_TRUSTED_PROXY_COUNT", 0
)  # proxies whose X-Forwarded-For is believed
EVENTHUB_MAX_CAUSAL_DEPTH = env_int("EVENTHUB_MAX_CAUSAL_DEPTH", 4)
EVENTHUB_OAUTH_TOKEN_TTL = env_int("EVENTHUB_OAUTH_TOKEN_TTL", 18000)

# Delivery engine (DESIGN section 4).
EVENTHUB_RETRY_SCHEDULE = [
    float(s)
    for s in env_list("EVENTHUB_RETRY_SCHEDULE", ["5", "300", "1800", "7200", "18000", "36000", "36000"])
]
EVENTHUB_DELIVERY_TIMEOUT = env_float("EVENTHUB_DELIVERY_TIMEOUT", 15.0)
EVENTHUB_CONNECT_TIMEOUT = env_float("EVENTHUB_CONNECT_TIMEOUT", 5.0)
EVENTHUB_RESPONSE_BODY_CAP = env_int("EVENTHUB_RESPONSE_BODY_CAP", 20 * 1024)
EVENTHUB_LEASE_SECONDS = env_int("EVENTHUB_LEASE_SECONDS", 60)
EVENTHUB_CLAIM_BATCH = env_int("EVENTHUB_CLAIM_BATCH", 50)
# Per-process memo of keys, event types, rules and subscriptions on the publish path (eventhub/hotcache.py);
# capped at 1 s, the longest a change may take to reach every process. 0 turns it off.
EVENTHUB_HOT_CACHE_SECONDS = env_float("EVENTHUB_HOT_CACHE_SECONDS", 0.5)
# Committed publishes' worker kicks are sent by one thread per process, at most one per this many seconds
# (deliveries/kicker.py): the longest a kick waits to be coalesced with others.
EVENTHUB_KICK_COALESCE_SECONDS = env_float("EVENTHUB_KICK_COALESCE_SECONDS", 0.005)
# At most one immediate kick per lane waiting in the broker (deliveries/services/dispatch.py); it needs a
# cache every process shares, so it is on with a Redis cache only.
EVENTHUB_KICK_GATE = env_bool("EVENTHUB_KICK_GATE", CACHE_URL.startswith("redis"))
# A send still running after this many seconds is left to record its own outcome, freeing its loop.
EVENTHUB_DETACH_SLOW_SENDS_SECONDS = env_float("EVENTHUB_DETACH_SLOW_SENDS_SECONDS", 0.1)
EVENTHUB_SUBSCRIPTION_CONCURRENCY = env_int("EVENTHUB_SUBSCRIPTION_CONCURRENCY", 10)
EVENTHUB_AUTO_DISABLE_DAYS = env_float("EVENTHUB_AUTO_DISABLE_DAYS", 5.0)
EVENTHUB_SWEEP_SECONDS = env_float("EVENTHUB_SWEEP_SECONDS", 5.0)
# How long one delivery task keeps claiming before it hands over to a fresh task.
EVENTHUB_DELIVERY_TASK_SECONDS = env_float("EVENTHUB_DELIVERY_TASK_SECONDS", 30.0)
# Workers freeze their start-up objects once ready, so full garbage collections (64-81 ms with the GIL
# held, every lane stopped) no longer walk them (eventhub/gc_freeze.py).
EVENTHUB_GC_FREEZE = env_bool("EVENTHUB_GC_FREEZE", True)
EVENTHUB_SECRET_ROTATION_GRACE_HOURS = env_float("EVENTHUB_SECRET_ROTATION_GRACE_HOURS", 24.0)
EVENTHUB_RECOVERY_MAX_DAYS = env_int("EVENTHUB_RECOVERY_MAX_DAYS", 14)
EVENTHUB_RECOVERY_MAX_MESSAGES = env_int("EVENTHUB_RECOVERY_MAX_MESSAGES", 10000)
EVENTHUB_HEALTH_CACHE_SECONDS = env_int("EVENTHUB_HEALTH_CACHE_SECONDS", 30)
# Scheduled events (DESIGN section 5).
EVENTHUB_SCHEDULER_OVERLAP_SECONDS = env_int("EVENTHUB_SCHEDULER_OVERLAP_SECONDS", 300)
EVENTHUB_SCHEDULER_FULL_PASS_HOURS = env_float("EVENTHUB_SCHEDULER_FULL_PASS_HOURS", 24.0)
EVENTHUB_SCHEDULER_LEASE_SECONDS = env_int("EVENTHUB_SCHEDULER_LEASE_SECONDS", 600)
# SSRF guard: addresses/networks/hostnames the sender may reach although private (e.g. "127.0.0.1,::1").
EVENTHUB_SSRF_ALLOW = env_list("EVENTHUB_SSRF_ALLOW", [])
# Hosts for which plain http:// endpoint URLs are accepted (https is required otherwise).
EVENTHUB_ALLOW_HTTP_HOSTS = env_list("EVENTHUB_ALLOW_HTTP_HOSTS", [])
refuse_local_in_production(PRODUCTION, EVENTHUB_SSRF_ALLOW, EVENTHUB_ALLOW_HTTP_HOSTS)

# --- Production hardening (manage.py check --deploy) -------------------------------------------
if PRODUCTION:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("EVENTHUB_SECURE_SSL_REDIRECT", True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env_int("EVENTHUB_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_CONTENT_TYPE_NOSNIFF = True

# --- Operations: logs, metrics, readiness ------------------------------------------------------
EVENTHUB_LOG_FORMAT = env_str("EVENTHUB_LOG_FORMAT", "text")  # "json": one JSON object per line
# /metrics answers a request that carries this bearer token or comes from an allowed network; neither
# set means /metrics is off (404).
EVENTHUB_METRICS_TOKEN = env_str("EVENTHUB_METRICS_TOKEN", "")
EVENTHUB_METRICS_ALLOW = env_list("EVENTHUB_METRICS_ALLOW", [])
# prometheus_client's multiprocess directory (gunicorn and Celery processes write their samples there).
EVENTHUB_METRICS_DIR = env_str("PROMETHEUS_MULTIPROC_DIR", "")
EVENTHUB_READY_BROKER_TIMEOUT = env_float("EVENTHUB_READY_BROKER_TIMEOUT", 1.0)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "json": {"()": "eventhub.logs.JsonFormatter"},
        "text": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "json" if EVENTHUB_LOG_FORMAT == "json" else "text",
        }
    },
    "root": {"handlers": ["console"], "level": env_str("EVENTHUB_LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}

# --- Customer portal (portal/, docs/portal.md) -------------------------------------------------
EVENTHUB_PORTAL_LINK_SECONDS = env_int("EVENTHUB_PORTAL_LINK_SECONDS", 3600)  # a link's default lifetime
EVENTHUB_PORTAL_LINK_MAX_SECONDS = env_int(
    "EVENTHUB_PORTAL_LINK_MAX_SECONDS", 86400
)  # longest one may ask for
EVENTHUB_PORTAL_SESSION_SECONDS = env_int(
    "EVENTHUB_PORTAL_SESSION_SECONDS", 8 * 3600
)  # a session, once opened
EVENTHUB_PORTAL_BASE_URL = env_str(
    "EVENTHUB_PORTAL_BASE_URL", ""
)  # origin of minted links; empty: the request's
# Origins allowed to embed the portal in an iframe (CSP frame-ancestors); empty: none.
EVENTHUB_PORTAL_FRAME_ANCESTORS = env_list("EVENTHUB_PORTAL_FRAME_ANCESTORS", [])
if EVENTHUB_PORTAL_FRAME_ANCESTORS and PRODUCTION:
    # A cross-site iframe only sends cookies marked SameSite=None; Secure (production sets Secure).
    SESSION_COOKIE_SAMESITE = "None"
    CSRF_COOKIE_SAMESITE = "None"
