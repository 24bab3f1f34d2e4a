"""Settings for trialsite, driven by environment variables.

Nothing set: SQLite file under ``var/``, a file-system Celery broker that needs no server, DEBUG on.
A deployer sets ``DATABASE_URL`` (PostgreSQL), ``CELERY_BROKER_URL`` (Redis), ``SECRET_KEY``,
``ALLOWED_HOSTS`` and ``DEBUG=0``; production switches on secure cookies and HSTS.
"""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from django.utils.csp import CSP
from kombu import Queue

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("TRIALSITE_VAR_DIR", BASE_DIR / "var"))


def env_bool(name, default):
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name, default=""):
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", True)
# The development key only ever serves DEBUG; production refuses to start without a real one.
SECRET_KEY = os.environ.get("SECRET_KEY") or (
    "dev-only-insecure-key-trialsite" if DEBUG else None
)
if not SECRET_KEY:
    raise RuntimeError("SECRET_KEY must be set when DEBUG is off")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "simple_history",
    "axes",
    "health_check",
    # Our apps, in import order: a lower app never imports a higher one.
    "trialsite",
    "trialsite.exports",
    "trialsite.monitoring",
    "trialsite.archives",
    "enrollment",
    "eligibility",
    "visits",
    "biosamples",
    "outcomes",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Content-Security-Policy (SECURE_CSP below) and Permissions-Policy on every response.
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "trialsite.middleware.PermissionsPolicyMiddleware",
    # A request body over MAX_REQUEST_BYTES is refused with 413 before anything reads it.
    "trialsite.middleware.UploadLimitMiddleware",
    # A NUL character in the address or query is bad input: 400 before any view runs.
    "trialsite.middleware.RejectNullCharactersMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Absolute session lifetime; a user whose password an administrator reset sets their own.
    "trialsite.accounts.AccountSecurityMiddleware",
    # A double-submitted create form (or API write with an Idempotency-Key) writes once.
    "trialsite.submit_once.SubmitOnceMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # Every API call, with the user (the token's user) it ran as.
    "trialsite.exports.middleware.ApiRequestLogMiddleware",
    # Axes last: it turns a lockout raised by the authentication backend into the lockout page.
    "axes.middleware.AxesMiddleware",
]

if not DEBUG:
    # WhiteNoise serves the collected static files in production; runserver does it in DEBUG.
    MIDDLEWARE.insert(1, "whitenoise.middleware.WhiteNoiseMiddleware")

ROOT_URLCONF = "trialsite.urls"
WSGI_APPLICATION = "trialsite.wsgi.application"
AUTH_USER_MODEL = "trialsite.User"

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
                "trialsite.context_processors.navigation",
            ],
        },
    },
]

# Database: SQLite file by default; DATABASE_URL=postgres://... for PostgreSQL (psycopg 3).
# Production runs two roles (docs/deployment.md): DATABASE_URL is the application's role (reads and
# writes rows, never owns a table, cannot touch history), DATABASE_OWNER_URL the role that owns the
# schema and runs ``migrate`` (alias "owner"). DATABASE_REPLICA_URL, when set, is a streaming
# replica that exports read from (trialsite.db_router). DATABASE_PGBOUNCER=1 when the URLs point at
# PgBouncer in transaction mode: no server-side cursors, no prepared statements.
_sqlite_default = f"sqlite:///{VAR_DIR / 'trialsite.sqlite3'}"
DATABASE_PGBOUNCER = env_bool("DATABASE_PGBOUNCER", False)
# Fail fast when PostgreSQL does not answer, rather than hanging a request.
DATABASE_CONNECT_TIMEOUT = int(os.environ.get("DATABASE_CONNECT_TIMEOUT", "10"))


def _database(url):
    config = dj_database_url.parse(url, conn_max_age=60)
    if config["ENGINE"] == "django.db.backends.postgresql":
        config["OPTIONS"] = {"connect_timeout": DATABASE_CONNECT_TIMEOUT}
        if DATABASE_PGBOUNCER:
            # A transaction-mode pooler hands each transaction to any server connection: a
            # named cursor or a prepared statement would not be there at the next one.
            config["DISABLE_SERVER_SIDE_CURSORS"] = True
            config["OPTIONS"]["prepare_threshold"] = None
    return config


DATABASES = {"default": _database(os.environ.get("DATABASE_URL") or _sqlite_default)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A fresh checkout has no var/ yet; any manage.py command (makemigrations --check too)
    # must be able to open the embedded database.
    Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    # IMMEDIATE transactions take the write lock at BEGIN, so the read-check-write of an
    # optimistic-concurrency save cannot interleave with another writer.
    DATABASES["default"]["OPTIONS"] = {"transaction_mode": "IMMEDIATE", "timeout": 20}
    DATABASES["default"]["CONN_MAX_AGE"] = 0
DATABASES["default"]["ATOMIC_REQUESTS"] = False
if os.environ.get("DATABASE_OWNER_URL"):
    DATABASES["owner"] = {**_database(os.environ["DATABASE_OWNER_URL"]), "CONN_MAX_AGE": 0,
                          "ATOMIC_REQUESTS": False, "TEST": {"MIRROR": "default"}}
if os.environ.get("DATABASE_REPLICA_URL"):
    DATABASES["replica"] = {**_database(os.environ["DATABASE_REPLICA_URL"]),
                            "ATOMIC_REQUESTS": False, "TEST": {"MIRROR": "default"}}
DATABASE_ROUTERS = ["trialsite.db_router.ExportReplicaRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    # Axes first: it refuses a locked-out username+IP before any password is checked.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Lockout: five wrong passwords for one username from one IP lock that pair for 30 minutes.
AXES_FAILURE_LIMIT = int(os.environ.get("AXES_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = timedelta(minutes=int(os.environ.get("AXES_COOLOFF_MINUTES", "30")))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_RESET_ON_SUCCESS = True
AXES_IPWARE_PROXY_COUNT = int(os.environ.get("AXES_PROXY_COUNT", "0")) or None
AXES_IPWARE_META_PRECEDENCE_ORDER = ["HTTP_X_FORWARDED_FOR", "REMOTE_ADDR"]

# Idle timeout: the session lives 30 minutes from the last request.
SESSION_COOKIE_AGE = int(os.environ.get("SESSION_IDLE_MINUTES", "30")) * 60
SESSION_SAVE_EVERY_REQUEST = True
# Besides the idle timeout, a session ends this long after its login, however active.
SESSION_ABSOLUTE_HOURS = int(os.environ.get("SESSION_ABSOLUTE_HOURS", "12"))
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", VAR_DIR / "staticfiles"))
# Generated files (data packages) go through Django's storage API to one store that every web and
# worker process shares: a folder (TRIALSITE_FILES_DIR; a volume shared by web and worker in
# docker-compose.yml), or an S3-compatible object store when TRIALSITE_S3_BUCKET is set (several
# hosts). Credentials come from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY as boto3 reads them.
FILES_DIR = Path(os.environ.get("TRIALSITE_FILES_DIR", VAR_DIR / "files"))
TRIALSITE_S3_BUCKET = os.environ.get("TRIALSITE_S3_BUCKET", "")
if TRIALSITE_S3_BUCKET:
    _files_storage = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": TRIALSITE_S3_BUCKET,
            "endpoint_url": os.environ.get("TRIALSITE_S3_ENDPOINT_URL") or None,
            "region_name": os.environ.get("TRIALSITE_S3_REGION") or None,
            "location": os.environ.get("TRIALSITE_S3_PREFIX", ""),
            "default_acl": None,
            "file_overwrite": False,
            "querystring_auth": True,
        },
    }
else:
    _files_storage = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(FILES_DIR), "file_permissions_mode": 0o640,
                    "directory_permissions_mode": 0o750},
    }
# Packages are deleted from the store this many days after they were built.
TRIALSITE_PACKAGE_RETENTION_DAYS = int(os.environ.get("TRIALSITE_PACKAGE_RETENTION_DAYS", "30"))

# Processes the fingerprint analysis's permutation test may use (joblib; the numbers do not
# depend on it). 1 is safe inside any worker; 2 halves the time on a free 2-core machine.
SPECTRA_ANALYSIS_JOBS = int(os.environ.get("SPECTRA_ANALYSIS_JOBS", "1"))
STORAGES = {
    "default": _files_storage,
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# Mail: the console in development; SMTP (EMAIL_HOST, EMAIL_PORT, ...) in production.
_mail_backend = os.environ.get(
    "EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend"
    if DEBUG
    else "django.core.mail.backends.smtp.EmailBackend",
)
_mail_options = {}
if _mail_backend.endswith("smtp.EmailBackend"):
    _mail_options = {
        "host": os.environ.get("EMAIL_HOST", "localhost"),
        "port": int(os.environ.get("EMAIL_PORT", "25")),
        "username": os.environ.get("EMAIL_HOST_USER", ""),
        "password": os.environ.get("EMAIL_HOST_PASSWORD", ""),
        "use_tls": env_bool("EMAIL_USE_TLS", False),
    }
MAILERS = {"default": {"BACKEND": _mail_backend, "OPTIONS": _mail_options}}
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "trialsite@localhost")
SERVER_EMAIL = os.environ.get("SERVER_EMAIL", DEFAULT_FROM_EMAIL)
# Who is alerted when the audit trail's verification finds a break (comma-separated e-mails).
ADMINS = [a.strip() for a in os.environ.get("ADMINS", "").split(",") if a.strip()]

# Audit trail (django-simple-history): reasons are free text of any length, and no revert button.
SIMPLE_HISTORY_HISTORY_CHANGE_REASON_USE_TEXT_FIELD = True
SIMPLE_HISTORY_REVERT_DISABLED = True
SIMPLE_HISTORY_ENABLED = True
# The account that background jobs and management commands act as in the audit trail.
TRIALSITE_SYSTEM_USERNAME = "system"

# REST API
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # API tokens stored as SHA-256 hashes (the API access page); never in plain text.
        "trialsite.exports.authentication.HashedTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "trialsite.api.pagination.IdCursorPagination",
    "PAGE_SIZE": 100,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "trialsite.api.errors.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "trialsite API",
    "DESCRIPTION": "Electronic data capture for oncology trials: patients, sites and studies.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "/static/favicon.svg",
    "REDOC_DIST": "SIDECAR",
    "SCHEMA_PATH_PREFIX": "/api/v1",
    # Data packages and site archives are jobs with the same statuses: one enum.
    "ENUM_NAME_OVERRIDES": {"JobStatusEnum": "trialsite.exports.models.DataPackage.Status"},
    # The schema and the docs describe every endpoint: for logged-in users (or tokens) only.
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
}

# Celery. Without CELERY_BROKER_URL the broker is a folder on disk: a real worker and beat run
# with no server (make run). CI and production point it at Redis.
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "filesystem://")
CELERY_RESULT_BACKEND = os.environ.get("CELERY_RESULT_BACKEND") or None
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = CELERY_RESULT_BACKEND is None
CELERY_TIMEZONE = "UTC"
# Two queues, so a long export never delays the daily jobs: "exports" (data packages, real-world
# imports: minutes each) and "daily" (the scheduled jobs and everything else). Run a worker on
# each (``-Q exports`` / ``-Q daily``); a worker started without -Q serves both.
CELERY_TASK_DEFAULT_QUEUE = "daily"
CELERY_TASK_QUEUES = [Queue("daily"), Queue("exports")]
CELERY_TASK_ROUTES = {
    "trialsite.exports.tasks.build_data_package": {"queue": "exports"},
    "trialsite.archives.tasks.build_site_archive_task": {"queue": "exports"},
    "outcomes.tasks.run_real_world_import": {"queue": "exports"},
}
# A redelivered message (worker killed mid-task, acks_late) comes back after this long: longer
# than the longest job, so a job still running is never run twice.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": int(os.environ.get("CELERY_VISIBILITY_TIMEOUT", str(2 * 3600)))
}
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
# With Redis, beat keeps its schedule in Redis and holds a lock there (celery-redbeat): a second
# beat started by mistake (or on a second host) waits for the lock and sends nothing.
if CELERY_BROKER_URL.startswith(("redis://", "rediss://")):
    CELERY_BEAT_SCHEDULER = "redbeat.RedBeatScheduler"
    CELERY_REDBEAT_REDIS_URL = os.environ.get("CELERY_REDBEAT_REDIS_URL", CELERY_BROKER_URL)
    CELERY_REDBEAT_KEY_PREFIX = os.environ.get("CELERY_REDBEAT_KEY_PREFIX", "trialsite:beat")
    CELERY_REDBEAT_LOCK_TIMEOUT = 5 * 60
if CELERY_BROKER_URL.startswith("filesystem://"):
    _broker_dir = VAR_DIR / "celery-broker"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "processed_folder": str(_broker_dir / "processed"),
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
    }
CELERY_BEAT_SCHEDULE = {
    "purge-expired-sessions": {
        "task": "trialsite.tasks.purge_expired_sessions",
        "schedule": crontab(hour=3, minute=15),
    },
    # Audit trail: recompute every history table's hash chain; alert ADMINS on a break.
    "verify-audit-trail": {
        "task": "trialsite.tasks.verify_audit_trail",
        "schedule": crontab(hour=4, minute=0),
    },
    # Visits: grow schedules, then flag what closed yesterday, then e-mail the digests.
    "extend-visit-schedules": {
        "task": "visits.tasks.extend_visit_schedules",
        "schedule": crontab(hour=1, minute=0),
    },
    "flag-overdue-visits": {
        "task": "visits.tasks.flag_overdue_visits",
        "schedule": crontab(hour=1, minute=30),
    },
    "send-visit-reminders": {
        "task": "visits.tasks.send_visit_reminders",
        "schedule": crontab(hour=6, minute=0),
    },
    # Monitoring: the protocols' edit checks over every patient (opens/closes auto-queries).
    "run-edit-checks": {
        "task": "trialsite.monitoring.tasks.run_edit_checks",
        "schedule": crontab(hour=2, minute=0),
    },
    # Samples: expected samples not recorded, shipments too long in transit, thawed arrivals.
    "flag-sample-problems": {
        "task": "biosamples.tasks.flag_sample_problems",
        "schedule": crontab(hour=1, minute=45),
    },
    # Files: packages past TRIALSITE_PACKAGE_RETENTION_DAYS leave the store.
    "purge-expired-data-packages": {
        "task": "trialsite.exports.tasks.purge_expired_data_packages",
        "schedule": crontab(hour=3, minute=30),
    },
}

# Content-Security-Policy: scripts only from our own static files (no inline script, no
# eval, no CDN: the network is closed); styles from our files, plus inline style attributes
# (progress meters set their width); no plugins, no framing, forms post only to us.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF, CSP.UNSAFE_INLINE],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}
# API tokens expire at the latest this many days after they are made.
API_TOKEN_MAX_DAYS = int(os.environ.get("API_TOKEN_MAX_DAYS", "90"))

# Uploads (results manifests, real-world files, API bodies): at most this much per request.
MAX_REQUEST_BYTES = int(os.environ.get("MAX_UPLOAD_MB", "20")) * 1024 * 1024
# Bodies read into memory (forms, JSON) stay smaller; files above this spool to disk.
DATA_UPLOAD_MAX_MEMORY_SIZE = MAX_REQUEST_BYTES
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024

# Browser features the application never uses, switched off for every page.
PERMISSIONS_POLICY = ("camera=(), microphone=(), geolocation=(), payment=(), usb=(), "
                      "serial=(), bluetooth=(), midi=(), magnetometer=(), gyroscope=(), "
                      "accelerometer=(), display-capture=(), interest-cohort=()")

# Production hardening: all of it follows from DEBUG=0 so `check --deploy` passes out of the box.
if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    # The container and load-balancer probes speak plain HTTP to the web process itself.
    SECURE_REDIRECT_EXEMPT = [r"^health/"]
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", str(365 * 24 * 3600)))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_CONTENT_TYPE_NOSNIFF = True
    SECURE_REFERRER_POLICY = "same-origin"
    X_FRAME_OPTIONS = "DENY"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"axes": {"level": "WARNING"}},
}
