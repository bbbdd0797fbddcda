"""Brigade's one settings module: every value comes from the environment (see README)."""

from __future__ import annotations

from brigade.config import (
    BASE_DIR,
    ConfigurationError,
    celery_broker_url,
    celery_redis_url,
    database_config,
    env_bool,
    env_choice,
    env_int,
    env_list,
    env_str,
    local_secret_key,
    pool_settings,
    redis_url,
    var_dir,
)
from core.redis_clients import connection_options

DEBUG = env_bool("DEBUG", default=False)

SECRET_KEY = env_str("SECRET_KEY", local_secret_key() if DEBUG else None)
if not DEBUG and len(SECRET_KEY) < 50:
    raise ConfigurationError("SECRET_KEY", "must be a random string of at least 50 characters")

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
if "*" in ALLOWED_HOSTS:
    # AllowedHostsOriginValidator would then accept WebSockets from any web page.
    raise ConfigurationError("ALLOWED_HOSTS", "must list host names; '*' disables origin checks")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "servestatic.runserver_nostatic",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "channels",
    "django_celery_beat",
    "ninja",  # serves the API docs' Swagger UI from its own static files, not a CDN
    "core",
    "accounts",
    "kitchen",
    "chat",
    "expenses",
    "jobs",
    "notifications",
    "imports",
]

# The cheap async request path (core/fastpath/, accounts/backends.py): Django's handler,
# middleware, cache, sessions and auth backend without thread hops. An optimisation, never a
# requirement: FASTPATH=0 runs on Django's stock ones (the private names it relies on, and the
# test that notices when Django changes them, are in core/upstream.py).
FASTPATH = env_bool("FASTPATH", default=True)

_STOCK_MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "servestatic.middleware.ServeStaticMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]
# Django's standard middleware, run without thread hops on async requests (core/fastpath/middleware.py).
_FAST_MIDDLEWARE = [
    "core.fastpath.middleware.InlineSecurityMiddleware",
    "servestatic.middleware.ServeStaticMiddleware",
    "core.fastpath.middleware.InlineSessionMiddleware",
    "core.fastpath.middleware.InlineCommonMiddleware",
    "core.fastpath.middleware.InlineCsrfViewMiddleware",
    "core.fastpath.middleware.InlineAuthenticationMiddleware",
    "core.fastpath.middleware.InlineMessageMiddleware",
    "core.fastpath.middleware.InlineXFrameOptionsMiddleware",
]
MIDDLEWARE = _FAST_MIDDLEWARE if FASTPATH else _STOCK_MIDDLEWARE

# Django's checks look for the exact dotted paths of these three; core/checks.py checks the
# inline subclasses instead (brigade.W001-W003).
SILENCED_SYSTEM_CHECKS = ["security.W001", "security.W002", "security.W003"] if FASTPATH else []

ROOT_URLCONF = "brigade.urls"
ASGI_APPLICATION = "brigade.asgi.application"

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
                "accounts.context_processors.signup",
            ],
        },
    },
]

# PostgreSQL connections come from a pool (DB_POOL_*); SQLite opens its file per connection.
DATABASES = {"default": database_config(pool=pool_settings())}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Sessions live in the database and are read through the Redis cache; the signed-in user is
# cached too (accounts/backends.py). An authenticated async request then needs no database query.
SESSION_ENGINE = "core.fastpath.sessions" if FASTPATH else "django.contrib.sessions.backends.cached_db"
AUTHENTICATION_BACKENDS = [
    "accounts.backends.CachedModelBackend" if FASTPATH else "django.contrib.auth.backends.ModelBackend"
]

REDIS_URL = redis_url()
# Every key and channel in Redis starts with this (core/redis_clients.py: key()).
REDIS_KEY_PREFIX = env_str("REDIS_KEY_PREFIX", "brigade")
CACHES = {
    "default": {
        # Native async methods and shared connection pools on the fast path.
        "BACKEND": "core.fastpath.cache.RedisCache" if FASTPATH else "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": REDIS_KEY_PREFIX,
        # Pooled connections found dead after a Redis restart are retried, not failed.
        "OPTIONS": connection_options(for_asyncio=False),
    }
}

CHANNEL_LAYERS = {
    "default": {
        "BACKEND": "channels_redis.core.RedisChannelLayer",
        "CONFIG": {
            "hosts": [{"address": REDIS_URL, **connection_options(for_asyncio=True)}],
            "prefix": REDIS_KEY_PREFIX,
            "capacity": 1000,
            "expiry": 30,
        },
    }
}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Who may create an account (README, "Who may get in"): "open" (anyone), "invite" (with a
# staff member's invitation link, valid INVITATION_DAYS) or "closed" (staff create accounts in
# the admin). Closed unless DEBUG, so a production site is never open by mistake.
SIGNUP = env_choice("SIGNUP", default="open" if DEBUG else "closed", choices=("closed", "invite", "open"))
INVITATION_DAYS = env_int("INVITATION_DAYS", default=7, minimum=1, maximum=90)
# Failed log-ins allowed per account and per client address within LOGIN_FAILURE_WINDOW_SECONDS
# (token buckets in Redis: the allowance refills evenly over the window).
LOGIN_FAILURES_PER_ACCOUNT = env_int("LOGIN_FAILURES_PER_ACCOUNT", default=5, minimum=1, maximum=10_000)
LOGIN_FAILURES_PER_ADDRESS = env_int("LOGIN_FAILURES_PER_ADDRESS", default=20, minimum=1, maximum=100_000)
LOGIN_FAILURE_WINDOW_SECONDS = env_int("LOGIN_FAILURE_WINDOW_SECONDS", default=900, minimum=1, maximum=7 * 24 * 3600)
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "kitchen:recipe-list"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = env_str("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
# Production serves collectstatic's hashed, compressed files; development and tests serve
# straight from the app folders.
STATIC_COLLECTED = env_bool("STATIC_COLLECTED", default=not DEBUG)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "servestatic.storage.CompressedManifestStaticFilesStorage"
            if STATIC_COLLECTED
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
SERVESTATIC_USE_FINDERS = not STATIC_COLLECTED
SERVESTATIC_AUTOREFRESH = DEBUG

# Ingredient prices: "offline" (the bundled list), "feed" (PRICE_FEED_URL, JSON or CSV) or
# "open-prices" (Open Food Facts' Open Prices API).
PRICE_PROVIDER = env_str("PRICE_PROVIDER", "offline")
if PRICE_PROVIDER not in {"offline", "feed", "open-prices"}:
    raise ConfigurationError("PRICE_PROVIDER", f"must be offline, feed or open-prices, got {PRICE_PROVIDER!r}")
PRICE_FEED_URL = env_str("PRICE_FEED_URL", "")
if PRICE_PROVIDER == "feed" and not PRICE_FEED_URL.startswith(("http://", "https://")):
    raise ConfigurationError("PRICE_FEED_URL", "must be an http(s) URL when PRICE_PROVIDER=feed")
PRICE_FEED_FORMAT = env_str("PRICE_FEED_FORMAT", "json")
if PRICE_FEED_FORMAT not in {"json", "csv"}:
    raise ConfigurationError("PRICE_FEED_FORMAT", f"must be json or csv, got {PRICE_FEED_FORMAT!r}")
OPEN_PRICES_URL = env_str("OPEN_PRICES_URL", "https://prices.openfoodfacts.org")
PRICE_CURRENCY = env_str("PRICE_CURRENCY", "EUR")
PRICE_HTTP_TIMEOUT = env_int("PRICE_HTTP_TIMEOUT_MS", default=2000, minimum=50, maximum=60000) / 1000
# The dashboard waits this long for a live price check before rendering from stored prices.
PRICE_LIVE_BUDGET = env_int("PRICE_LIVE_BUDGET_MS", default=300, minimum=10, maximum=10000) / 1000

# E-mail (Celery tasks send through this).
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", default=25, minimum=1, maximum=65535)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", default=False)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", default=10, minimum=1)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Brigade <brigade@localhost>")
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")

# Work that fails for a transient reason (SMTP down or answering 4xx, a network blip) is tried
# again this many times, after exponential backoff with jitter from this base, capped (then it is
# recorded as failed). Countdowns stay far below the broker's visibility timeout.
TRANSIENT_RETRIES = env_int("TRANSIENT_RETRIES", default=5, maximum=20)
TRANSIENT_RETRY_BASE = env_int("TRANSIENT_RETRY_BASE_MS", default=5000, minimum=10, maximum=60_000) / 1000
TRANSIENT_RETRY_CAP = 300
# Absolute links in e-mails start with this (the address people open Brigade at).
SITE_URL = env_str("SITE_URL", "http://localhost:8000").rstrip("/")

# Celery: the broker is Redis (REDIS_URL's) unless CELERY_BROKER_URL names RabbitMQ (amqp://);
# results go to Redis. Tasks are acknowledged only after they finish, so a worker that dies
# mid-task has it redelivered: every task must be idempotent.
CELERY_BROKER_URL = celery_broker_url(REDIS_URL)
CELERY_RESULT_BACKEND = celery_redis_url(REDIS_URL)
CELERY_TASK_DEFAULT_QUEUE = env_str("CELERY_QUEUE", "brigade")
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# A task not acknowledged this long after delivery is delivered again (Redis; RabbitMQ redelivers
# when the worker's connection drops, and gives up on a delivery unacknowledged for 30 minutes):
# every time limit, countdown and ETA must stay below both (jobs.kinds refuses a kind over RabbitMQ's,
# `manage.py check` one over this).
CELERY_VISIBILITY_TIMEOUT = env_int("CELERY_VISIBILITY_TIMEOUT", default=3600, minimum=4, maximum=12 * 3600)
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": CELERY_VISIBILITY_TIMEOUT,
    # How often a Redis worker looks for messages whose worker died (kombu's default: about every
    # 100 s, 10 s x a scan every 10th time): a quarter of the timeout, at most every minute.
    "unacked_restore_interval": max(1, min(60, CELERY_VISIBILITY_TIMEOUT // 4)),
    "unacked_restore_throttle": 1,
}
CELERY_RESULT_EXPIRES = 24 * 3600
CELERY_TIMEZONE = TIME_ZONE
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
# Beat's schedule lives in the database only (admin → Periodic tasks); a data migration adds the
# defaults once (core/migrations/0001_default_beat_schedules.py). No CELERY_BEAT_SCHEDULE: the
# stock DatabaseScheduler would write it over the admin's edits at every start (brigade/beat.py).
CELERY_BEAT_SCHEDULER = "brigade.beat:DatabaseScheduler"

# Background jobs (jobs/): a running job's worker writes its heartbeat this often; a running job
# whose heartbeat is older than JOBS_STALE_SECONDS has lost its worker and is taken over (by a
# worker starting, or by its task delivered again), long before the visibility timeout.
JOBS_HEARTBEAT_SECONDS = env_int("JOBS_HEARTBEAT_SECONDS", default=5, minimum=1, maximum=600)
JOBS_STALE_SECONDS = env_int("JOBS_STALE_SECONDS", default=30, minimum=2, maximum=CELERY_VISIBILITY_TIMEOUT // 2)
if JOBS_STALE_SECONDS < 2 * JOBS_HEARTBEAT_SECONDS:
    raise ConfigurationError(
        "JOBS_STALE_SECONDS", f"must be at least twice JOBS_HEARTBEAT_SECONDS ({JOBS_HEARTBEAT_SECONDS})"
    )

# Recipe import (imports/): uploads are kept in the media folder, which every worker must be able
# to read (on several machines: a shared volume, or object storage through STORAGES).
MEDIA_ROOT = env_str("MEDIA_ROOT", str(var_dir() / "media"))
IMPORT_MAX_BYTES = env_int("IMPORT_MAX_MB", default=50, minimum=1, maximum=10_000) * 1024 * 1024
# Records written per transaction (the import's cursor commits with each batch).
IMPORT_BATCH_SIZE = env_int("IMPORT_BATCH_SIZE", default=500, minimum=1, maximum=20_000)

# Co-editing (kitchen/collab): a document's stored updates are folded into its snapshot every
# this many, so opening a recipe reads one snapshot and at most this many updates.
COLLAB_COMPACT_EVERY = env_int("COLLAB_COMPACT_EVERY", default=1000, minimum=10, maximum=100_000)
IMPORT_FETCH_TIMEOUT = env_int("IMPORT_FETCH_TIMEOUT", default=10, minimum=1, maximum=120)
IMPORT_FETCH_MAX_BYTES = env_int("IMPORT_FETCH_MAX_MB", default=5, minimum=1, maximum=100) * 1024 * 1024
# Networks a recipe URL may point into although private (loopback, LAN): none, unless listed (CIDRs).
IMPORT_FETCH_ALLOW_NETWORKS = env_list("IMPORT_FETCH_ALLOW_NETWORKS", "")
# Uploads stream to temporary files, and a file past UPLOAD_MAX_BYTES is dropped as it arrives.
FILE_UPLOAD_HANDLERS = ["core.uploads.CappedUploadHandler"]
UPLOAD_MAX_BYTES = IMPORT_MAX_BYTES

# Security: safe by default, relaxed only with DEBUG for local development.
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if not DEBUG:
    SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", default=True)
    CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", default=True)
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", default=True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # httpx logs every request at INFO: a line per live price check, i.e. per dashboard view.
        "httpx": {"level": "WARNING"},
    },
}
