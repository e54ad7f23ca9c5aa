"""gridgov settings: everything comes from environment variables, with embedded defaults for `make run`."""

import os
import re
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from config.env import env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("GRIDGOV_VAR_DIR", str(BASE_DIR / "var")))

DEBUG = env_bool("DJANGO_DEBUG", False)
_DEV_SECRET = "gridgov-insecure-development-key-change-me-in-production-0123456789"
SECRET_KEY = env_str("DJANGO_SECRET_KEY") or _DEV_SECRET
GRIDGOV_PRODUCTION = env_bool("GRIDGOV_PRODUCTION", False)
if GRIDGOV_PRODUCTION and SECRET_KEY == _DEV_SECRET:
    raise ImproperlyConfigured("GRIDGOV_PRODUCTION is set: DJANGO_SECRET_KEY (or DJANGO_SECRET_KEY_FILE) is required")
# Encryption at rest and keyed hashes (gridgov.common.crypto): 32 random bytes in urlsafe base64 each. Unset in
# development: derived from SECRET_KEY. GRIDGOV_DATA_KEYS_OLD: earlier data keys (comma-separated), still decrypted.
GRIDGOV_DATA_KEY = env_str("GRIDGOV_DATA_KEY") or ""
GRIDGOV_DATA_KEYS_OLD = [key.strip() for key in (env_str("GRIDGOV_DATA_KEYS_OLD") or "").split(",") if key.strip()]
GRIDGOV_HASH_KEY = env_str("GRIDGOV_HASH_KEY") or ""
if GRIDGOV_PRODUCTION and not (GRIDGOV_DATA_KEY and GRIDGOV_HASH_KEY):
    raise ImproperlyConfigured("GRIDGOV_PRODUCTION is set: GRIDGOV_DATA_KEY and GRIDGOV_HASH_KEY (or their _FILE "
                               "variants) are required; see docs/configuration.md")
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "gridgov.common.admin_site.GridgovAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_htmx",
    "ninja",
    "gridgov.common",
    "gridgov.regions",
    "gridgov.accounts",
    "gridgov.events",
    "gridgov.open311",
    "gridgov.registry",
    "gridgov.fieldwork",
    "gridgov.visits",
    "gridgov.disputes",
    "gridgov.web",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "gridgov.common.middleware.RequestGuardMiddleware",  # unreadable requests, NUL characters, the API's errors
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "gridgov.accounts.middleware.SessionTimeoutMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "gridgov.web.context_processors.platform",
            ],
        },
    },
]

# --- database: embedded SQLite (WAL) by default, PostgreSQL through DATABASE_URL -------------------------------
_SQLITE_PATH = VAR_DIR / "gridgov.sqlite3"
VAR_DIR.mkdir(parents=True, exist_ok=True)
DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL") or f"sqlite:///{_SQLITE_PATH}",
        conn_max_age=env_int("GRIDGOV_DB_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Tests use a file too (not :memory:): browser tests hit the live server with parallel requests.
    # One file per test process, so two test runs on one machine never share a database.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / f"test-gridgov-{os.getpid()}.sqlite3")}
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": (
            "PRAGMA journal_mode=WAL;PRAGMA synchronous=NORMAL;PRAGMA foreign_keys=ON;"
            "PRAGMA temp_store=MEMORY;PRAGMA mmap_size=134217728;PRAGMA cache_size=-20000;"
        ),
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "web:home"
LOGOUT_REDIRECT_URL = "login"

# --- sessions: idle timeout (sliding) plus an absolute cap enforced in middleware later ---------------------------
# Flash messages live in the session (server side), not in a cookie: one of them shows a new 12345 secret once.
MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"
SESSION_COOKIE_AGE = env_int("GRIDGOV_SESSION_IDLE_SECONDS", 30 * 60)
GRIDGOV_SESSION_ABSOLUTE_SECONDS = env_int("GRIDGOV_SESSION_ABSOLUTE_SECONDS", 12 * 3600)
SESSION_SAVE_EVERY_REQUEST = False  # SessionTimeoutMiddleware refreshes the idle timer once a minute
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = env_bool("GRIDGOV_SECURE_COOKIES", GRIDGOV_PRODUCTION)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_SSL_REDIRECT = env_bool("GRIDGOV_SSL_REDIRECT", False)
SECURE_HSTS_SECONDS = env_int("GRIDGOV_HSTS_SECONDS", 0)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# --- i18n: Simplified Chinese by default, English available; store UTC, show Asia/Shanghai ----------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "gridgov" / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(env_str("GRIDGOV_STATIC_ROOT", str(VAR_DIR / "static")))
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # WhiteNoise serves from here once `serve` has collected


def media_storage() -> dict:
    """STORAGES["default"] (case photos) from GRIDGOV_MEDIA_STORAGE=local|s3 and GRIDGOV_S3_* (docs/configuration.md,
    "Photo storage"). Either way photos stay private: no ACL is sent (objects keep the bucket's private default) and
    they are served only through the access-checked photo view, which reads them from the storage."""
    raw = env_str("GRIDGOV_MEDIA_STORAGE", "") or ""
    kind = raw.strip().lower() or "local"
    bucket = (env_str("GRIDGOV_S3_BUCKET", "") or "").strip()
    if kind == "local":
        if bucket:
            raise ImproperlyConfigured("GRIDGOV_S3_BUCKET is set but GRIDGOV_MEDIA_STORAGE is local: set "
                                       "GRIDGOV_MEDIA_STORAGE=s3 to store photos in the bucket, or unset GRIDGOV_S3_*")
        return {"BACKEND": "django.core.files.storage.FileSystemStorage"}
    if kind != "s3":
        raise ImproperlyConfigured(f"GRIDGOV_MEDIA_STORAGE={raw!r} is not local or s3")
    if not bucket:
        raise ImproperlyConfigured("GRIDGOV_MEDIA_STORAGE=s3 needs GRIDGOV_S3_BUCKET (the bucket's name)")
    if not re.fullmatch(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]", bucket):
        raise ImproperlyConfigured(f"GRIDGOV_S3_BUCKET={bucket!r} is not a bucket name (3-63 of a-z 0-9 . -)")
    options = {"bucket_name": bucket, "location": (env_str("GRIDGOV_S3_PREFIX", "") or "").strip().strip("/"),
               "default_acl": None, "querystring_auth": True, "file_overwrite": False}
    endpoint = (env_str("GRIDGOV_S3_ENDPOINT_URL", "") or "").strip()
    if endpoint:
        parts = urlsplit(endpoint)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ImproperlyConfigured(f"GRIDGOV_S3_ENDPOINT_URL={endpoint!r} is not an http(s) URL")
        options.update(endpoint_url=endpoint, addressing_style="path")  # S3-compatible servers: bucket in the path
    if region := (env_str("GRIDGOV_S3_REGION", "") or "").strip():
        options["region_name"] = region
    access, secret = (env_str("GRIDGOV_S3_ACCESS_KEY", "") or "").strip(), env_str("GRIDGOV_S3_SECRET_KEY", "") or ""
    if bool(access) != bool(secret):
        raise ImproperlyConfigured("Set both GRIDGOV_S3_ACCESS_KEY and GRIDGOV_S3_SECRET_KEY (or their _FILE), or "
                                   "neither to use boto3's own credentials (AWS_* variables, instance role)")
    if access:
        options.update(access_key=access, secret_key=secret)
    return {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": options}


STORAGES = {
    "default": media_storage(),
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if env_bool("GRIDGOV_MANIFEST_STATIC", not DEBUG)
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
MEDIA_ROOT = Path(env_str("GRIDGOV_MEDIA_ROOT", str(VAR_DIR / "media")))  # GRIDGOV_MEDIA_STORAGE=local
MEDIA_URL = "/media/"

CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
if env_str("GRIDGOV_REDIS_URL"):
    CACHES["default"] = {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": env_str("GRIDGOV_REDIS_URL")}

# --- platform -----------------------------------------------------------------------------------------------------
def public_base_url() -> str:
    """GRIDGOV_PUBLIC_BASE_URL: the address citizens reach the platform at (scheme, host, optional port and path
    prefix), used for what is printed (the QR code on each grid's notice board); empty: the address of the request,
    with a warning on the page. Anything but a plain http(s) URL stops the start-up."""
    raw = (env_str("GRIDGOV_PUBLIC_BASE_URL", "") or "").strip()
    if not raw:
        return ""
    parts = urlsplit(raw)
    if parts.scheme not in ("http", "https") or not parts.hostname or "@" in parts.netloc:
        raise ImproperlyConfigured(f"GRIDGOV_PUBLIC_BASE_URL={raw!r} is not an http(s) URL like "
                                   "https://grid.example.gov.cn")
    if parts.query or parts.fragment or raw.endswith(("?", "#")):
        raise ImproperlyConfigured(f"GRIDGOV_PUBLIC_BASE_URL={raw!r}: give the address without ?query or #fragment")
    try:
        parts.port  # noqa: B018 — a port that is not a number raises here
    except ValueError as exc:
        raise ImproperlyConfigured(f"GRIDGOV_PUBLIC_BASE_URL={raw!r} has a bad port") from exc
    return raw.rstrip("/")


GRIDGOV_PUBLIC_BASE_URL = public_base_url()
# Map background tiles: none by default (intranets have no internet); set e.g. to an intranet tile server.
GRIDGOV_TILE_URL = env_str("GRIDGOV_TILE_URL", "") or ""
GRIDGOV_TILE_ATTRIBUTION = env_str("GRIDGOV_TILE_ATTRIBUTION", "") or ""
GRIDGOV_DISTRICT_NAME = env_str("GRIDGOV_DISTRICT_NAME", "") or ""
# Household standard for urban grids (DOMAIN §2): 300–500 households; rural grids ≈ one villager group.
GRIDGOV_URBAN_HOUSEHOLDS_MIN = env_int("GRIDGOV_URBAN_HOUSEHOLDS_MIN", 300)
GRIDGOV_URBAN_HOUSEHOLDS_MAX = env_int("GRIDGOV_URBAN_HOUSEHOLDS_MAX", 500)
GRIDGOV_RURAL_HOUSEHOLDS_MAX = env_int("GRIDGOV_RURAL_HOUSEHOLDS_MAX", 200)
# Office hours for working-hour deadlines (docs/calendar.md): comma-separated HH:MM-HH:MM periods in TIME_ZONE,
# ascending and not overlapping; parsed strictly by gridgov.common.calendar at start-up.
GRIDGOV_OFFICE_HOURS = env_str("GRIDGOV_OFFICE_HOURS", "09:00-12:00,13:30-17:30") or ""

# Events: a report of the same subclass within this radius and time window is linked to the first one.
GRIDGOV_DUPLICATE_RADIUS_M = env_int("GRIDGOV_DUPLICATE_RADIUS_M", 50)
GRIDGOV_DUPLICATE_WINDOW_HOURS = env_int("GRIDGOV_DUPLICATE_WINDOW_HOURS", 24)
# A running case is "about to expire" once less than this share of its time limit is left.
GRIDGOV_WARN_SHARE = env_int("GRIDGOV_WARN_PERCENT", 20) / 100

# Open311 GeoReport v2 (docs/open311.md): the jurisdiction_id this endpoint serves, and the category classes whose
# cases are never published (矛盾纠纷, 重点人员: their reports are about people).
GRIDGOV_OPEN311_JURISDICTION = env_str("GRIDGOV_OPEN311_JURISDICTION", "440306.gridgov") or "440306.gridgov"
GRIDGOV_OPEN311_HIDDEN_CLASSES = env_list("GRIDGOV_OPEN311_HIDDEN_CLASSES", ["04", "05"])

# Outbox (docs/outbox.md): a worker's lease on a claimed message, and the retry backoff after a failure.
GRIDGOV_OUTBOX_LEASE_SECONDS = env_int("GRIDGOV_OUTBOX_LEASE_SECONDS", 60)
GRIDGOV_OUTBOX_BATCH = env_int("GRIDGOV_OUTBOX_BATCH", 50)
GRIDGOV_OUTBOX_BACKOFF_BASE_SECONDS = env_int("GRIDGOV_OUTBOX_BACKOFF_BASE_SECONDS", 10)
GRIDGOV_OUTBOX_BACKOFF_MAX_SECONDS = env_int("GRIDGOV_OUTBOX_BACKOFF_MAX_SECONDS", 3600)
# Delivered messages older than this are deleted (by `gridgov worker` hourly and `outbox_prune`); undelivered never.
GRIDGOV_OUTBOX_KEEP_DAYS = env_int("GRIDGOV_OUTBOX_KEEP_DAYS", 30)
# Notifications: dotted path of the sender class (gridgov.common.notify); the default only logs, masked.
GRIDGOV_NOTIFY_SENDER = env_str("GRIDGOV_NOTIFY_SENDER", "gridgov.common.notify.LoggingSender") or ""

# Registry (docs/registry.md): the 基础信息采集率 a grid must reach (people and households recorded against its declared
# population and households, in percent); grids below it are listed on the coverage page.
GRIDGOV_COLLECTION_TARGET_PERCENT = env_int("GRIDGOV_COLLECTION_TARGET_PERCENT", 95)
GRIDGOV_WECOM_WEBHOOK_URL = env_str("GRIDGOV_WECOM_WEBHOOK_URL", "") or ""  # for WeComWebhookSender (a secret)
# 12345 hotline (docs/hotline-12345.md): allowed clock skew of signed pushes; timeout of result callbacks.
GRIDGOV_HOTLINE_MAX_SKEW_SECONDS = env_int("GRIDGOV_HOTLINE_MAX_SKEW_SECONDS", 300)
GRIDGOV_HOTLINE_CALLBACK_TIMEOUT_SECONDS = env_int("GRIDGOV_HOTLINE_CALLBACK_TIMEOUT_SECONDS", 10)

# Case photos uploaded ahead of a report (POST /api/v1/photos) and never attached to a case are deleted, with their
# files, this many hours after the upload (hourly, by `gridgov worker`; or `gridgov photos_prune`).
GRIDGOV_PHOTO_UNATTACHED_HOURS = env_int("GRIDGOV_PHOTO_UNATTACHED_HOURS", 24)
if GRIDGOV_PHOTO_UNATTACHED_HOURS < 1:
    raise ImproperlyConfigured("GRIDGOV_PHOTO_UNATTACHED_HOURS must be at least 1")

# Citizens reporting through a grid's QR code: reports per hour from one address.
GRIDGOV_CITIZEN_REPORTS_PER_HOUR = env_int("GRIDGOV_CITIZEN_REPORTS_PER_HOUR", 10)
# 12345 hotline and Open311 clients: requests a minute per client (gridgov.common.ratelimit; shared with Redis).
GRIDGOV_CLIENT_REQUESTS_PER_MINUTE = env_int("GRIDGOV_CLIENT_REQUESTS_PER_MINUTE", 600)
if GRIDGOV_CLIENT_REQUESTS_PER_MINUTE < 1:
    raise ImproperlyConfigured("GRIDGOV_CLIENT_REQUESTS_PER_MINUTE must be at least 1")

# Patrols (docs/patrols.md): GPS points older than N days or more than N seconds ahead of the server are refused, and
# so is an accuracy worse than N metres; a move faster than N km/h is a jump; urban workers need a patrol track on
# N percent of the days of a month (seed 000), rural workers on every working day.
GRIDGOV_GPS_MAX_AGE_DAYS = env_int("GRIDGOV_GPS_MAX_AGE_DAYS", 30)
GRIDGOV_GPS_MAX_FUTURE_SECONDS = env_int("GRIDGOV_GPS_MAX_FUTURE_SECONDS", 300)
GRIDGOV_GPS_MAX_ACCURACY_M = env_int("GRIDGOV_GPS_MAX_ACCURACY_M", 2000)
GRIDGOV_PATROL_MAX_SPEED_KMH = env_int("GRIDGOV_PATROL_MAX_SPEED_KMH", 120)
GRIDGOV_PATROL_URBAN_DAY_PERCENT = env_int("GRIDGOV_PATROL_URBAN_DAY_PERCENT", 70)

# Visits (docs/visits.md): every household is to be visited at least every N days (quarterly); people with a tag are
# visited as often as the tag says (registry.Tag.visit_every_days, the smallest over their tags).
GRIDGOV_HOUSEHOLD_VISIT_DAYS = env_int("GRIDGOV_HOUSEHOLD_VISIT_DAYS", 90)
if GRIDGOV_HOUSEHOLD_VISIT_DAYS < 1:
    raise ImproperlyConfigured("GRIDGOV_HOUSEHOLD_VISIT_DAYS must be at least 1")

# Registry Excel import (docs/registry-import.md): largest file and most rows per upload, rows per written chunk (one
# transaction with its checkpoint). Imports run in `gridgov worker` under the outbox lease (GRIDGOV_OUTBOX_LEASE_SECONDS).
GRIDGOV_IMPORT_MAX_BYTES = env_int("GRIDGOV_IMPORT_MAX_MB", 50) * 1024 * 1024
GRIDGOV_IMPORT_MAX_ROWS = env_int("GRIDGOV_IMPORT_MAX_ROWS", 200_000)
GRIDGOV_IMPORT_CHUNK_ROWS = env_int("GRIDGOV_IMPORT_CHUNK_ROWS", 2000)
if min(GRIDGOV_IMPORT_MAX_BYTES, GRIDGOV_IMPORT_MAX_ROWS, GRIDGOV_IMPORT_CHUNK_ROWS) < 1:
    raise ImproperlyConfigured("GRIDGOV_IMPORT_*: sizes must be at least 1")

# Uploaded Excel workbooks (gridgov.common.xlsx, every import): the most bytes an .xlsx may really unpack to, all its
# parts together, counted while reading whatever the zip headers declare (a 1 MB zip bomb can declare anything).
GRIDGOV_XLSX_MAX_UNPACKED_BYTES = env_int("GRIDGOV_XLSX_MAX_UNPACKED_MB", 500) * 1024 * 1024
if GRIDGOV_XLSX_MAX_UNPACKED_BYTES < 1:
    raise ImproperlyConfigured("GRIDGOV_XLSX_MAX_UNPACKED_MB must be at least 1")
# Request size (docs/reliability.md, "Bad input"): a whole request over GRIDGOV_MAX_REQUEST_MB is refused (413) before
# it is read; JSON and form fields stay under Django's DATA_UPLOAD_MAX_MEMORY_SIZE (2.5 MB), files under their own
# limits (photos 10 MB each, imports GRIDGOV_IMPORT_MAX_MB). Must leave room for the largest import.
GRIDGOV_MAX_REQUEST_BYTES = env_int("GRIDGOV_MAX_REQUEST_MB", 100) * 1024 * 1024
if GRIDGOV_MAX_REQUEST_BYTES <= GRIDGOV_IMPORT_MAX_BYTES:
    raise ImproperlyConfigured("GRIDGOV_MAX_REQUEST_MB must be larger than GRIDGOV_IMPORT_MAX_MB")

# The pages' error pages (the API answers its own JSON errors: gridgov.common.middleware).
CSRF_FAILURE_VIEW = "gridgov.web.views.csrf_failure"

NINJA_PAGINATION_PER_PAGE = 50

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("GRIDGOV_LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
