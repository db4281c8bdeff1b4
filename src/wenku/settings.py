"""Django settings for Wenku, read from the environment.

Defaults give the embedded set-up (SQLite, local files, database task queue) with
all state under one directory, ``WENKU_DATA_DIR``. See docs/configuration.md.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from django.utils.translation import gettext_lazy as _

from wenku.env import env_bool, env_int, env_list, env_path, env_str

PACKAGE_DIR = Path(__file__).resolve().parent
CHECKOUT_DIR = PACKAGE_DIR.parent.parent

DATA_DIR = env_path("WENKU_DATA_DIR", CHECKOUT_DIR / "var")
DATA_DIR.mkdir(parents=True, exist_ok=True)


def _secret_key() -> str:
    """The secret key from the environment, else one generated once per data directory."""
    from_env = env_str("WENKU_SECRET_KEY", "")
    if from_env:
        return from_env
    key_file = DATA_DIR / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(64))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


SECRET_KEY = _secret_key()
DEBUG = env_bool("WENKU_DEBUG", False)
ALLOWED_HOSTS = env_list("WENKU_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("WENKU_CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_tasks",
    "django_tasks_db",
    "wenku.accounts",
    "wenku.documents",
    "wenku.discovery",
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
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "wenku.urls"
WSGI_APPLICATION = "wenku.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PACKAGE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "wenku.documents.context_processors.upload_limits",
            ],
        },
    },
]


def _databases() -> dict:
    url = env_str("WENKU_DATABASE_URL", "")
    if url.startswith(("postgres://", "postgresql://")):
        from urllib.parse import unquote, urlparse

        parsed = urlparse(url)
        return {
            "default": {
                "ENGINE": "django.db.backends.postgresql",
                "NAME": parsed.path.lstrip("/"),
                "USER": unquote(parsed.username or ""),
                "PASSWORD": unquote(parsed.password or ""),
                "HOST": parsed.hostname or "",
                "PORT": parsed.port or "",
                "CONN_MAX_AGE": 60,
            }
        }
    return {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": DATA_DIR / "wenku.sqlite3",
            # WAL lets the web process read while the worker writes; IMMEDIATE
            # transactions take the write lock up front instead of failing on upgrade.
            "OPTIONS": {
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": (
                    "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=20000;"
                ),
            },
        }
    }


DATABASES = _databases()
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

TASKS = {
    "default": {
        "BACKEND": env_str("WENKU_TASK_BACKEND", "django_tasks_db.DatabaseBackend"),
    }
}

STORAGES = {
    "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": DATA_DIR / "media"},
    },
    # Originals and page images are never exposed by URL: every byte goes through
    # a view that checks the reader's right to it.
    "originals": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": DATA_DIR / "originals"},
    },
    "pages": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": DATA_DIR / "pages"},
    },
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedStaticFilesStorage",
    },
}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
TIME_ZONE = env_str("WENKU_TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)  # WhiteNoise warns on every request when it is missing
STATICFILES_DIRS = [PACKAGE_DIR / "static"]

# Uploads: files above this size are refused in the browser before sending and
# again on the server before the body is read.
WENKU_MAX_UPLOAD_MB = env_int("WENKU_MAX_UPLOAD_MB", 100)
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
FILE_UPLOAD_TEMP_DIR = DATA_DIR / "tmp"
FILE_UPLOAD_TEMP_DIR.mkdir(parents=True, exist_ok=True)

# Ingestion pipeline.
WENKU_CONVERT_TIMEOUT = env_int("WENKU_CONVERT_TIMEOUT", 240)
WENKU_CONVERT_MEMORY_MB = env_int("WENKU_CONVERT_MEMORY_MB", 3072)
WENKU_CONVERTER_RECYCLE_AFTER = env_int("WENKU_CONVERTER_RECYCLE_AFTER", 200)
WENKU_MAX_PAGES = env_int("WENKU_MAX_PAGES", 2000)
WENKU_MAX_UNPACKED_MB = env_int("WENKU_MAX_UNPACKED_MB", 512)
WENKU_DEFAULT_PREVIEW_PAGES = env_int("WENKU_DEFAULT_PREVIEW_PAGES", 10)
WENKU_INITIAL_PREVIEW_PAGES = 3
WENKU_PROCESS_ATTEMPTS = env_int("WENKU_PROCESS_ATTEMPTS", 3)
# A processing lease lasts twice the conversion timeout plus this margin (seconds).
WENKU_LEASE_MARGIN = env_int("WENKU_LEASE_MARGIN", 300)
# A document still queued this many seconds later has its task enqueued again
# (the task may have been lost); duplicates are harmless, the claim is exclusive.
WENKU_QUEUE_GRACE = env_int("WENKU_QUEUE_GRACE", 1800)
# Processes rendering one long document's pages at once (WebP encoding is CPU-bound).
WENKU_RENDER_PROCESSES = env_int("WENKU_RENDER_PROCESSES", min(os.cpu_count() or 1, 4))
WENKU_TMP_DIR = DATA_DIR / "tmp"

# Search: a backend class by dotted path; by default the one built on the database in use.
_SEARCH_BACKENDS = {
    "django.db.backends.sqlite3": "wenku.discovery.search.sqlite.Fts5Backend",
    "django.db.backends.postgresql": "wenku.discovery.search.postgres.PostgresBackend",
}
WENKU_SEARCH_BACKEND = env_str(
    "WENKU_SEARCH_BACKEND", _SEARCH_BACKENDS[DATABASES["default"]["ENGINE"]]
)
# Where backends that keep their index outside the database (tantivy) keep it.
WENKU_SEARCH_INDEX_DIR = env_path("WENKU_SEARCH_INDEX_DIR", DATA_DIR / "search-index")

# Production hardening; `WENKU_HTTPS=1` behind a TLS-terminating proxy.
HTTPS = env_bool("WENKU_HTTPS", False)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
if HTTPS:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env_int("WENKU_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("WENKU_LOG_LEVEL", "INFO")},
    "loggers": {
        "jieba": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
        "unoserver": {"level": "WARNING"},
        "pikepdf": {"level": "WARNING"},
        "weasyprint": {"level": "ERROR"},
    },
}

SITE_NAME = _("Wenku")

# --- Commerce: wallet, ledger, sales, downloads (wenku.commerce) ---------------------
INSTALLED_APPS = [*INSTALLED_APPS, "wenku.commerce"]
# After the authentication middleware: a logged-in visitor's share click is recorded at once.
MIDDLEWARE = [*MIDDLEWARE, "wenku.commerce.referrals.ReferralMiddleware"]
# Revenue split of each sale, in percent; must add up to 100 (a system check says so).
# Without a referrer, the referrer share goes to the platform.
WENKU_AUTHOR_SHARE = env_int("WENKU_AUTHOR_SHARE", 70)
WENKU_REFERRER_SHARE = env_int("WENKU_REFERRER_SHARE", 10)
WENKU_PLATFORM_SHARE = env_int("WENKU_PLATFORM_SHARE", 20)
WENKU_REFERRAL_WINDOW_DAYS = env_int("WENKU_REFERRAL_WINDOW_DAYS", 7)
WENKU_MIN_WITHDRAWAL = env_int("WENKU_MIN_WITHDRAWAL", 100)
# Top-up providers by name; a real one (Alipay, WeChat Pay, Stripe) is one more class here.
WENKU_PAYMENT_GATEWAYS = {"local": "wenku.commerce.gateways.local.LocalGateway"}
# Signed download links are bound to one user and expire after this many seconds.
WENKU_DOWNLOAD_LINK_MAX_AGE = env_int("WENKU_DOWNLOAD_LINK_MAX_AGE", 24 * 3600)
# Behind nginx: answer downloads with X-Accel-Redirect to this internal location, which
# must alias the originals directory (see docs/deploy).
WENKU_X_ACCEL_REDIRECT = env_bool("WENKU_X_ACCEL_REDIRECT", False)
WENKU_X_ACCEL_PREFIX = env_str("WENKU_X_ACCEL_PREFIX", "/_originals/")
# An original is re-hashed before serving when its size or mtime changed, or when its
# last verification is older than this.
WENKU_VERIFY_INTERVAL_HOURS = env_int("WENKU_VERIFY_INTERVAL_HOURS", 24)
# The wallet balance shown in the header.
TEMPLATES[0]["OPTIONS"]["context_processors"].append("wenku.commerce.context_processors.wallet")
# Password-reset mail goes through Django's e-mail API; the console backend prints it.
EMAIL_BACKEND = env_str("WENKU_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env_str("WENKU_EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("WENKU_EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("WENKU_EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("WENKU_EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("WENKU_EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = env_str("WENKU_DEFAULT_FROM_EMAIL", "wenku@localhost")
