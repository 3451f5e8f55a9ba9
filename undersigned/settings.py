"""Undersigned settings: read from the environment only, with defaults that run as they are.

Each environment variable is documented on the line above the line that reads it; the table in
docs/configuration.md is made from these comments by `make config-table`.
"""

from __future__ import annotations

import json
from pathlib import Path

from django.utils.translation import gettext_lazy as _

from undersigned.lib.env import (
    EnvError,
    database_from_url,
    env_bool,
    env_int,
    env_list,
    env_secret,
    env_str,
    persistent_secret,
    private_sqlite,
)

BASE_DIR = Path(__file__).resolve().parent.parent

# Folder for the SQLite database, the generated secret key and collected static files.
DATA_DIR = Path(env_str("DATA_DIR", str(BASE_DIR / "var")))

# Debug pages with tracebacks. Never on in production.
DEBUG = env_bool("DEBUG", False)

# Demo mode: outgoing mail is kept and shown at /demo/mailbox/ instead of being sent, to a
# browser on this machine only (a loopback peer, no header a proxy or a tunnel adds).
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
    "undersigned.abuse",
    "undersigned.accounts",
    "undersigned.organisations",
    "undersigned.pictures",
    "undersigned.statements",
    "undersigned.jobs",
    "undersigned.mailings",
    "undersigned.dashboard",
    "undersigned.updates",
    "undersigned.events",
    "undersigned.funds",
    "undersigned.comments",
    "undersigned.paper",
    "undersigned.public",
]

MIDDLEWARE = [
    # First, to see every request: says once in the log if a proxy is not in TRUSTED_PROXIES.
    "undersigned.lib.clientip.UntrustedProxyMiddleware",
    # Before the page cache: the HTTPS redirect and security headers apply to stored pages too.
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Content-Security-Policy and Cache-Control, also on the pages the cache below serves.
    "undersigned.lib.headers.SecurityHeadersMiddleware",
    # A body the server refused (too slow, too large) is answered before anything reads the
    # empty form left (see undersigned.lib.rsgi).
    "undersigned.lib.rsgi.RefusedBodyMiddleware",
    # Early, so that a stored public page skips all the rest (see undersigned.lib.pagecache).
    "undersigned.lib.pagecache.PublicPageCacheMiddleware",
    # Early, so that a plain sign POST skips all the rest (see undersigned.public.middleware).
    "undersigned.public.middleware.SignMiddleware",
    # The organisers' pages compressed (not the public ones, answered above).
    "undersigned.lib.compress.OrganiserPagesGZipMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Session timeouts and two-factor authentication for logged-in organisers.
    "undersigned.accounts.middleware.AccountSecurityMiddleware",
]

ROOT_URLCONF = "undersigned.urls"
WSGI_APPLICATION = "undersigned.wsgi.application"

# Python threads per web process that run requests. A request's body is read in full before a
# thread takes it, so a slow client holds none; a sign request spends most of its time waiting
# for its commit, so more threads than cores let more signatures share one. On PostgreSQL each
# holds a connection.
WEB_THREADS = env_int("WEB_THREADS", 16)
# Largest request body accepted, in bytes; a larger one is refused (413) before it is read. Each
# body is held in memory until its request is done; the default is above Django's own limit on
# form fields (2.5 MB) and the largest logo (1 MB).
REQUEST_BODY_MAX_BYTES = env_int("REQUEST_BODY_MAX_BYTES", 4 * 1024 * 1024)
# Seconds a client has to send a request's whole body once its headers are in; a slower one is
# refused (408) and its connection closed.
REQUEST_BODY_SECONDS = env_int("REQUEST_BODY_SECONDS", 20)

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

# Form fields point at their error messages for screen readers (undersigned.lib.forms).
FORM_RENDERER = "undersigned.lib.forms.FormRenderer"

# PostgreSQL connection, e.g. postgres://user:password@127.0.0.1:5432/undersigned. Unset: SQLite.
# Query options go to psycopg (?sslmode=require); parameters are bound on the server unless
# ?server_side_binding=false, and a statement a connection has run twice is prepared on the
# server unless ?prepare_threshold=none (needed behind PgBouncer in transaction mode before 1.21).
DATABASE_URL = env_str("DATABASE_URL", "")
if DATABASE_URL:
    DATABASES = {"default": database_from_url(DATABASE_URL)}
    DATABASES["default"]["CONN_MAX_AGE"] = 60
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            # Readable by the service's user only, its WAL too (see private_sqlite).
            "NAME": private_sqlite(DATA_DIR / "undersigned.sqlite3"),
            # Keep each thread's connection: opening one runs the PRAGMAs below, and closing the
            # last one checkpoints the WAL, both far dearer than a request.
            "CONN_MAX_AGE": None,
            # Write transactions take the lock at BEGIN, so concurrent writers queue on the
            # busy timeout instead of failing mid-transaction with "database is locked".
            # secure_delete: deleted rows are overwritten with zeros, not left in free space
            # (some builds of SQLite turn it on by default, not all); jobs/scrub.py then
            # clears the write-ahead log of them.
            "OPTIONS": {
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": (
                    "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;"
                    " PRAGMA secure_delete=ON;"
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
# Argon2 for new and changed passwords; older hashes are upgraded at the next login.
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
# After logging out, the organiser's own login page, not the Django admin's "logged out" page.
LOGOUT_REDIRECT_URL = "login"
# Failed logins (wrong password or code) for one account name before it is refused for a while.
LOGIN_FAILURES_PER_ACCOUNT = env_int("LOGIN_FAILURES_PER_ACCOUNT", 5)
# Failed logins from one client (see CLIENT_IPV6_PREFIX), whatever the account, before it is
# refused for a while.
LOGIN_FAILURES_PER_CLIENT = env_int("LOGIN_FAILURES_PER_CLIENT", 20)
# Seconds over which failed logins are counted, and how long a refusal lasts.
LOGIN_FAILURE_WINDOW = env_int("LOGIN_FAILURE_WINDOW", 900)
# Seconds a login lasts at most, however active the organiser is (default 12 hours).
SESSION_ABSOLUTE_SECONDS = env_int("SESSION_ABSOLUTE_SECONDS", 12 * 3600)
# Seconds without any request after which an organiser is logged out (default 30 minutes).
SESSION_IDLE_SECONDS = env_int("SESSION_IDLE_SECONDS", 1800)
SESSION_COOKIE_AGE = SESSION_ABSOLUTE_SECONDS

# Interface language when nothing else decides it (a language with a full UI translation).
LANGUAGE_CODE = env_str("LANGUAGE_CODE", "en")
LANGUAGES = [("en", _("English")), ("es", _("Spanish"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
# How dates are written in each interface language (undersigned/lib/formats/).
FORMAT_MODULE_PATH = ["undersigned.lib.formats"]
# Time zone for dates shown to people and for the signatures-per-day table.
TIME_ZONE = env_str("TIME_ZONE", "UTC")
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "undersigned" / "static"]
# Uploaded files (organisation logos, pictures) live here and are served under MEDIA_URL.
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(DATA_DIR / "media")))
MEDIA_URL = "/media/"
# Generated PDFs (leaflets, posters, sheets, delivery packs) live here, outside MEDIA_ROOT so
# that nothing serves them but the dashboard's access-checked download. With several app
# servers, a directory they and the worker share.
PAPER_DIR = Path(env_str("PAPER_DIR", str(DATA_DIR / "paper")))
# Days a generated PDF is kept before the worker deletes its file (a pack's public check
# record, its count and hash, stays).
PAPER_KEEP_DAYS = env_int("PAPER_KEEP_DAYS", 7)
# Where pictures are stored: a Django storage class (the default keeps them under MEDIA_ROOT;
# with several app servers, e.g. storages.backends.s3.S3Storage from django-storages). The
# site always serves them itself, so readers never contact the storage's host.
FILE_STORAGE = env_str("FILE_STORAGE", "django.core.files.storage.FileSystemStorage")
# That storage's options, as a JSON object (e.g. {"bucket_name": "pictures"}).
FILE_STORAGE_OPTIONS = json.loads(env_str("FILE_STORAGE_OPTIONS", "{}"))
STORAGES = {
    "default": {"BACKEND": FILE_STORAGE, "OPTIONS": FILE_STORAGE_OPTIONS},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

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
LANGUAGE_COOKIE_SECURE = HTTPS
SECURE_SSL_REDIRECT = HTTPS
# Ask browsers to keep the preload flag in HSTS (only after you have decided to submit the domain
# to the browsers' preload list, which is hard to undo).
HSTS_PRELOAD = env_bool("HSTS_PRELOAD", False)
if HTTPS:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = 31_536_000
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = HSTS_PRELOAD
# security.W021 asks for HSTS preload. Preloading binds the whole domain for months and is the
# operator's decision (HSTS_PRELOAD=1), not a default this project can take for them.
SILENCED_SYSTEM_CHECKS = [] if HSTS_PRELOAD else ["security.W021"]
# No script reads a cookie; cookies go with same-site requests and top-level links only.
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
LANGUAGE_COOKIE_SAMESITE = "Lax"
# No referrer leaves the site. Under this header alone browsers send "Origin: null" with form
# POSTs, which the CSRF checks refuse; pages with a form say <meta name="referrer"
# content="same-origin"> (templates/base.html), so those POSTs carry the site's own origin.
SECURE_REFERRER_POLICY = "no-referrer"
# Every organiser account must use two-factor authentication (TOTP) before it sees any
# organiser page or the admin. Default: on when HTTPS is on, i.e. in production.
TWO_FACTOR_REQUIRED = env_bool("TWO_FACTOR_REQUIRED", HTTPS)
# The name authenticator apps show beside the codes for this site.
TWO_FACTOR_ISSUER = env_str("TWO_FACTOR_ISSUER", "Undersigned")
SECURE_CONTENT_TYPE_NOSNIFF = True
CSRF_FAILURE_VIEW = "undersigned.lib.headers.csrf_failure"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# Update emails an organisation may send per minute, across its statements (a mail server
# that sees too many at once may take the site for a spammer).
UPDATE_EMAILS_PER_MINUTE = env_int("UPDATE_EMAILS_PER_MINUTE", 30000)
# The secret your mail server sends as "Authorization: Bearer <secret>" to POST bounced
# addresses to /hooks/bounces/ (or BOUNCE_HOOK_TOKEN_FILE naming a file that holds it); empty
# turns the hook off.
BOUNCE_HOOK_TOKEN = env_secret("BOUNCE_HOOK_TOKEN", "") or ""

# Niceness the worker adds to its scheduling priority, so web requests come first (0 to 19).
WORKER_NICENESS = env_int("WORKER_NICENESS", 10)

# Worker processes: each renders and sends email on one CPU core at most.
WORKER_PROCESSES = env_int("WORKER_PROCESSES", 2)

# Threads per worker process, each sending over its own SMTP connection.
WORKER_THREADS = env_int("WORKER_THREADS", 4)

# How many times the worker tries a job (an email) before giving up on it; while the mail
# server cannot be reached at all, it keeps trying for about a day (32 tries) instead.
JOB_MAX_ATTEMPTS = env_int("JOB_MAX_ATTEMPTS", 8)

# Days after which a signature or a follower nobody confirmed is deleted, with its email
# address; a follower's confirmation link works this long.
UNCONFIRMED_DAYS = env_int("UNCONFIRMED_DAYS", 7)

# Days after an event ends before its attendees' names and addresses are deleted; the
# organiser's attendance figure stays.
EVENT_ATTENDEES_DAYS = env_int("EVENT_ATTENDEES_DAYS", 30)

# Days a bank transfer's reference waits for its money before the ledger marks it lapsed (an
# organiser can still match it afterwards).
FUND_TRANSFER_DAYS = env_int("FUND_TRANSFER_DAYS", 60)

# Minutes after confirming a comment during which its writer may still change it.
COMMENT_EDIT_MINUTES = env_int("COMMENT_EDIT_MINUTES", 15)

# Days a rejected comment or spam is kept for the moderators before it is deleted.
COMMENT_REJECTED_DAYS = env_int("COMMENT_REJECTED_DAYS", 30)

# Minutes between two digests of waiting comments to one moderator.
COMMENT_DIGEST_MINUTES = env_int("COMMENT_DIGEST_MINUTES", 60)
# Card payments for funds through Stripe Checkout: on when the secret key is set. Keys come
# from the environment only (or NAME_FILE), never from the database or a page.
STRIPE_SECRET_KEY = env_secret("STRIPE_SECRET_KEY", "") or ""
# The signing secret of the Stripe webhook endpoint (/funds/webhook/stripe/), whsec_…
STRIPE_WEBHOOK_SECRET = env_secret("STRIPE_WEBHOOK_SECRET", "") or ""
# Where Stripe's API is: only tests point it elsewhere (a local fake of the API).
STRIPE_API_BASE = env_str("STRIPE_API_BASE", "https://api.stripe.com")

# Reverse proxies whose X-Forwarded-For is believed, comma-separated IPs or networks
# (e.g. 127.0.0.1,10.0.0.0/8). From anyone else the header is ignored. Behind a proxy, name it:
# otherwise every visitor is the proxy, one client for every limit (the log says so once).
TRUSTED_PROXIES = env_list("TRUSTED_PROXIES", [])

# Bits of an IPv6 address that make one client for every per-client limit (signing, following,
# logins): 64 counts a whole /64, which one home, phone or server is given, as one client; 128
# counts each address alone. From 48 (the network the watch page groups signatures by) to 128.
CLIENT_IPV6_PREFIX = env_int("CLIENT_IPV6_PREFIX", 64)
if not 48 <= CLIENT_IPV6_PREFIX <= 128:
    raise EnvError(f"CLIENT_IPV6_PREFIX must be from 48 to 128; got {CLIENT_IPV6_PREFIX}")

# Sign requests per client (see CLIENT_IPV6_PREFIX) and statement before further ones are held
# for review, as count/seconds pairs: a burst and a sustained window. Held signatures are
# stored, not counted. Requests to follow the statement's updates count too; past the limits
# they do nothing.
SIGN_RATE_LIMITS = env_str("SIGN_RATE_LIMITS", "10/60,50/3600")

# Emails one client (see CLIENT_IPV6_PREFIX) can make the site send, across all statements
# and forms (sign and follow), as count/seconds pairs. Past them a sign form is held for
# review, and a held signature is sent nothing until an organiser releases it; a follow
# request does nothing.
CLIENT_EMAIL_LIMITS = env_str("CLIENT_EMAIL_LIMITS", "20/60,200/86400")

# A sign form sent sooner than this many seconds after its page was made is held for review.
SIGN_MIN_SECONDS = env_int("SIGN_MIN_SECONDS", 3)

# Difficulty of the browser's proof of work on the sign form, in bits (each one doubles it;
# 16 takes a phone well under a second). 0 turns the check off.
SIGN_PROOF_BITS = env_int("SIGN_PROOF_BITS", 16)

# Emails one address can receive a day from sign and follow forms and invitations, across all
# statements and organisations.
EMAILS_PER_ADDRESS_PER_DAY = env_int("EMAILS_PER_ADDRESS_PER_DAY", 10)
# Invitations one organisation's owners can send in any 24 hours.
INVITATIONS_PER_ORGANISATION_PER_DAY = env_int("INVITATIONS_PER_ORGANISATION_PER_DAY", 50)
# Days after a statement closes (status closed, or deadline passed) when its signers' names,
# emails and details, and its followers, are erased (the worker runs manage.py erase_closed
# hourly).
RETENTION_DAYS = env_int("RETENTION_DAYS", 180)

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
