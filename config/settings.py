"""Conduit's one settings module: everything that differs between a laptop and production comes
from the environment, read here. With no environment it runs the local trial (SQLite, tasks
in-process, secrets generated into `.local/`); `DJANGO_ENV=production` refuses to start without
its secrets.
"""

from __future__ import annotations

import os
import secrets
import sys
import tempfile
from datetime import timedelta
from pathlib import Path

import dj_database_url

from config.logging import logging_config

BASE_DIR = Path(__file__).resolve().parent.parent
DJANGO_ENV = os.environ.get("DJANGO_ENV", "local").strip().lower()
PRODUCTION = DJANGO_ENV == "production"
LOCAL_DIR = Path(os.environ.get("CONDUIT_LOCAL_DIR", BASE_DIR / ".local"))

REQUIRED_IN_PRODUCTION = (
    "SECRET_KEY",
    "ALLOWED_HOSTS",
    "DATABASE_URL",
    "REDIS_URL",
    "ASANA_CLIENT_ID",
    "ASANA_CLIENT_SECRET",
)


def env(name: str, default: str = "") -> str:
    return os.environ.get(name, default).strip()


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or not value.strip():
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    value = env(name)
    return int(value) if value else default


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in env(name, default).split(",") if item.strip()]


def refuse_to_start(message: str) -> None:
    """One clear line on stderr and a non-zero exit, never a traceback."""
    sys.stderr.write(f"conduit: {message}\n")
    raise SystemExit(2)


def ensure_local_dir() -> Path:
    """`.local/` readable by its owner only (mode 0700), whoever created it first."""
    LOCAL_DIR.mkdir(mode=0o700, parents=True, exist_ok=True)
    if LOCAL_DIR.stat().st_mode & 0o077:
        LOCAL_DIR.chmod(0o700)
    return LOCAL_DIR


def owner_only_file(path: Path) -> Path:
    """`path` exists with mode 0600 (SQLite gives its journal files the database's mode)."""
    if not path.exists():
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
    elif path.stat().st_mode & 0o077:
        path.chmod(0o600)
    return path


def local_secret(filename: str, make) -> str:
    """A secret generated once for the local trial, kept in a file only its owner can read."""
    path = LOCAL_DIR / filename
    if not path.exists():
        ensure_local_dir()
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            handle.write(make())
    return path.read_text().strip()


if PRODUCTION:
    missing = [name for name in REQUIRED_IN_PRODUCTION if not env(name)]
    if not (env("CONDUIT_KEYSET") or env("CONDUIT_KEYSET_FILE")):
        missing.append("CONDUIT_KEYSET (or CONDUIT_KEYSET_FILE)")
    if missing:
        refuse_to_start(
            "DJANGO_ENV=production needs these environment variables: " + ", ".join(missing)
        )
elif DJANGO_ENV not in {"local", "test"}:
    refuse_to_start(f"DJANGO_ENV must be 'production', 'local' or 'test', not {DJANGO_ENV!r}")

SECRET_KEY = env("SECRET_KEY") or local_secret("secret_key", lambda: secrets.token_urlsafe(50))
DEBUG = env_bool("DEBUG", default=False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1],testserver")

INSTALLED_APPS = [
    "approvals.apps.ConduitAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "oauth2_provider",
    "drf_spectacular",
    "csp",
    "axes",
    "approvals",
    "tokens",
    "integrations",
    "cards",
    "health_check",
]

MIDDLEWARE = [
    # First: every later log line of the request, and the tasks it enqueues, carry its id.
    "config.observability.middleware.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Before WhiteNoise, which answers static files without calling what follows it.
    "config.middleware.CrossOriginResourcePolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # The header middlewares sit outside CommonMiddleware: its APPEND_SLASH redirect (/admin ->
    # /admin/) is made on the way out, and only middlewares above it see that answer.
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "config.middleware.CachedPolicyCSPMiddleware",  # django-csp's, the policy built once
    "config.middleware.NoStoreMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "config.middleware.TimeZoneMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "axes.middleware.AxesMiddleware",
    "config.unavailable.OutageMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

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
            ],
        },
    },
]

# -- data ------------------------------------------------------------------------------------
if env("DATABASE_URL"):
    DATABASES = {"default": dj_database_url.parse(env("DATABASE_URL"), conn_max_age=60)}
else:
    ensure_local_dir()
    DATABASES = {
        "default": {"ENGINE": "django.db.backends.sqlite3",
                    "NAME": owner_only_file(LOCAL_DIR / "db.sqlite3")}
    }
# SQLite ignores SELECT ... FOR UPDATE. Every transaction therefore starts with BEGIN IMMEDIATE,
# which takes the database's write lock up front: two refreshes of one account run one after
# the other, across processes, instead of both reading the old token (a deferred transaction
# that later writes fails at once with "database is locked", whatever the timeout). The busy
# timeout makes a writer wait for the lock instead of failing; it is above the longest
# transaction that holds it (a token refresh: the OAuth client's 5 s connect + 15 s read).
SQLITE_BUSY_TIMEOUT_SECONDS = env_int("SQLITE_BUSY_TIMEOUT_SECONDS", default=30)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"transaction_mode": "IMMEDIATE", "timeout": SQLITE_BUSY_TIMEOUT_SECONDS}
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env("REDIS_URL")
if REDIS_URL:
    # Degrades to "no cache" while Redis is down (config/cache.py), with short timeouts so an
    # outage costs a request a second at most, not a hung worker; one pool per process for every
    # thread's cache (the DRF throttle reads it per request: config/redis_pool.py).
    CACHES = {"default": {"BACKEND": "config.cache.DegradingRedisCache", "LOCATION": REDIS_URL,
                          "OPTIONS": {"pool_class": "config.redis_pool.SharedConnectionPool",
                                      "max_connections": env_int("REDIS_POOL_MAX_CONNECTIONS",
                                                                 default=50),
                                      "socket_connect_timeout": 1, "socket_timeout": 2}}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# -- Celery: Redis when configured, otherwise tasks run in-process (the local trial) ---------
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", default=not REDIS_URL)
CELERY_TASK_EAGER_PROPAGATES = True
# A task is acknowledged when it has run, not when a worker took it, and a worker that dies
# mid-task gives the message back: a refresh or a revocation is never silently dropped.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# A worker keeps its database connection across tasks (Celery's Django fixup otherwise closes it
# after every task: a new PostgreSQL session, ≈4 ms, per refresh) and recycles it after twice
# this many tasks.
CELERY_DB_REUSE_MAX = env_int("CELERY_DB_REUSE_MAX", default=1000)
# Redis hands an unacknowledged message to another worker after the visibility timeout (Celery's
# default is 1 hour: a killed worker's refresh waited that long). It must stay above the longest
# a message is held unacknowledged: the longest task (a provider call, 20 s) and the countdown
# of a retry, which the worker holds until it is due (TOKEN_RETRY_BACKOFF_MAX, 240 s), or the
# message runs twice (harmless for the tokens tasks, which re-check under a lock, but wasteful).
CELERY_VISIBILITY_TIMEOUT_SECONDS = env_int("CELERY_VISIBILITY_TIMEOUT_SECONDS", default=300)
# Kombu sweeps for messages past their visibility timeout only every interval x throttle seconds
# (10 x 10 by default), and a worker killed while holding the sweep's mutex blocks sweeps until
# the mutex expires (300 s by default): a sweep every 5 s and a 30 s mutex make a dead worker's
# messages come back soon after the visibility timeout, not minutes later.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": CELERY_VISIBILITY_TIMEOUT_SECONDS,
                                   "unacked_restore_interval": 5, "unacked_restore_throttle": 1,
                                   "unacked_mutex_expire": 30}
CELERY_TASK_SERIALIZER = "json"
# The queue tasks go to and workers consume by default (Celery's own default name).
CELERY_TASK_DEFAULT_QUEUE = env("CELERY_TASK_DEFAULT_QUEUE", "celery")
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_BEAT_SCHEDULE: dict = {}  # the apps add their periodic jobs in their own modules
# Beat sends only while it holds a leader lock in Redis (config/beat.py): a second beat started by
# mistake stands by instead of doubling the schedule. Its tick stays well under the lock's 30 s.
CELERY_BEAT_SCHEDULER = "config.beat:LeaderScheduler"
CELERY_BEAT_MAX_INTERVAL = 10
# Beat's last-run state is a local cache (the leader lock is what prevents doubled work): kept
# outside the checkout, in .local/ for a laptop and the temporary folder in production.
CELERY_BEAT_SCHEDULE_FILENAME = env("CELERY_BEAT_SCHEDULE_FILE") or str(
    Path(tempfile.gettempdir()) / "conduit-celerybeat-schedule" if PRODUCTION
    else LOCAL_DIR / "celerybeat-schedule"
)
# A broker that is down fails an enqueue within seconds (answered 503 by config/unavailable.py)
# instead of holding the request through kombu's default retries.
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.5,
                                    "interval_max": 0.5}
CELERY_REDIS_SOCKET_CONNECT_TIMEOUT = 2

# -- e-mail: one URL, smtp://user:password@host:port (smtp+tls://, smtp+ssl://) or console:// --
# Parsed here with urllib: dj-email-url has had no release since 2022 and the format is small.
EMAIL_URL = env("EMAIL_URL", "console://")


def email_settings(url: str) -> dict:
    """Django's EMAIL_* settings from EMAIL_URL; refuses a scheme it does not know."""
    from urllib.parse import unquote, urlsplit

    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    backends = {
        "console": "django.core.mail.backends.console.EmailBackend",
        "locmem": "django.core.mail.backends.locmem.EmailBackend",
        "dummy": "django.core.mail.backends.dummy.EmailBackend",
        "smtp": "django.core.mail.backends.smtp.EmailBackend",
        "smtp+tls": "django.core.mail.backends.smtp.EmailBackend",
        "smtp+ssl": "django.core.mail.backends.smtp.EmailBackend",
    }
    if scheme not in backends:
        refuse_to_start(f"EMAIL_URL: unknown scheme {scheme!r} (use smtp://, smtp+tls://, "
                        "smtp+ssl:// or console://)")
    values: dict = {"EMAIL_BACKEND": backends[scheme]}
    if scheme.startswith("smtp"):
        values.update(
            EMAIL_HOST=parts.hostname or "localhost",
            EMAIL_PORT=parts.port or {"smtp+ssl": 465, "smtp+tls": 587}.get(scheme, 25),
            EMAIL_HOST_USER=unquote(parts.username or ""),
            EMAIL_HOST_PASSWORD=unquote(parts.password or ""),
            EMAIL_USE_TLS=scheme == "smtp+tls",
            EMAIL_USE_SSL=scheme == "smtp+ssl",
            EMAIL_TIMEOUT=10,
        )
    return values


globals().update(email_settings(EMAIL_URL))
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", "Conduit <conduit@localhost>")

# -- auth, sessions, cookies -----------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
     "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "login"

# Database-backed sessions: a session can be invalidated, which signed-cookie sessions cannot,
# and logging in does not depend on Redis (a `cached_db` session failed every login with Redis
# down). One indexed read per request is cheap next to the rest of a request.
SESSION_ENGINE = "django.contrib.sessions.backends.db"
SESSION_COOKIE_AGE = 60 * 60 * 12
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
CSRF_COOKIE_SAMESITE = "Lax"
# Secure everywhere: browsers accept Secure cookies from http://localhost, the trial's address.
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
if PRODUCTION:
    SESSION_COOKIE_NAME = "__Host-sessionid"
    CSRF_COOKIE_NAME = "__Host-csrftoken"
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

# -- transport and headers -------------------------------------------------------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_RESOURCE_POLICY = "same-origin"  # config.middleware sets it
X_FRAME_OPTIONS = "DENY"
if PRODUCTION:
    SECURE_SSL_REDIRECT = True
    SECURE_HSTS_SECONDS = 31536000
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", default=True)
    # Probes speak plain http to the container; they are neither redirected nor authenticated.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
    # A scraper inside the private network may be let in over plain http, when asked for.
    if env_bool("METRICS_ALLOW_PLAIN_HTTP", default=False):
        SECURE_REDIRECT_EXEMPT.append(r"^metrics$")
    if env_bool("BEHIND_TLS_PROXY", default=True):
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "font-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    }
}

# Number of trusted reverse proxies in front of gunicorn: the client address is taken that
# many hops from the right of X-Forwarded-For, so a client cannot spoof it.
NUM_PROXIES = int(env("NUM_PROXIES", "0"))

# -- Django REST framework: explicit, strict defaults ----------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "oauth2_provider.contrib.rest_framework.OAuth2Authentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["config.parsers.BoundedJSONParser"],
    # DRF's anon and user rates, counted in Redis in one atomic round trip (config/throttling.py).
    "DEFAULT_THROTTLE_CLASSES": [
        "config.throttling.AnonRateThrottle",
        "config.throttling.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env("API_THROTTLE_ANON", "60/minute"),
        "user": env("API_THROTTLE_USER", "1200/minute"),
    },
    "NUM_PROXIES": NUM_PROXIES,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "config.errors.api_exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Conduit API",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": "/api/v1",
}

OAUTH2_PROVIDER = {
    "SCOPES": {"read": "Read boards, cards and integrations", "write": "Change them"},
    "DEFAULT_SCOPES": ["read"],
    # Refuses NUL bytes in client ids, codes and tokens as unknown (400), not a DataError (500).
    "OAUTH2_VALIDATOR_CLASS": "config.oauth_validator.ConduitOAuth2Validator",
    "PKCE_REQUIRED": True,
    "ROTATE_REFRESH_TOKEN": True,
    "REFRESH_TOKEN_REUSE_PROTECTION": True,
    "ACCESS_TOKEN_EXPIRE_SECONDS": 3600,
    "ALLOWED_REDIRECT_URI_SCHEMES": ["https"] if PRODUCTION else ["https", "http"],
    # RFC 9700 (OAuth 2.0 Security BCP): no implicit or password grant, S256 only, tokens only
    # in the Authorization header, `iss` in authorization responses, hashed token storage; the
    # configuration gates turn a weakened setting into a deploy-check error.
    **{
        f"COMPLIANT_BCP_RFC9700_{gate}": True
        for gate in (
            "IMPLICIT_GRANT", "PASSWORD_GRANT", "PKCE_METHOD", "ACCESS_TOKEN_TRANSPORT",
            "AUTHZ_RESPONSE_ISS", "TOKEN_STORAGE", "REFRESH_TOKEN", "REDIRECT_URI_SCHEME",
            "REDIRECT_URI_MATCHING", "PKCE_REQUIRED",
        )
    },
}

# -- brute-force protection of logins (django-axes) ------------------------------------------
AXES_FAILURE_LIMIT = int(env("AXES_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = timedelta(minutes=int(env("AXES_COOLOFF_MINUTES", "30")))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False  # logins are audit events already; lockouts are still logged as warnings
AXES_IPWARE_PROXY_COUNT = NUM_PROXIES
AXES_IPWARE_META_PRECEDENCE_ORDER = ["HTTP_X_FORWARDED_FOR", "REMOTE_ADDR"]

# -- static files ----------------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = Path(env("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
if not PRODUCTION:
    # The trial and the tests serve static files from the apps' folders, not a collected copy.
    WHITENOISE_USE_FINDERS = True
    STATIC_ROOT = LOCAL_DIR / "staticfiles"
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
# One date format everywhere, the console's lists included (cards/templatetags/conduit_time.py).
FORMAT_MODULE_PATH = ["config.formats"]
USE_I18N = True
USE_TZ = True

# -- providers and egress (the apps read these through their own settings objects) -----------
# The address users' browsers and the providers' webhooks reach Conduit at (Jira's Application
# Link, OAuth callbacks, webhook targets); empty means "the address of the current request".
CONDUIT_PUBLIC_URL = env("CONDUIT_PUBLIC_URL")
ASANA_CLIENT_ID = env("ASANA_CLIENT_ID", "conduit-sandbox-client")
ASANA_CLIENT_SECRET = env("ASANA_CLIENT_SECRET") or (
    "" if PRODUCTION else local_secret("asana_client_secret", lambda: secrets.token_urlsafe(32))
)
ASANA_OAUTH_URL = env("ASANA_OAUTH_URL", "https://app.asana.com/-/")
ASANA_API_URL = env("ASANA_API_URL", "https://app.asana.com/api/1.0")
ASANA_APP_URL = env("ASANA_APP_URL", "https://app.asana.com")  # host of task links
# The provider packages Conduit offers (integrations.providers.registry): the catalog, the
# egress allow-list and the sandbox and trial commands are derived from this list.
CONDUIT_PROVIDERS = ["integrations.asana", "integrations.jira_server"]
EGRESS_ALLOWED_HOSTS = env_list("EGRESS_ALLOWED_HOSTS")
# Plain http to 127.0.0.1 / ::1 only where asked for (the trial and the tests set it): a team
# admin's Jira URL must never reach local ports such as PostgreSQL's or Redis' otherwise.
EGRESS_ALLOW_LOOPBACK = env_bool("EGRESS_ALLOW_LOOPBACK", default=False)
# A PEM bundle the provider certificates are verified against (the sandboxes' TLS mode); empty
# means certifi's. Loaded once per process into the egress guard's one SSLContext.
EGRESS_CA_BUNDLE = env("EGRESS_CA_BUNDLE")
CONDUIT_KEYSET = env("CONDUIT_KEYSET")
CONDUIT_KEYSET_FILE = env("CONDUIT_KEYSET_FILE") or (
    "" if PRODUCTION else str(LOCAL_DIR / "keyset.json")
)
TOKEN_RETENTION_DAYS = int(env("TOKEN_RETENTION_DAYS", "7"))
TOKEN_REFRESH_WINDOW_SECONDS = int(env("TOKEN_REFRESH_WINDOW_SECONDS", "600"))
TOKEN_ACCOUNT_CACHE_SECONDS = env_int("TOKEN_ACCOUNT_CACHE_SECONDS", default=10)

# -- logging: JSON lines in production, never a secret ----------------------------------------
# config.logging.configure also installs a record factory that redacts for every handler,
# including ones an operator adds: the "redact" filter alone covers only the console handler.
# LOG_FORMAT=json (the production default) writes one JSON object per line, with request_id.
LOG_FORMAT = env("LOG_FORMAT", "json" if PRODUCTION else "plain").lower()
if LOG_FORMAT not in {"json", "plain"}:
    refuse_to_start(f"LOG_FORMAT must be 'json' or 'plain', not {LOG_FORMAT!r}")
LOG_LEVEL = env("LOG_LEVEL", "INFO").upper()
LOGGING_CONFIG = "config.logging.configure"
LOGGING = logging_config(log_format=LOG_FORMAT, level=LOG_LEVEL)

# -- metrics: GET /metrics, Prometheus' text format ------------------------------------------
# A bearer token (METRICS_TOKEN) or a staff session; without a token set, staff only. Never
# public. gunicorn workers and Celery worker processes share counters through
# PROMETHEUS_MULTIPROC_DIR (prometheus_client's multiprocess mode), read from the environment
# by prometheus_client itself.
METRICS_TOKEN = env("METRICS_TOKEN")
# The Celery queues whose length and oldest message /metrics reports.
METRICS_TASK_QUEUES = env_list("METRICS_TASK_QUEUES", CELERY_TASK_DEFAULT_QUEUE)

# -- readiness: /readyz (config/readiness.py) -------------------------------------------------
# How long /readyz waits for a Celery worker to answer its ping. A worker answers within
# milliseconds even while its processes are busy (the ping is handled by its main process), so
# this is how long a missing or starved worker takes to be reported; 3 s leaves room for a
# loaded machine and stays under common probe timeouts (5 s). Keep it below your probe's.
READYZ_TIMEOUT_REFUSED = "READYZ_WORKER_TIMEOUT_SECONDS must be a positive number of seconds"
try:
    READYZ_WORKER_TIMEOUT_SECONDS = float(env("READYZ_WORKER_TIMEOUT_SECONDS", "3"))
except ValueError:
    refuse_to_start(READYZ_TIMEOUT_REFUSED)
if not 0 < READYZ_WORKER_TIMEOUT_SECONDS < 3600:
    refuse_to_start(READYZ_TIMEOUT_REFUSED)

# -- Sentry: only when a DSN is set ----------------------------------------------------------
SENTRY_DSN = env("SENTRY_DSN")
if SENTRY_DSN:
    from config.sentry import init_sentry

    init_sentry(SENTRY_DSN, environment=DJANGO_ENV)
