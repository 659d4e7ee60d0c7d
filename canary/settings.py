"""Settings, read from the environment (django-environ).

With no environment at all the product runs embedded: a SQLite file under ``var/`` and Redis
at 127.0.0.1:6379; ``make run`` runs Celery tasks in-process (eager) when no broker answers.
``DATABASE_URL``, ``REDIS_URL``/``CELERY_BROKER_URL``, ``SECRET_KEY``, ``ALLOWED_HOSTS``,
``PUBLIC_BASE_URL`` and the Twilio credentials switch to production.
"""

from __future__ import annotations

import logging
import secrets
from pathlib import Path

import environ
from csp.constants import NONE, SELF, UNSAFE_INLINE
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(environ.Env().str("CANARY_VAR_DIR", default=str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)

env = environ.Env()
log = logging.getLogger("canary.settings")

DEBUG = env.bool("DEBUG", default=False)


def _secret_key() -> str:
    """SECRET_KEY from the environment; the embedded default keeps a random one per install.

    Nothing secret is committed: the key file is created on first start under ``var/``.
    """
    key = env.str("SECRET_KEY", default="")
    if key:
        return key
    path = VAR_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = _secret_key()
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
PUBLIC_BASE_URL = env.str("PUBLIC_BASE_URL", default="http://127.0.0.1:8000").rstrip("/")
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[PUBLIC_BASE_URL])

# --- Transport security, from the environment (production sits behind TLS) -------------------
# Cookies are Secure whenever the public URL is https; redirect, HSTS and the proxy header are
# switched on explicitly, because they depend on how TLS is terminated in front of us.
_HTTPS = PUBLIC_BASE_URL.startswith("https://")
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=_HTTPS)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=_HTTPS)
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=False)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=False)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
# "HTTP_X_FORWARDED_PROTO,https" behind a TLS proxy that sets (and strips) X-Forwarded-Proto.
SECURE_PROXY_SSL_HEADER = env.tuple("SECURE_PROXY_SSL_HEADER", default=None)
SESSION_COOKIE_HTTPONLY = True
# Content-Security-Policy (django-csp): scripts only from our own static files, never inline.
# Inline styles are still allowed: templates carry some, and CSS cannot run code.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF, UNSAFE_INLINE],
        "img-src": [SELF, "data:"],
        "media-src": [SELF, "https:"],  # call recordings play from the provider's https URL
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_celery_beat",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_filters",
    "canary.audit",
    "canary.network",
    "canary.phones",
    "canary.campaigns",
    "canary.sightings",
    "canary.attribution",
    "canary.alerts",
    "canary.console",
    "canary.api",
    "canary.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "canary.audit.middleware.OneTimePasswordMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "canary.urls"
WSGI_APPLICATION = "canary.wsgi.application"

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
                "canary.console.context_processors.console_role",
                "canary.alerts.context_processors.alert_health",
            ],
        },
    },
]

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'canary.sqlite3'}")}
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=0))
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # One web process, a worker and a scan write at once: WAL lets readers run beside the one
    # writer, IMMEDIATE takes the write lock at BEGIN so the busy timeout applies (a deferred
    # transaction that upgrades fails at once with "database is locked").
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "transaction_mode": "IMMEDIATE",
            "timeout": env.int("SQLITE_TIMEOUT", default=20),
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/"

# Chinese courier teams first: Simplified Chinese by default, English on request.
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATIC_ROOT.mkdir(exist_ok=True)  # WhiteNoise warns on every request when it is missing
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(VAR_DIR / "media")))
MEDIA_URL = "/media/"

# --- Celery -------------------------------------------------------------------------------


REDIS_URL = env.str("REDIS_URL", default="redis://127.0.0.1:6379/0")
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="") or REDIS_URL
CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND", default="") or None
# In-process tasks are for the embedded default without a broker: ``make run`` turns them on when
# none answers (``canary.broker_check``), so settings never probe the network when imported.
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TASK_EAGER_PROPAGATES = env.bool("CELERY_TASK_EAGER_PROPAGATES", default=False)
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=300)
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=360)
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Publishing must not hang a webhook when the broker is gone: fail fast, the sweeper re-queues.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "socket_connect_timeout": 1,
    "socket_timeout": 2,
    "max_retries": 1,
    "visibility_timeout": 3600,
    # Reconnect quickly and give up fast, so a publish during an outage fails in well under 1 s.
    "interval_start": 0,
    "interval_step": 0.1,
    "interval_max": 0.2,
}
CELERY_TASK_PUBLISH_RETRY = False
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"

# --- Product settings ------------------------------------------------------------------------

TWILIO_ACCOUNT_SID = env.str("TWILIO_ACCOUNT_SID", default="")
TWILIO_AUTH_TOKEN = env.str("TWILIO_AUTH_TOKEN", default="")
# Base URL of Twilio's REST API; tests point it at a local fake server.
TWILIO_API_BASE_URL = env.str("TWILIO_API_BASE_URL", default="")
TRACKING_HOOK_SECRET = env.str("TRACKING_HOOK_SECRET", default="")
ALIYUN_PLS_HOOK_SECRET = env.str("ALIYUN_PLS_HOOK_SECRET", default="")
ALIYUN_PLS_ALLOWED_IPS = env.list("ALIYUN_PLS_ALLOWED_IPS", default=[])
# Alibaba Cloud Phone Number Protection (隐私号, PLS): credentials, pool and the team's own phone.
ALIYUN_ACCESS_KEY_ID = env.str("ALIYUN_ACCESS_KEY_ID", default="")
ALIYUN_ACCESS_KEY_SECRET = env.str("ALIYUN_ACCESS_KEY_SECRET", default="")
ALIYUN_PLS_API_URL = env.str("ALIYUN_PLS_API_URL", default="https://dyplsapi.aliyuncs.com")
ALIYUN_PLS_POOL_KEY = env.str("ALIYUN_PLS_POOL_KEY", default="")
ALIYUN_PLS_TEAM_PHONE = env.str("ALIYUN_PLS_TEAM_PHONE", default="")
# Tracking-lookup canaries: signed hooks older than the window are refused (replay guard).
TRACKING_HOOK_WINDOW_SECONDS = env.int("TRACKING_HOOK_WINDOW_SECONDS", default=300)
TRACKING_DECOY_SET_SECONDS = env.int("TRACKING_DECOY_SET_SECONDS", default=60)
# SIM gateways (SMS Gateway for Android, modem forwarders): the webhook signing key, how far the
# signed timestamp may be off, and how long a gateway may stay silent before a watcher alert.
SMSGATE_SIGNING_KEY = env.str("SMSGATE_SIGNING_KEY", default="")
SMSGATE_WINDOW_SECONDS = env.int("SMSGATE_WINDOW_SECONDS", default=300)
SMSGATE_SILENT_MINUTES = env.int("SMSGATE_SILENT_MINUTES", default=30)
# Contacts still unprocessed after this long are re-queued by the sweeper (broker outages).
PHONES_SWEEP_AFTER_SECONDS = env.int("PHONES_SWEEP_AFTER_SECONDS", default=60)
PHONES_CALLER_LOOKUP = env.bool("PHONES_CALLER_LOOKUP", default=False)
PHONES_VOICEMAIL_GREETING_URL = env.str("PHONES_VOICEMAIL_GREETING_URL", default="")
PHONES_VOICEMAIL_GREETING = env.str("PHONES_VOICEMAIL_GREETING", default="")
PHONES_VOICEMAIL_VOICE = env.str("PHONES_VOICEMAIL_VOICE", default="alice")

# Reserved waybill-number blocks: serial ranges real shipments never use, one per carrier.
# Override with a JSON object, e.g. {"sf": [9990000000000, 9999999999999]}.
WAYBILL_RESERVED_BLOCKS = env.json("WAYBILL_RESERVED_BLOCKS", default={})
# A number released from a campaign rests this many days before it may be assigned again.
NUMBER_QUARANTINE_DAYS = env.int("NUMBER_QUARANTINE_DAYS", default=90)
LABEL_FONT_PATH = env.str("LABEL_FONT_PATH", default="")
# Campaigns of more decoys than this are issued by a worker (the API answers 202), not in the request.
CAMPAIGN_ISSUE_IN_REQUEST_MAX = env.int("CAMPAIGN_ISSUE_IN_REQUEST_MAX", default=2000)
# A campaign still issuing this long after it was queued is queued again by the sweeper.
CAMPAIGN_ISSUE_REQUEUE_AFTER = env.int("CAMPAIGN_ISSUE_REQUEUE_AFTER", default=900)

# Alerts: outbound targets pass an SSRF guard; loopback/private targets only where allowed.
ALLOW_LOOPBACK_TARGETS = env.bool("ALLOW_LOOPBACK_TARGETS", default=False)
ALLOW_PRIVATE_TARGETS = env.bool("ALLOW_PRIVATE_TARGETS", default=False)
ALERTS_SMS_FROM = env.str("ALERTS_SMS_FROM", default="")
ALERTS_INCIDENT_HORIZON_HOURS = env.int("ALERTS_INCIDENT_HORIZON_HOURS", default=72)
ALERTS_QUEUE_BACKLOG_THRESHOLD = env.int("ALERTS_QUEUE_BACKLOG_THRESHOLD", default=500)
ALERTS_RETRY_BACKOFF_SECONDS = env.int("ALERTS_RETRY_BACKOFF_SECONDS", default=2)
ALERTS_RETRY_BACKOFF_MAX_SECONDS = env.int("ALERTS_RETRY_BACKOFF_MAX_SECONDS", default=600)
ALERTS_RETRY_JITTER = env.bool("ALERTS_RETRY_JITTER", default=True)
# A channel is disabled only after this many permanent failures spread over at least this long.
ALERTS_DISABLE_AFTER_FAILURES = env.int("ALERTS_DISABLE_AFTER_FAILURES", default=3)
ALERTS_DISABLE_AFTER_HOURS = env.float("ALERTS_DISABLE_AFTER_HOURS", default=6)

# Attribution: see canary/attribution/MODEL.md for what each number means.
ATTRIBUTION_INCIDENT_THRESHOLD = env.float("ATTRIBUTION_INCIDENT_THRESHOLD", default=0.8)
ATTRIBUTION_FALSE_RATE = env.float("ATTRIBUTION_FALSE_RATE", default=0.005)
ATTRIBUTION_MIN_LAG_SECONDS = env.int("ATTRIBUTION_MIN_LAG_SECONDS", default=0)
ATTRIBUTION_SETTLE_DAYS = env.int("ATTRIBUTION_SETTLE_DAYS", default=7)
ATTRIBUTION_RECOMPUTE_DELAY_SECONDS = env.int("ATTRIBUTION_RECOMPUTE_DELAY_SECONDS", default=30)
ATTRIBUTION_PLAN_WORLDS = env.int("ATTRIBUTION_PLAN_WORLDS", default=100)
ATTRIBUTION_PLAN_LEAK_RATE = env.float("ATTRIBUTION_PLAN_LEAK_RATE", default=0.5)
ATTRIBUTION_PLAN_FALSE_RATE = env.float("ATTRIBUTION_PLAN_FALSE_RATE", default=0.01)

# Sightings: folder sources may only read below this root (a drop folder for bought dumps).
SIGHTINGS_FOLDER_ROOT = env.str("SIGHTINGS_FOLDER_ROOT", default=str(VAR_DIR / "drop"))
# A scan that has not renewed its lease for this long lost its worker; the sweeper runs it again.
SIGHTINGS_SCAN_LEASE_SECONDS = env.int("SIGHTINGS_SCAN_LEASE_SECONDS", default=120)
# `scan` refuses files bigger than this (a document is held in memory while it is stored and read).
SIGHTINGS_MAX_DOCUMENT_BYTES = env.int("SIGHTINGS_MAX_DOCUMENT_BYTES", default=256 << 20)
# The compiled matcher, signed, shared by the web and worker processes: the folder of the default
# ``matchers`` storage (see STORAGES; docs/SCALING.md for an S3 bucket shared by several machines).
SIGHTINGS_MATCHER_CACHE = env.str("SIGHTINGS_MATCHER_CACHE", default=str(VAR_DIR / "matcher-cache"))
STORAGES["matchers"] = {
    "BACKEND": "django.core.files.storage.FileSystemStorage",
    "OPTIONS": {"location": SIGHTINGS_MATCHER_CACHE},
}

EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = env.str("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
# Where the file e-mail backend writes (make run uses it for the demo's alert channel).
EMAIL_FILE_PATH = env.str("EMAIL_FILE_PATH", default=str(VAR_DIR / "outbox"))
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="canary@localhost")
ADMINS = [("Admin", a) for a in env.list("ADMIN_EMAILS", default=[])]

# Requests per API token (or console user), e.g. "600/min".
API_THROTTLE_RATE = env.str("API_THROTTLE_RATE", default="600/min")
REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    # Scripts use per-user tokens (never a person's password); the console's own pages use the session.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "canary.api.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["canary.api.permissions.RoleRequired"],
    "DEFAULT_PAGINATION_CLASS": "canary.api.pagination.Pages",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_THROTTLE_CLASSES": ["canary.api.throttling.TokenRateThrottle"],
    "EXCEPTION_HANDLER": "canary.api.errors.api_exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Canary waybills API",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "PREPROCESSING_HOOKS": ["canary.api.urls.only_v1"],
    # Swagger UI and ReDoc from our own static files (drf-spectacular-sidecar), never a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {
        "CampaignStatusEnum": "canary.campaigns.models.CampaignStatus",
        "SeverityEnum": "canary.alerts.models.Severity",
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
}
