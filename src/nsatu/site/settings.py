"""Django settings for development, tests and `make run`.

Production overrides live in ``settings_production``. Configuration comes from
the environment: ``DATABASE_URL`` (default: SQLite under ``var/``),
``NSATU_SECRET_KEY``, ``NSATU_VAR_DIR``.
"""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url

PACKAGE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("NSATU_VAR_DIR", Path.cwd() / "var")).resolve()

# A development-only key; settings_production refuses to start with it.
DEV_SECRET_KEY = "django-insecure-nsatu-development-only"
SECRET_KEY = os.environ.get("NSATU_SECRET_KEY", DEV_SECRET_KEY)
# Off unless asked for (NSATU_DEBUG=1): a debug page shows the whole URL configuration and settings.
DEBUG = os.environ.get("NSATU_DEBUG", "0") == "1"
ALLOWED_HOSTS = [
    h for h in os.environ.get("NSATU_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",") if h
]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "ninja",
    "django_htmx",
    "django_tasks",
    "django_tasks_db",
    "axes",
    "csp",
    "nsatu.core",
    "nsatu.accounts",
    "nsatu.nations",
    "nsatu.catalog",
    "nsatu.needs",
    "nsatu.offers",
    "nsatu.logistics",
    "nsatu.training",
    "nsatu.planning",
    "nsatu.shipments",
    "nsatu.commitments",
    "nsatu.dashboards",
    "nsatu.tokens",
    "nsatu.stress",
    "nsatu.monitoring",
    "nsatu.notifications",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Reads uploads through LimitedUploadHandler before any view (or CSRF check) sees them,
    # and answers a refused one itself: after the user and messages, for the page around it.
    "nsatu.core.uploads.UploadLimitMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "csp.middleware.CSPMiddleware",
    # Last, as django-axes asks: it turns locked-out logins into a 429 page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "nsatu.site.urls"
WSGI_APPLICATION = "nsatu.site.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PACKAGE_DIR / "site" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "nsatu.notifications.context.inbox",
            ]
        },
    }
]


SQLITE_OPTIONS = {
    # Take the write lock at BEGIN so the web server and the task worker queue
    # for it instead of failing with "database is locked".
    "transaction_mode": "IMMEDIATE",
    "timeout": 30,
    "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
}


def _database() -> dict[str, object]:
    url = os.environ.get("DATABASE_URL")
    if url:
        config: dict[str, object] = dict(dj_database_url.parse(url, conn_max_age=60))
        if config["ENGINE"] == "django.db.backends.sqlite3":
            config.update(OPTIONS=dict(SQLITE_OPTIONS), CONN_MAX_AGE=0)
        return config
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    return {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": VAR_DIR / "nsatu.sqlite3",
        # Tests use a file too: an in-memory shared-cache database locks whole
        # tables and ignores the busy timeout, unlike the real thing.
        "TEST": {"NAME": str(VAR_DIR / "test-nsatu.sqlite3")},
        "OPTIONS": dict(SQLITE_OPTIONS),
    }


DATABASES = {"default": _database()}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    # Counts failed logins and locks an account and address out after too many.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = 1  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
# The lockout page in the reader's language (django-axes ships no Ukrainian).
AXES_LOCKOUT_TEMPLATE = "registration/locked.html"

# No inline script anywhere: every script is a file served from the project.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

# Sessions end after NSATU_SESSION_IDLE_SECONDS (8 hours) without a request: every request
# pushes the expiry on, so a day's work goes on and a forgotten browser is signed out overnight.
SESSION_COOKIE_AGE = int(os.environ.get("NSATU_SESSION_IDLE_SECONDS", str(8 * 3600)))
SESSION_SAVE_EVERY_REQUEST = True

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
# A plan run whose worker has not touched its heartbeat for this long is marked failed.
NSATU_PLAN_STALE_SECONDS = float(os.environ.get("NSATU_PLAN_STALE_SECONDS", "60"))
NSATU_PLAN_HEARTBEAT_SECONDS = float(os.environ.get("NSATU_PLAN_HEARTBEAT_SECONDS", "5"))

LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("uk", "Українська")]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
# Our few changes to Django's locale formats (Ukrainian dates); numbers and dates follow the reader's locale.
FORMAT_MODULE_PATH = ["nsatu.site.formats"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [PACKAGE_DIR / "site" / "static"]
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # whitenoise warns about a missing root
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True

# Uploads: each page's size and type limit is enforced while the body streams in
# (nsatu.core.uploads: offers 5 MB .xlsx/.csv, scenarios 20 MB .xlsx, any other page
# NSATU_UPLOAD_MAX_BYTES); files above FILE_UPLOAD_MAX_MEMORY_SIZE go to a temporary file.
FILE_UPLOAD_HANDLERS = [
    "nsatu.core.uploads.LimitedUploadHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]
NSATU_UPLOAD_MAX_BYTES = 5 * 1024 * 1024
# An upload's preview waits this long for its confirmation (nsatu.core.previews); an offers file
# holds at most this many rows.
NSATU_UPLOAD_PREVIEW_SECONDS = float(os.environ.get("NSATU_UPLOAD_PREVIEW_SECONDS", "3600"))
NSATU_UPLOAD_MAX_ROWS = int(os.environ.get("NSATU_UPLOAD_MAX_ROWS", "20000"))
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440  # 2.5 MB
# A request body that is not a file (form fields, API JSON) above this is refused (400).
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440

# End-use monitoring: the initial serial inventory is due this many days after receipt, then yearly.
NSATU_EUM_INITIAL_DAYS = int(os.environ.get("NSATU_EUM_INITIAL_DAYS", "90"))
NSATU_EUM_ANNUAL_DAYS = int(os.environ.get("NSATU_EUM_ANNUAL_DAYS", "365"))
# Evidence files (waybills, photos, inventory sheets) live here, named by their SHA-256, not in the database.
NSATU_EVIDENCE_DIR = Path(os.environ.get("NSATU_EVIDENCE_DIR", VAR_DIR / "evidence")).resolve()
NSATU_EVIDENCE_MAX_BYTES = 10 * 1024 * 1024
# The Ed25519 key that signs ledger checkpoints: a file outside the database (and the repository),
# created on first use with mode 0600; its public half is written beside it as <name>.pub.
NSATU_LEDGER_KEY = Path(os.environ.get("NSATU_LEDGER_KEY", VAR_DIR / "ledger-signing.key")).resolve()

# Notifications by e-mail: printed on the console unless a backend is configured (nothing leaves the
# machine by default). NSATU_SITE_URL makes the links in e-mails absolute.
EMAIL_BACKEND = os.environ.get("NSATU_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = os.environ.get("NSATU_EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("NSATU_EMAIL_PORT", "25"))
DEFAULT_FROM_EMAIL = os.environ.get("NSATU_EMAIL_FROM", "nsatu@localhost")
NSATU_SITE_URL = os.environ.get("NSATU_SITE_URL", "http://127.0.0.1:8000")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("NSATU_LOG_LEVEL", "WARNING")},
}
