"""Undersigned settings: read from the environment only, with defaults that run as they are.

Each environment variable is documented on the line above the line that reads it; the README's
configuration table is made from these comments by `make config-table`.
"""

from __future__ import annotations

from pathlib import Path

from django.utils.translation import gettext_lazy as _

from undersigned.lib.env import (
    database_from_url,
    env_bool,
    env_int,
    env_list,
    env_secret,
    env_str,
    persistent_secret,
)

BASE_DIR = Path(__file__).resolve().parent.parent

# Folder for the SQLite database, the generated secret key and collected static files.
DATA_DIR = Path(env_str("DATA_DIR", str(BASE_DIR / "var")))

# Debug pages with tracebacks. Never on in production.
DEBUG = env_bool("DEBUG", False)

# Demo mode: outgoing mail is kept and shown at /demo/mailbox/ instead of being sent.
DEMO_MODE = env_bool("DEMO_MODE", False)

# Secret for sessions and CSRF. Unset: a random key is generated once in DATA_DIR/secret_key.
SECRET_KEY = env_secret("SECRET_KEY") or persistent_secret(DATA_DIR / "secret_key")

# Host names this site answers to, comma-separated.
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])

# Public address of the site, used in links inside emails (no trailing slash).
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

# Trusted origins for CSRF when the site is served over HTTPS behind a proxy, comma-separated.
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_countries",
    "undersigned.audit",
    "undersigned.organisations",
    "undersigned.statements",
    "undersigned.jobs",
    "undersigned.mailings",
]

MIDDLEWARE = [
    # Before the page cache: the HTTPS redirect and security headers apply to stored pages too.
    "django.middleware.security.SecurityMiddleware",
    # Early, so that a stored public page skips all the rest (see undersigned.lib.pagecache).
    "undersigned.lib.pagecache.PublicPageCacheMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "undersigned.urls"
WSGI_APPLICATION = "undersigned.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "undersigned" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "undersigned.statements.context_processors.site",
            ],
        },
    },
]

# PostgreSQL connection, e.g. postgres://user:password@127.0.0.1:5432/undersigned. Unset: SQLite.
DATABASE_URL = env_str("DATABASE_URL", "")
if DATABASE_URL:
    DATABASES = {"default": database_from_url(DATABASE_URL)}
    DATABASES["default"]["CONN_MAX_AGE"] = 60
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": DATA_DIR / "undersigned.sqlite3",
            # Keep each thread's connection: opening one runs the PRAGMAs below, and closing the
            # last one checkpoints the WAL, both far dearer than a request.
            "CONN_MAX_AGE": None,
            # Write transactions take the lock at BEGIN, so concurrent writers queue on the
            # busy timeout instead of failing mid-transaction with "database is locked".
            "OPTIONS": {
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": (
                    "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;"
                ),
            },
        }
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

# Interface language when nothing else decides it (a language with a full UI translation).
LANGUAGE_CODE = env_str("LANGUAGE_CODE", "en")
LANGUAGES = [("en", _("English")), ("es", _("Spanish"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
# Time zone for dates shown to people and for the signatures-per-day table.
TIME_ZONE = env_str("TIME_ZONE", "UTC")
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "undersigned" / "static"]
# Uploaded files (organisation logos) live here and are served under MEDIA_URL.
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(DATA_DIR / "media")))
MEDIA_URL = "/media/"

# Sender address of every email.
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Undersigned <noreply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# SMTP server host.
EMAIL_HOST = env_str("EMAIL_HOST", "127.0.0.1")
# SMTP server port.
EMAIL_PORT = env_int("EMAIL_PORT", 25)
# SMTP user name, if the server asks for one.
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
# SMTP password (or EMAIL_HOST_PASSWORD_FILE naming a file that holds it).
EMAIL_HOST_PASSWORD = env_secret("EMAIL_HOST_PASSWORD", "") or ""
# STARTTLS on the SMTP connection.
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
# Implicit TLS (SMTPS, usually port 465).
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
# Seconds before an SMTP connection attempt gives up.
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 30)
EMAIL_BACKEND = (
    "undersigned.mailings.backends.DemoMailboxBackend"
    if DEMO_MODE
    else "django.core.mail.backends.smtp.EmailBackend"
)

# Send Secure cookies and redirect to HTTPS (turn on behind an HTTPS proxy in production).
HTTPS = env_bool("HTTPS", False)
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_SSL_REDIRECT = HTTPS
if HTTPS:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = 31_536_000
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
# No referrer leaves for other sites. Not "no-referrer": under it browsers send "Origin: null"
# with every form POST, which Django's CSRF check rejects, so no form would work.
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

# Niceness the worker adds to its scheduling priority, so web requests come first (0 to 19).
WORKER_NICENESS = env_int("WORKER_NICENESS", 10)

# Worker processes: each renders and sends email on one CPU core at most.
WORKER_PROCESSES = env_int("WORKER_PROCESSES", 2)

# Threads per worker process, each sending over its own SMTP connection.
WORKER_THREADS = env_int("WORKER_THREADS", 4)

# How many times the worker tries a job (an email) before giving up on it.
JOB_MAX_ATTEMPTS = env_int("JOB_MAX_ATTEMPTS", 8)

# Days after which a signature nobody confirmed is deleted, with its email address.
UNCONFIRMED_DAYS = env_int("UNCONFIRMED_DAYS", 7)

# Signers listed per page of the public signatory list.
SIGNATORIES_PER_PAGE = env_int("SIGNATORIES_PER_PAGE", 100)

# Lowest level of log messages written to standard error (DEBUG, INFO, WARNING, ERROR).
LOG_LEVEL = env_str("LOG_LEVEL", "INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "redacted": {
            "()": "undersigned.lib.logfilter.RedactingFormatter",
            "format": "%(asctime)s %(levelname)s %(name)s %(message)s",
        }
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "redacted"}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    # Request logs carry URLs with tokens in them; keep them out of the log.
    "loggers": {"django.request": {"level": "ERROR"}, "django.server": {"level": "ERROR"}},
}
