"""Tunekeeper settings, read from the environment.

Every variable is listed with its default in `.env.example`. Unset variables fall back to the
embedded defaults (SQLite under var/, no Redis, the sandbox Spotify) so `make demo` needs nothing
but Python; bad values stop the process at start with a message naming the variable.
"""

import base64
import hashlib
import secrets
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

from config import sandboxes
from config.env import (
    database_from_url,
    env_bool,
    env_choice,
    env_float,
    env_int,
    env_json_object,
    env_list,
    env_str,
    env_url,
    redis_url,
)

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("TUNEKEEPER_VAR_DIR", str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)

# --- Core -----------------------------------------------------------------------------------------

DEBUG = env_bool("DEBUG", False)


def _secret_key() -> str:
    key = env_str("SECRET_KEY")
    if key:
        return key
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off")
    # Generated once and kept, so sessions and derived keys survive a restart of the demo.
    key_file = VAR_DIR / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(50))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


SECRET_KEY = _secret_key()
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])
SITE_URL = env_url("SITE_URL", "http://127.0.0.1:8000")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
HTTPS = env_bool("HTTPS", False)
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if HTTPS else None
X_FRAME_OPTIONS = "DENY"
# HSTS only when the site is served over HTTPS (SecurityMiddleware sends it on secure requests).
SECURE_HSTS_SECONDS = 365 * 24 * 3600 if HTTPS else 0
if DEBUG and HTTPS:
    # DEBUG is for `make demo` on this machine; a site behind TLS is a real deployment, where
    # the debug page would show settings and environment to anyone who hits an error.
    raise ImproperlyConfigured("DEBUG is for `make demo` only; turn it off when HTTPS=true")
# The debug page (demo only) hides anything that looks like a secret or a connection string.
DEFAULT_EXCEPTION_REPORTER_FILTER = "config.debug.SecretsHiddenFilter"
SECURE_REFERRER_POLICY = "same-origin"
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",  # intcomma: 5000 → "5,000" in the sync pages
    "allauth",
    "allauth.account",
    "allauth.socialaccount",
    "django_htmx",
    "template_partials",
    "django_celery_beat",
    "spotify",
    "sandbox.spotify",
    "ops",
    "api",
    "playlists",
    "sync",
    "enforcement",
    "archive",
    "downloads",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Content-Security-Policy and Permissions-Policy on every response (core/headers.py).
    "core.headers.SecurityHeadersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "config.middleware.UserTimeZoneMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Bad ids, numbers, dates and NUL characters become a 400 in words (core/params.py).
    "core.params.ParameterMiddleware",
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
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "spotify.context_processors.spotify_banners",
                "config.context_processors.sandbox_banner",
            ],
        },
    },
]

# --- Database and cache ---------------------------------------------------------------------------

DATABASE_URL = env_str("DATABASE_URL")
if DATABASE_URL:
    DATABASES = {"default": database_from_url("DATABASE_URL", DATABASE_URL)}
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(VAR_DIR / "tunekeeper.sqlite3"),
            # Web, worker and beat share the file: wait for the write lock instead of failing.
            "OPTIONS": {"timeout": 20, "transaction_mode": "IMMEDIATE"},
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = redis_url("REDIS_URL")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env_str("CACHE_KEY_PREFIX", "tk"),
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "tunekeeper_cache",
        }
    }

# --- Auth: django-allauth with Spotify ------------------------------------------------------------

AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
LOGIN_URL = "landing"
LOGIN_REDIRECT_URL = "dashboard"
ACCOUNT_LOGOUT_REDIRECT_URL = "landing"
ACCOUNT_ADAPTER = "spotify.accounts.AccountAdapter"
SOCIALACCOUNT_ADAPTER = "spotify.accounts.SocialAccountAdapter"
ACCOUNT_LOGIN_METHODS = {"username"}
ACCOUNT_SIGNUP_FIELDS = ["username*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_LOGOUT_ON_GET = False
SOCIALACCOUNT_AUTO_SIGNUP = True
SOCIALACCOUNT_EMAIL_REQUIRED = False
SOCIALACCOUNT_QUERY_EMAIL = False
SOCIALACCOUNT_LOGIN_ON_GET = False
SOCIALACCOUNT_STORE_TOKENS = True

SPOTIFY_CLIENT_ID = env_str("SPOTIFY_CLIENT_ID")
SPOTIFY_CLIENT_SECRET = env_str("SPOTIFY_CLIENT_SECRET")
if SPOTIFY_CLIENT_SECRET and not SPOTIFY_CLIENT_ID:
    raise ImproperlyConfigured("SPOTIFY_CLIENT_SECRET is set but SPOTIFY_CLIENT_ID is not")
SLSKD_URL = env_str("SLSKD_URL").rstrip("/")
MUSICBRAINZ_CONTACT = env_str("MUSICBRAINZ_CONTACT")
# Which sandboxes this site serves (config/sandboxes.py has the rule): under DEBUG each one whose
# real service is unconfigured; with DEBUG off only with SANDBOX=true, never beside real Spotify.
SANDBOXES = sandboxes.decide(
    debug=DEBUG,
    sandbox=env_bool("SANDBOX", False),
    spotify_configured=bool(SPOTIFY_CLIENT_ID),
    slskd_configured=bool(SLSKD_URL),
)
# The "this is a sandbox, not a real deployment" banner on every page (DEBUG off, SANDBOX=true).
SANDBOX_BANNER = SANDBOXES.banner
SPOTIFY_SANDBOX = SANDBOXES.spotify
SPOTIFY_API_MODE = env_choice("SPOTIFY_API_MODE", "development", ("development", "extended"))
SANDBOX_BASE_URL = env_url("SANDBOX_BASE_URL", f"{SITE_URL}/sandbox-spotify")
# The sandbox's fault knobs (sandbox/spotify/faults.py), e.g. {"latency_ms": 150}.
SANDBOX_FAULTS = env_json_object("SANDBOX_FAULTS")
# The sandbox MusicBrainz's knobs (sandbox/musicbrainz/knobs.py), e.g. {"min_interval": 0}.
SANDBOX_MUSICBRAINZ_FAULTS = env_json_object("SANDBOX_MUSICBRAINZ_FAULTS")
if SPOTIFY_SANDBOX:
    SPOTIFY_CLIENT_ID = "tunekeeper-sandbox"
    SPOTIFY_CLIENT_SECRET = "sandbox-secret"
    SPOTIFY_API_BASE_URL = f"{SANDBOX_BASE_URL}/v1"
    SPOTIFY_ACCOUNTS_BASE_URL = f"{SANDBOX_BASE_URL}/accounts"
    # The browser is sent here; a path keeps it on whatever host the person opened.
    SPOTIFY_AUTHORIZE_URL = "/sandbox-spotify/accounts/authorize"
    # "Open in Spotify" links go to the sandbox's own pages (there is no open.spotify.com entry).
    SPOTIFY_OPEN_URL = f"{SANDBOX_BASE_URL}/open"
else:
    SPOTIFY_API_BASE_URL = "https://api.spotify.com/v1"
    SPOTIFY_ACCOUNTS_BASE_URL = "https://accounts.spotify.com"
    SPOTIFY_AUTHORIZE_URL = "https://accounts.spotify.com/authorize"
    SPOTIFY_OPEN_URL = "https://open.spotify.com"

# Spotify's reference §4: what Tunekeeper reads and writes.
SPOTIFY_SCOPES = [
    "playlist-read-private",
    "playlist-read-collaborative",
    "playlist-modify-public",
    "playlist-modify-private",
    "user-library-read",
    "user-library-modify",
    "user-follow-read",
    "user-follow-modify",
    "user-read-recently-played",
]
SOCIALACCOUNT_PROVIDERS = {
    "spotify": {
        "SCOPE": SPOTIFY_SCOPES,
        "OAUTH_PKCE_ENABLED": True,
        "APP": {"client_id": SPOTIFY_CLIENT_ID, "secret": SPOTIFY_CLIENT_SECRET, "key": ""},
    }
}

# A development-mode Spotify app serves at most five allowlisted users.
MAX_USERS = env_int("MAX_USERS", 5, minimum=1)
# A new connection starts the first library refresh and history check by itself.
START_FIRST_RUN_JOBS = True


def _token_keys() -> list[bytes]:
    raw = env_list("TOKEN_ENCRYPTION_KEY", [])
    if not raw:
        # Derived from SECRET_KEY so the demo works out of the box; production sets its own.
        digest = hashlib.sha256(f"tunekeeper-token-key:{SECRET_KEY}".encode()).digest()
        return [base64.urlsafe_b64encode(digest)]
    keys = []
    for key in raw:
        try:
            if len(base64.urlsafe_b64decode(key.encode())) != 32:
                raise ValueError
        except ValueError:
            raise ImproperlyConfigured(
                "TOKEN_ENCRYPTION_KEY must be one or more comma-separated Fernet keys "
                "(32 url-safe base64-encoded bytes each; the first encrypts, all decrypt)"
            ) from None
        keys.append(key.encode())
    return keys


TOKEN_ENCRYPTION_KEYS = _token_keys()
if SANDBOXES.musicbrainz and not MUSICBRAINZ_CONTACT:
    # No MUSICBRAINZ_CONTACT: enrichment asks the sandbox MusicBrainz served by this site.
    MUSICBRAINZ_BASE_URL = f"{SITE_URL}/sandbox-musicbrainz/ws/2"
    MUSICBRAINZ_CONTACT = "sandbox@tunekeeper.invalid"
# slskd for downloads (SLSKD_URL above); unset: the sandbox slskd at /sandbox-slskd/ where
# SANDBOXES allows it.
SLSKD_API_KEY = env_str("SLSKD_API_KEY")
# The key the sandbox slskd accepts (slskd keys are 16 to 255 characters).
SANDBOX_SLSKD_API_KEY = "sandbox-slskd-api-key-0000"

# --- Spotify gateway ------------------------------------------------------------------------------

SPOTIFY_CALLS_PER_SECOND = env_float("SPOTIFY_CALLS_PER_SECOND", 3.0, minimum=0.01)
SPOTIFY_DAILY_BUDGET = env_int("SPOTIFY_DAILY_BUDGET", 1000, minimum=1)
# Kept for clicks (the interactive lane); the rest is shared equally by the connected people,
# each person's background work staying within their share (spotify/shares.py).
SPOTIFY_INTERACTIVE_RESERVE = env_float("SPOTIFY_INTERACTIVE_RESERVE", 0.1, minimum=0.0)
SPOTIFY_SHORT_WAIT_SECONDS = env_int("SPOTIFY_SHORT_WAIT_SECONDS", 10, minimum=0)
SPOTIFY_TIMEOUT_SECONDS = env_float("SPOTIFY_TIMEOUT_SECONDS", 15.0, minimum=0.1)
ROLLBACK_DAYS = env_int("ROLLBACK_DAYS", 30, minimum=1)  # enforcement batches stay undoable
# Call-ledger rows older than this are folded into daily rollups (per service, user and
# purpose) that the usage page reads; finished jobs are pruned after ROLLBACK_DAYS.
LEDGER_RETENTION_DAYS = env_int("LEDGER_RETENTION_DAYS", 90, minimum=1)
# A job silent for this many of its kind's heartbeat intervals lost its worker (or, queued, its
# message): ops.jobs' rescue re-sends it and the next worker takes it over (ops.jobs.Job).
JOBS_LOST_AFTER_HEARTBEATS = env_float("JOBS_LOST_AFTER_HEARTBEATS", 4.0, minimum=0.001)

# --- Listening archive ----------------------------------------------------------------------------

# Plays shorter than this are not counted (Spotify's own "a play" is about 30 s).
ARCHIVE_MIN_MS_PLAYED = env_int("ARCHIVE_MIN_MS_PLAYED", 30_000, minimum=0)
ARCHIVE_MAX_UPLOAD_BYTES = env_int("ARCHIVE_MAX_UPLOAD_BYTES", 1024**3, minimum=1024)
# The share of SPOTIFY_DAILY_BUDGET that hourly history polling may plan to use.
ARCHIVE_POLL_BUDGET_SHARE = env_float("ARCHIVE_POLL_BUDGET_SHARE", 0.5, minimum=0.0)

# --- Celery ---------------------------------------------------------------------------------------

CELERY_QUEUE_DIR = VAR_DIR / "celery"
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
else:
    # kombu's filesystem transport: a broker with no server, for the demo.
    for folder in ("queue", "processed", "control"):
        (CELERY_QUEUE_DIR / folder).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(CELERY_QUEUE_DIR / "queue"),
        "data_folder_out": str(CELERY_QUEUE_DIR / "queue"),
        "processed_folder": str(CELERY_QUEUE_DIR / "processed"),
        "control_folder": str(CELERY_QUEUE_DIR / "control"),
        "store_processed": False,
    }
CELERY_TASK_QUEUES_NAMES = ("interactive", "default", "bulk")
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = env_int("CELERY_TASK_SOFT_TIME_LIMIT", 900, minimum=1)
CELERY_TASK_TIME_LIMIT = CELERY_TASK_SOFT_TIME_LIMIT + 60
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "UTC"
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# /healthz says "not ok" when no worker started a task (beat's heartbeat task runs every
# minute) or beat a running job's heartbeat for this long: the worker is wedged or gone.
WORKER_STALE_SECONDS = env_int("WORKER_STALE_SECONDS", 180, minimum=10)
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_BEAT_SCHEDULE = {
    "beat-heartbeat": {"task": "config.tasks.beat_heartbeat", "schedule": 60.0},
    "resume-paused-jobs": {"task": "ops.tasks.resume_paused_jobs", "schedule": 60.0},
    "enforcement-sweep": {"task": "enforcement.tasks.enforcement_sweep", "schedule": 300.0},
    "downloads-sweep": {"task": "downloads.tasks.sweep", "schedule": 60.0},
    "hourly-history-polls": {"task": "archive.tasks.plan_polls", "schedule": 3600.0},
    # Every job kind's rescue (ops.jobs): lost workers and lost messages, one sweep for all.
    "resend-lost-jobs": {"task": "ops.tasks.resend_lost_jobs", "schedule": 60.0},
    # Deleted blocklists, bases and children are restorable for 30 days, then purged.
    "purge-deleted": {"task": "ops.tasks.purge_deleted", "schedule": 86400.0},
    "retention": {"task": "config.tasks.apply_retention_task", "schedule": 3600.0},
}
# Where each task runs (here only: tasks and senders name no queue): `interactive` (a person is
# waiting), `default`, `bulk` (background refreshes, imports, polls, enrichment, enforcement
# batches). One worker can serve all three; the Procfile's does.
CELERY_TASK_ROUTES = {
    "playlists.tasks.refresh_library_task": {"queue": "bulk"},
    "playlists.tasks.enrich_task": {"queue": "bulk"},
    "playlists.tasks.import_task": {"queue": "default"},
    "sync.tasks.sync_task": {"queue": "default"},
    "sync.tasks.scheduled_sync_task": {"queue": "default"},
    "enforcement.tasks.run_batch_task": {"queue": "bulk"},
    "enforcement.tasks.automatic_enforcement_task": {"queue": "bulk"},
    "archive.tasks.poll_user_task": {"queue": "default"},
    "archive.tasks.check_history_now_task": {"queue": "interactive"},
    "archive.tasks.run_import": {"queue": "bulk"},
    "archive.tasks.run_history_search": {"queue": "bulk"},
    "archive.tasks.rebuild_rollups_task": {"queue": "bulk"},
    # A person is waiting for the search results.
    "downloads.tasks.pump_searches": {"queue": "interactive"},
    "downloads.tasks.*": {"queue": "default"},
    "config.tasks.*": {"queue": "default"},
    "ops.tasks.*": {"queue": "default"},
}

# --- I18n, time, static ---------------------------------------------------------------------------

LANGUAGE_CODE = "en-us"
TIME_ZONE = env_str("TIME_ZONE", "UTC")
try:
    import zoneinfo

    zoneinfo.ZoneInfo(TIME_ZONE)
except (zoneinfo.ZoneInfoNotFoundError, ValueError):
    raise ImproperlyConfigured(
        f"TIME_ZONE must be an IANA zone such as Europe/Berlin, not {TIME_ZONE!r}"
    ) from None
USE_I18N = False
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = VAR_DIR / "staticfiles"
STATIC_ROOT.mkdir(exist_ok=True)
# Serve straight from static/ too, so the demo needs no collectstatic step.
WHITENOISE_USE_FINDERS = True

LOG_FORMAT = env_choice("LOG_FORMAT", "text", ("text", "json"))
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"job_context": {"()": "core.logs.JobContextFilter"}},
    "formatters": {
        "text": {
            "()": "core.logs.TextFormatter",
            "format": "%(asctime)s %(levelname)s %(name)s: %(message)s",
        },
        "json": {"()": "core.logs.JsonFormatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT,
            "filters": ["job_context"],
        }
    },
    "root": {
        "handlers": ["console"],
        "level": env_choice("LOG_LEVEL", "info", ("debug", "info", "warning", "error")).upper(),
    },
}
