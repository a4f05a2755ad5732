"""Settings for Minh Bạch, all from the environment (``.env.example`` lists every variable).

With nothing configured the platform runs embedded: SQLite file, local media folder, Celery
tasks executed in-process with an embedded beat, and a demo ledger key generated on first use.
``DJANGO_ENV=production`` turns on the hardened profile, which refuses to start without its
secrets and passes ``manage.py check --deploy``.
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from csp.constants import NONCE as CSP_NONCE
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(os.environ.get("MINHBACH_VAR_DIR", BASE_DIR / "var"))

ENVIRONMENT = os.environ.get("DJANGO_ENV", "development")
PRODUCTION = ENVIRONMENT == "production"


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def mandatory(name: str) -> str:
    """A production secret: no default, and the process refuses to start without it."""
    value = os.environ.get(name, "")
    if not value:
        raise ImproperlyConfigured(f"{name} must be set in production")
    return value


DEBUG = env_bool("DJANGO_DEBUG", not PRODUCTION)
if PRODUCTION:
    SECRET_KEY = mandatory("DJANGO_SECRET_KEY")
    if len(SECRET_KEY) < 50 or len(set(SECRET_KEY)) < 5:
        raise ImproperlyConfigured("DJANGO_SECRET_KEY must be at least 50 varied characters")
    ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS")
    if not ALLOWED_HOSTS:
        raise ImproperlyConfigured("DJANGO_ALLOWED_HOSTS must be set in production")
else:
    SECRET_KEY = os.environ.get(
        "DJANGO_SECRET_KEY", "development-only-key-never-used-in-production-3f9a7c1e5b2d8"
    )
    ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")

INSTALLED_APPS = [
    "procurement.apps.KernelConfig",
    "tenders.apps.TendersConfig",
    "bidders.apps.BiddersConfig",
    "evaluation.apps.EvaluationConfig",
    "api.opendata.apps.OpenDataConfig",
    "api.site.apps.SiteConfig",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "knox",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "axes",
    "csp",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "procurement.errors.ErrorMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "api.site.urls"
WSGI_APPLICATION = "api.site.wsgi.application"

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
                "csp.context_processors.nonce",
                "procurement.context_processors.platform",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
DATABASE_URL = os.environ.get("DATABASE_URL", "")
# The bid submission's statements are prepared once per connection (procurement/prepared.py);
# turn off behind a pooler in transaction mode.
DB_PREPARED_STATEMENTS = env_bool("DB_PREPARED_STATEMENTS", True)
if PRODUCTION and not DATABASE_URL:
    raise ImproperlyConfigured("DATABASE_URL must be set in production")
if DATABASE_URL:
    DATABASES = {
        "default": dj_database_url.parse(DATABASE_URL, conn_max_age=60, conn_health_checks=True)
    }
    if DATABASES["default"]["ENGINE"].endswith("postgresql"):
        # Short OLTP queries: PostgreSQL's JIT compiles plans whose cost estimate is high (any
        # LIMIT over a big table) and spends 100-500 ms doing it. Off, as usual for web apps.
        DATABASES["default"].setdefault("OPTIONS", {})["options"] = "-c jit=off"
else:
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": VAR_DIR / "minhbach.sqlite3",
            # IMMEDIATE takes the write lock at BEGIN, so two ledger appends never race to the
            # same sequence number and fail half-way with "database is locked".
            "OPTIONS": {"transaction_mode": "IMMEDIATE", "timeout": 20},
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Accounts -------------------------------------------------------------------------------
AUTH_USER_MODEL = "procurement.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"

# Login throttling: a username + address pair is locked after 5 failures for 15 minutes.
AXES_FAILURE_LIMIT = int(os.environ.get("AXES_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = float(os.environ.get("AXES_COOLOFF_HOURS", "0.25"))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
# Sign-in ignores the username's case, so failures count for the lower-cased username.
AXES_USERNAME_CALLABLE = "procurement.auth.lockout_username"
AXES_RESET_ON_SUCCESS = True
AXES_IPWARE_PROXY_COUNT = int(os.environ.get("AXES_PROXY_COUNT", "0"))
AXES_SENSITIVE_PARAMETERS = ["password"]
AXES_LOCKOUT_TEMPLATE = "registration/locked.html"
# 429 with Retry-After; the API's error format under /api/.
AXES_LOCKOUT_CALLABLE = "procurement.errors.lockout_response"

# --- Internationalisation -------------------------------------------------------------------
LANGUAGE_CODE = "vi"
LANGUAGES = [("vi", _("Vietnamese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "procurement" / "locale"]
TIME_ZONE = "Asia/Ho_Chi_Minh"
USE_I18N = True
USE_TZ = True

# --- Static and media -----------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", VAR_DIR / "static"))
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "media"))
MEDIA_URL = "media/"
if not PRODUCTION:
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
if os.environ.get("AWS_STORAGE_BUCKET_NAME"):
    # Object storage for documents and sealed envelopes (django-storages, S3-compatible).
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": os.environ["AWS_STORAGE_BUCKET_NAME"],
            "endpoint_url": os.environ.get("AWS_S3_ENDPOINT_URL") or None,
            "default_acl": None,
            "querystring_auth": True,
        },
    }
# Sealed envelopes (opened documents stay encrypted in them): private, outside the web root,
# never served as is.
# A private volume of its own (bidders.models.SealedStorage), also with object storage for the
# public documents.
SEALED_ROOT = Path(os.environ.get("SEALED_ROOT", VAR_DIR / "sealed"))
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
FILE_UPLOAD_PERMISSIONS = 0o640

# --- REST API -------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "procurement.auth.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticatedOrReadOnly"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "api.pagination.Pagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "api.schema.AutoSchema",
    "EXCEPTION_HANDLER": "api.exceptions.exception_handler",
    "DEFAULT_PARSER_CLASSES": [
        "api.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_THROTTLE_CLASSES": [
        "api.throttles.AnonRateThrottle",
        "api.throttles.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": os.environ.get("API_THROTTLE_ANON", "600/minute"),
        "user": os.environ.get("API_THROTTLE_USER", "1200/minute"),
        "login": os.environ.get("API_THROTTLE_LOGIN", "10/minute"),
    },
}
# API tokens expire: a leaked token is worth hours, not forever.
REST_KNOX = {
    "TOKEN_TTL": timedelta(hours=float(os.environ.get("API_TOKEN_TTL_HOURS", "10"))),
    "AUTO_REFRESH": False,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Minh Bạch API",
    "DESCRIPTION": "Public procurement with sealed bids and a verifiable public ledger.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    # Served from our own static files: no CDN, works in a closed government network.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {
        "OrganisationKindEnum": "procurement.models.OrganisationKind.choices",
        "CriterionKindEnum": "tenders.models.CriterionKind.choices",
        "TenderStatusEnum": "tenders.models.TenderStatus.choices",
        "SupplierStatusEnum": "bidders.models.SupplierStatus.choices",
        "ClarificationKindEnum": "evaluation.models.ClarificationKind.choices",
    },
}

# --- Caches (API throttles, the published evaluation) -----------------------------------
# Redis fails open to each process's local memory, logged (procurement.cache): a cache outage
# never refuses a request, and nothing in the cache is the only copy of anything.
REDIS_URL = os.environ.get("REDIS_URL", "")
CACHES = {
    "default": (
        {
            "BACKEND": "procurement.cache.FailoverRedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 2},
        }
        if REDIS_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}

# --- Celery ---------------------------------------------------------------------------------
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "")
if PRODUCTION and not CELERY_BROKER_URL:
    raise ImproperlyConfigured("CELERY_BROKER_URL must be set in production")
# Without a broker the platform runs tasks in-process (eager); `manage.py serve` adds an
# embedded beat thread so the periodic scans still happen.
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_BROKER_URL = CELERY_BROKER_URL or "memory://"
CELERY_RESULT_BACKEND = os.environ.get("CELERY_RESULT_BACKEND") or None
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
# Sealed statements (bids, withdrawals) are merged into the public log by this cadence, in one
# SEALED_BATCH entry per tick however many came (procurement/sealedlog.py); checkpoints follow it.
LEDGER_BATCH_SECONDS = int(os.environ.get("LEDGER_BATCH_SECONDS", "60"))
# Read models built from the ledger after each commit, in seq order, each with its watermark
# (procurement/ledger.py "Projections"). Dotted paths: the kernel imports no app.
LEDGER_PROJECTORS = ["api.opendata.projector.project_after_commit"]
CELERY_BEAT_SCHEDULE = {
    "close-due-tenders": {
        "task": "evaluation.tasks.close_due_tenders",
        "schedule": float(os.environ.get("TENDER_CLOSE_SCAN_SECONDS", "30")),
    },
    # The ledger's cadence: one sealed batch (whether or not bids came) and a checkpoint.
    "ledger-tick": {
        "task": "procurement.tasks.ledger_tick",
        "schedule": float(LEDGER_BATCH_SECONDS),
    },
    "open-ready-tenders": {
        "task": "evaluation.tasks.open_ready_tenders",
        "schedule": float(os.environ.get("TENDER_OPEN_SCAN_SECONDS", "30")),
    },
    "pending-notification-emails": {
        "task": "procurement.tasks.send_pending_notification_emails",
        "schedule": float(os.environ.get("PENDING_EMAILS_SCAN_SECONDS", "300")),
    },
    "sealed-storage-janitor": {
        "task": "bidders.tasks.reconcile_sealed_storage",
        "schedule": float(os.environ.get("SEALED_JANITOR_SECONDS", "900")),
    },
    # Open data catches up with the ledger (each commit projects at once; this is the net).
    "project-open-data": {
        "task": "api.opendata.tasks.project_open_data",
        "schedule": float(os.environ.get("OCDS_PROJECTION_SCAN_SECONDS", "30")),
    },
    "evaluation-deadlines": {
        "task": "evaluation.tasks.track_deadlines",
        "schedule": float(os.environ.get("EVALUATION_DEADLINE_SCAN_SECONDS", "60")),
    },
}

# --- E-mail ---------------------------------------------------------------------------------
# Notifications go out by e-mail from a Celery task. The embedded default writes each message
# to a file under var/mail/ instead of sending it; production sends through SMTP.
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Minh Bach <no-reply@minhbach.local>")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_BACKEND = os.environ.get(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend"
    if PRODUCTION
    else "django.core.mail.backends.filebased.EmailBackend",
)
EMAIL_FILE_PATH = str(VAR_DIR / "mail")

# --- The public ledger ----------------------------------------------------------------------
# The checkpoint key signs the log's tree heads; anyone verifies them with LEDGER_VERIFIER_KEY.
LEDGER_ORIGIN = os.environ.get("LEDGER_ORIGIN", "minhbach.local/ledger")
LEDGER_SIGNING_KEY = os.environ.get("LEDGER_SIGNING_KEY", "")
LEDGER_SIGNING_KEY_FILE = os.environ.get("LEDGER_SIGNING_KEY_FILE", "")
if PRODUCTION and not (LEDGER_SIGNING_KEY or LEDGER_SIGNING_KEY_FILE):
    raise ImproperlyConfigured("LEDGER_SIGNING_KEY or LEDGER_SIGNING_KEY_FILE must be set")
# Only the embedded default may generate a key (labelled as a demo key everywhere it shows).
LEDGER_DEMO_KEY_FILE = VAR_DIR / "demo-ledger-signing.key"
DEMO_MODE = not PRODUCTION and not (LEDGER_SIGNING_KEY or LEDGER_SIGNING_KEY_FILE)
# The embedded default runs the demo custodians' agents in-process every few seconds.
DEMO_CUSTODIANS = env_bool("DEMO_CUSTODIANS", DEMO_MODE and CELERY_TASK_ALWAYS_EAGER)
if PRODUCTION and DEMO_CUSTODIANS:
    raise ImproperlyConfigured("DEMO_CUSTODIANS cannot run in production (their keys are public)")
if DEMO_CUSTODIANS:
    CELERY_BEAT_SCHEDULE["demo-custodians"] = {
        "task": "api.site.tasks.run_demo_custodians",
        "schedule": float(os.environ.get("DEMO_CUSTODIANS_SECONDS", "10")),
    }

# Receipts for bids are signed with a key of their own (not the checkpoint key).
RECEIPT_SIGNING_KEY = os.environ.get("RECEIPT_SIGNING_KEY", "")
RECEIPT_SIGNING_KEY_FILE = os.environ.get("RECEIPT_SIGNING_KEY_FILE", "")
if PRODUCTION and not (RECEIPT_SIGNING_KEY or RECEIPT_SIGNING_KEY_FILE):
    raise ImproperlyConfigured("RECEIPT_SIGNING_KEY or RECEIPT_SIGNING_KEY_FILE must be set")
RECEIPT_DEMO_KEY_FILE = VAR_DIR / "demo-receipt-signing.key"

# --- Sealed bids ------------------------------------------------------------------------
# A bid is on time if its last byte reached the server before the deadline (the database clock
# read at that moment is the bid's time); it is then recorded although the deadline passes
# while it is checked or waits its turn, for at most this long after the deadline, and the
# closing waits as long (docs/envelope.md, "Submission"). Outside production the default is
# 5 s, so that the demo's tenders close at once.
SUBMISSION_SETTLE_SECONDS = int(
    os.environ.get("SUBMISSION_SETTLE_SECONDS", "60" if PRODUCTION else "5")
)
# The largest envelope accepted: 50 MiB of documents plus the price sheet and the per-piece tags.
BID_MAX_BYTES = int(os.environ.get("BID_MAX_BYTES", str(52 * 1024 * 1024)))
# How long after the deadline a custodian's browser waits, by its own clock, before releasing
# (a margin for clock differences). The custodian agent has its own setting.
CUSTODIAN_GRACE_SECONDS = int(os.environ.get("CUSTODIAN_GRACE_SECONDS", "120"))
# The release window after closing (it includes the grace above): the opening decides every
# bid on all the keys released within it, or at once when all n are in. Published in the
# closing entry (docs/envelope.md, "Release window").
CUSTODIAN_RELEASE_WINDOW_SECONDS = int(os.environ.get("CUSTODIAN_RELEASE_WINDOW_SECONDS", "1800"))
# Bids of one tender read and decrypted at once by the opening worker (threads: hashing and
# file I/O run in parallel; the results are recorded one by one). Default: one per core.
OPENING_THREADS = int(os.environ.get("OPENING_THREADS", str(os.cpu_count() or 1)))
# A bid whose stored envelope cannot be read is retried by every opening scan for this long
# after its key set is fixed (the supplier may restore it by sending the same envelope again),
# then recorded publicly as unreadable so that the opening finishes.
OPENING_STORAGE_GRACE_SECONDS = int(os.environ.get("OPENING_STORAGE_GRACE_SECONDS", "1800"))
# Envelopes one supplier may send to one tender (live, replaced and withdrawn together), and
# how long withdrawn and replaced envelopes (never opened) are kept after the tender closes.
BID_ENVELOPES_PER_TENDER = int(os.environ.get("BID_ENVELOPES_PER_TENDER", "20"))
UNOPENED_ENVELOPE_RETENTION_DAYS = int(os.environ.get("UNOPENED_ENVELOPE_RETENTION_DAYS", "90"))
# Leftovers of killed processes (uploads, decryptions, unrecorded envelopes) older than this
# are reconciled by the sealed-storage janitor.
SEALED_JANITOR_MIN_AGE_SECONDS = int(os.environ.get("SEALED_JANITOR_MIN_AGE_SECONDS", "3600"))
# The deployed release (a version or commit), recorded with the front-end code's hashes.
RELEASE_VERSION = os.environ.get("RELEASE_VERSION", "")
# Demo custodians (embedded default only): key folders outside the database, run in-process.
DEMO_CUSTODIANS_DIR = Path(os.environ.get("DEMO_CUSTODIANS_DIR", VAR_DIR / "custodians"))

# --- Open data (OCDS 1.1) ---------------------------------------------------------------
# "ocds-" + six lowercase characters registered with the Open Contracting Partnership.
OCDS_OCID_PREFIX = os.environ.get("OCDS_OCID_PREFIX", "ocds-mbdemo")
# Absolute base of the links in open data (documents, packages, the extension).
PUBLIC_BASE_URL = os.environ.get("PUBLIC_BASE_URL", "http://127.0.0.1:8000").rstrip("/")
OCDS_PUBLISHER_NAME = os.environ.get("OCDS_PUBLISHER_NAME", "Minh Bạch")
OCDS_CONTACT_EMAIL = os.environ.get("OCDS_CONTACT_EMAIL", "")
OCDS_LICENSE = os.environ.get("OCDS_LICENSE", "https://creativecommons.org/licenses/by/4.0/")
# Path or URL of the OCDS 1.1 release schema, for compiling records with OCP's ocdsmerge.
# Unset: the merge rules of OCDS 1.1.5 built into api/opendata/ocds.py are used (no network needed).
OCDS_RELEASE_SCHEMA = os.environ.get("OCDS_RELEASE_SCHEMA", "")

# --- Content Security Policy (django-csp 4) ---------------------------------------------
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'", CSP_NONCE],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "font-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    }
}

# --- Security headers (all environments) and production hardening -------------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = 8 * 3600
if PRODUCTION:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = 31_536_000
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
