"""Fixline settings: one module, everything that varies comes from the environment.

Every value is read through the strict helpers of `project/env.py`: a malformed value stops
start-up with a message naming the variable, instead of silently falling back. See
`.env.example` for every variable.

Over 400 lines because there is one settings module by design: every value that varies comes
from the environment here, in one place, through the same strict helpers.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from project.database import database_from_url
from project.env import default_site_url, env_bool, env_int, env_list, env_str, smtp_from_url

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("FIXLINE_VAR_DIR", BASE_DIR / "var"))


DEBUG = env_bool("DEBUG", False)
SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG and env_bool("FIXLINE_REQUIRE_SECRET_KEY", False):
        raise ImproperlyConfigured("SECRET_KEY must be set in production")
    # The embedded default keeps a generated key under var/ so that sessions and the
    # anonymous-identity cookies survive restarts without anything to configure.
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    key_file = VAR_DIR / "secret_key"
    if not key_file.exists():
        from django.core.management.utils import get_random_secret_key

        key_file.write_text(get_random_secret_key())
        key_file.chmod(0o600)
    SECRET_KEY = key_file.read_text().strip()

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",  # relative times ("5 minutes ago"), docs/ui.md
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "channels",
    "tickets",
    "realtime",
    "moderation",
    "django_tasks",
    "django_tasks_db",
    "notifications",
]

# Security and privacy (docs/security.md): two-factor authentication (django-otp), login
# throttling (django-axes), the Content-Security-Policy (django-csp), account privacy pages.
INSTALLED_APPS += ["django_otp", "django_otp.plugins.otp_totp", "axes", "csp", "security"]

# One ordered list; the order matters where a comment says so (docs/security.md).
MIDDLEWARE = [
    # Pages and API answers compressed (static files are compressed ahead by collectstatic);
    # Django's GZipMiddleware pads its output against BREACH-style guessing.
    "django.middleware.gzip.GZipMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # NULs are removed from the query string (PostgreSQL refuses them in text: it was a 500).
    "security.middleware.StripNulMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    # API and Open311 writes from a page of another origin are refused before any body is read
    # (after LocaleMiddleware: the answer is translated).
    "security.origin.CrossOriginWriteMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # OTP after authentication, then the guard: a 2FA account never logs in by password alone.
    "django_otp.middleware.OTPMiddleware",
    "security.middleware.RequireOTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # The CSP after X-Frame-Options: it exempts /embed/ from it.
    "security.middleware.FixlineCSPMiddleware",
    "tickets.identity.IdentityMiddleware",
    "tickets.pagecache.AnonymousPageCacheMiddleware",  # issue 14: after the identity cookie
    # Idempotency-Key on every write (security/idempotency.py): after the identity middleware,
    # whose identity (account, anonymous cookie, address hash) scopes the keys.
    "security.idempotency.IdempotencyMiddleware",
    "axes.middleware.AxesMiddleware",  # django-axes last
]

ROOT_URLCONF = "project.urls"
ASGI_APPLICATION = "project.asgi.application"
WSGI_APPLICATION = "project.wsgi.application"

# Templates, their context processors (the storm banner) and date formats (docs/ui.md).
from project.pages import FORMAT_MODULE_PATH, TEMPLATES  # noqa: E402, F401

# --- Database: SQLite under var/ unless DATABASE_URL says otherwise ----------------------
DATABASE_URL = env_str("DATABASE_URL")
if DATABASE_URL:
    # PostgreSQL through a per-process connection pool (project/database.py: under daphne
    # every request has a thread of its own, so CONN_MAX_AGE alone reused nothing).
    DATABASES = {"default": database_from_url(DATABASE_URL)}
else:
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    _WAL = "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
    DATABASES = {
        "default": {
            # Django's SQLite backend, its connections lent again instead of opened per request
            # (project/sqlite/base.py).
            "ENGINE": "project.sqlite",
            "NAME": str(VAR_DIR / "fixline.sqlite3"),
            # Writers wait for each other instead of failing with "database is locked". WAL:
            # pages are read while a comment commits, and a commit costs no fsync (NORMAL:
            # safe from a crash of the process; PostgreSQL is the durable shape).
            "OPTIONS": {"timeout": 20, "transaction_mode": "IMMEDIATE", "init_command": _WAL},
            # A file, not shared-cache memory, so threaded tests lock the way production does.
            "TEST": {"NAME": str(VAR_DIR / f"test-fixline-{os.getpid()}.sqlite3")},
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis: channel layer and cache when REDIS_URL is set -------------------------------
REDIS_URL = env_str("REDIS_URL")
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {"hosts": [REDIS_URL]},
        }
    }
    CACHES: dict[str, dict[str, Any]] = {
        "default": {
            "BACKEND": "project.cache.SharedPoolRedisCache",  # one pool per process
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "fixline",
        }
    }
else:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "realtime.layers.FixlineInMemoryChannelLayer",
            "CONFIG": {"capacity": 10_000},
        }
    }
    # Django's default of 300 entries would let a crowd of new visitors (one view-dedupe key
    # each) evict rate-limit counters and stored pages every few hundred requests.
    _LOCMEM = "django.core.cache.backends.locmem.LocMemCache"
    CACHES = {"default": {"BACKEND": _LOCMEM, "OPTIONS": {"MAX_ENTRIES": 200_000}}}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("fr", _("French"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env_str("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = VAR_DIR / "staticfiles"
# WhiteNoise serves static files from daphne; finders let a fresh clone run without
# collectstatic (production runs collectstatic, see docs/deploy.md).
WHITENOISE_USE_FINDERS = True
STATIC_ROOT.mkdir(parents=True, exist_ok=True)

# --- Offline app and light pages (issue #16, docs/offline.md) -----------------------------
# Hashed, gzip-compressed static files cached for a year once `collectstatic` has run (`make
# run` runs it); plain names from the source folders before that (project/staticfiles.py).
STORAGES: dict[str, dict[str, Any]] = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "project.staticfiles.FixlineStaticStorage"},
}
# WhiteNoise wants the function itself; this module imports nothing of the project.
from project.staticfiles import cache_headers  # noqa: E402

WHITENOISE_ADD_HEADERS_FUNCTION = cache_headers

# --- E-mail: files under var/mail/ unless configured -------------------------------------
EMAIL_URL = env_str("EMAIL_URL")
if EMAIL_URL:
    _smtp = smtp_from_url(EMAIL_URL)  # strict: smtp://, smtps:// or submission://
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST, EMAIL_PORT = _smtp.host, _smtp.port
    EMAIL_HOST_USER, EMAIL_HOST_PASSWORD = _smtp.user, _smtp.password
    EMAIL_USE_SSL, EMAIL_USE_TLS = _smtp.ssl, _smtp.tls
else:
    EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.filebased.EmailBackend")
    EMAIL_FILE_PATH = VAR_DIR / "mail"
    EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
    EMAIL_PORT = env_int("EMAIL_PORT", 25)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Fixline <noreply@fixline.invalid>")

# --- Security (hardening details are tracked in docs/security.md) -----------------------
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
# The CSRF cookie stays readable by our own scripts (they send it as X-CSRFToken); the
# session cookie never is.
if env_bool("FIXLINE_BEHIND_TLS", False):
    # Behind nginx terminating TLS, which must set (and overwrite any client value of)
    # `proxy_set_header X-Forwarded-Proto $scheme;` — see docs/security.md.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SESSION_COOKIE_SAMESITE = "Lax"
    CSRF_COOKIE_SAMESITE = "Strict"
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

# Content-Security-Policy (django-csp 4). security.middleware.FixlineCSPMiddleware adds, per
# request, the page's own ws(s):// origin to connect-src, the map tile host
# (FIXLINE["MAP_TILE_URL"]) to img-src, and relaxes frame-ancestors to * on /embed/ only.
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
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

# Two-factor authentication (django-otp, TOTP) for agents and admins who turn it on.
OTP_TOTP_ISSUER = env_str("FIXLINE_OTP_ISSUER", "Fixline")

# Login throttling (django-axes): 5 failures for one username from one network address lock
# that pair out for 15 minutes, on the login form, the admin and the API token endpoint.
# The "address" axes stores is a daily-salted hash (security.throttling), never the raw IP.
AUTHENTICATION_BACKENDS = [
    "security.backends.LoginThrottleBackend",  # django-axes' AxesStandaloneBackend
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env_int("FIXLINE_LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = env_int("FIXLINE_LOGIN_COOLOFF_MINUTES", 15) / 60  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_CLIENT_IP_CALLABLE = "security.throttling.pseudonymous_client_address"
AXES_RESET_ON_SUCCESS = True
AXES_DISABLE_ACCESS_LOG = True
AXES_ENABLE_ACCESS_FAILURE_LOG = False
AXES_LOCKOUT_TEMPLATE = "security/lockout.html"
AXES_VERBOSE = False

# --- REST API ---------------------------------------------------------------------------
REST_FRAMEWORK = {
    # API tokens expire; the password and 2FA enrolment rotate them (security/tokens.py).
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "security.tokens.ExpiringTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 25,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "tickets.api.exception_handler",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    # JSON only (security/origin.py): form and multipart bodies are what a page of another
    # site can send without a CORS preflight. Photos are uploaded through the HTML forms.
    "DEFAULT_PARSER_CLASSES": [
        "security.parsers.StrictJSONParser",  # DRF's, refusing lone surrogates and deep nesting
    ],
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Fixline API",
    "DESCRIPTION": "Civic tickets, comments, status changes and their durable event log.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
}

# --- Fixline ----------------------------------------------------------------------------
# Maximum accepted request body (protects the API from 100 MB JSON posts).
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("DATA_UPLOAD_MAX_MEMORY_SIZE", 2_621_440)
FIXLINE: dict[str, Any] = {
    # Per identity: (count, seconds). Agents and admins are never throttled.
    "RATE_LIMITS": {
        "anonymous": {
            "comment": (5, 60),
            "ticket": (3, 600),
            "flag": (20, 3600),
            "offer": (3, 600),
            "reaction": (30, 60),  # votes, thanks, follows (an address: five times this)
        },
        # A person reporting through an Open311 integration (per account_id / device_id).
        "integration": {
            "comment": (20, 60),
            "ticket": (10, 600),
            "flag": (60, 3600),
            "offer": (10, 600),
            "reaction": (60, 60),
        },
        "citizen": {
            "comment": (20, 60),
            "ticket": (10, 600),
            "flag": (60, 3600),
            "offer": (10, 600),
            "reaction": (60, 60),
        },
    },
    "SIMILAR_RADIUS_METERS": 250,
    "VIEW_DEDUP_SECONDS": 30 * 60,
    "ANON_COOKIE_NAME": "fx_anon",
    "ANON_COOKIE_MAX_AGE": 5 * 365 * 24 * 3600,
    "WS_MAX_FRAME_BYTES": env_int("FIXLINE_WS_MAX_FRAME_BYTES", 16_384),
    # Broadcast frames built once per event and written straight to daphne's sockets
    # (realtime.fastpath.Frame); off only to measure the difference (docs/performance.md).
    "WS_PREFRAMED": env_bool("FIXLINE_WS_PREFRAMED", True),
    # ... and sent with one send() when nothing is queued on the socket (as asyncio does).
    "WS_DIRECT_WRITE": env_bool("FIXLINE_WS_DIRECT_WRITE", True),
    # The stored anonymous ticket page served on daphne's event loop, before Django's handler
    # (tickets/pagefront.py); off only to measure the difference (docs/performance.md).
    "PAGE_FRONT": env_bool("FIXLINE_PAGE_FRONT", True),
    "COUNTERS_FLUSH_SECONDS": 1.0,
    "PRESENCE_TTL_SECONDS": 60,
    "FOLLOWS_DEFAULT_FOR_REPORTER": True,
    # Flags are weighted by who flags; a comment is hidden once its open flags reach the
    # threshold (default: three distinct anonymous people, or one trusted volunteer).
    "MODERATION": {
        "FLAG_WEIGHTS": {
            "anonymous": 1.0,
            "citizen": 1.0,
            "trusted": 3.0,
            "agent": 3.0,
            "admin": 3.0,
            "sanctioned": 0.0,
        },
        "HIDE_THRESHOLD": 3.0,
        # A citizen's flag counts alone only from an account with standing: this old, and with
        # something public older than a day (docs/security.md, "Round 2: write-side abuse").
        "STANDING": {
            "MIN_ACCOUNT_DAYS": env_int("FIXLINE_STANDING_MIN_ACCOUNT_DAYS", 7),
            "MIN_HISTORY_HOURS": 24,
        },
    },
}

# --- Notifications and background work (docs/notifications.md) ----------------------------
# Durable tasks live in the database; `manage.py db_worker` runs them. With
# FIXLINE_EMBEDDED_WORKER (`make run`) daphne starts one as its child (project/worker.py).
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
FIXLINE_EMBEDDED_WORKER = env_bool("FIXLINE_EMBEDDED_WORKER", False)
FIXLINE.update(
    {
        # Absolute links in e-mail; by default on the port daphne serves (`PORT`, as `make run`).
        "SITE_URL": env_str("FIXLINE_SITE_URL", default_site_url()).rstrip("/"),
        # Follower updates within this window are batched into one message.
        "NOTIFY_BATCH_SECONDS": env_int("FIXLINE_NOTIFY_BATCH_SECONDS", 60),
        # How long after a ticket is closed its reporter is asked "is it fixed?".
        "IS_IT_FIXED_DELAY": env_int("FIXLINE_IS_IT_FIXED_DELAY", 7 * 24 * 3600),
        # Local hour at which agents who chose the daily digest receive it.
        "AGENT_DIGEST_HOUR": env_int("FIXLINE_AGENT_DIGEST_HOUR", 7),
        # A failed send is retried with exponential back-off: base * 2**(attempt - 1) s.
        "EMAIL_MAX_ATTEMPTS": env_int("FIXLINE_EMAIL_MAX_ATTEMPTS", 8),
        "EMAIL_RETRY_BASE_SECONDS": env_int("FIXLINE_EMAIL_RETRY_BASE_SECONDS", 30),
    }
)

# --- Accounts, tokens and mail (security round 2: docs/security.md) ----------------------
FIXLINE.update(
    {
        "API_TOKEN_TTL_DAYS": env_int("FIXLINE_API_TOKEN_TTL_DAYS", 30),
        # Per network address, (count, seconds): sign-up attempts, and accounts created.
        "SIGNUP_LIMITS": {
            "attempts": (env_int("FIXLINE_SIGNUP_ATTEMPTS_PER_HOUR", 10), 3600),
            "accounts": (env_int("FIXLINE_SIGNUP_ACCOUNTS_PER_HOUR", 2), 3600),
        },
        # The outbox sends at most this many messages of one kind to one address per hour.
        "EMAIL_PER_RECIPIENT_HOURLY": {
            "default": env_int("FIXLINE_EMAIL_PER_RECIPIENT_HOURLY", 10),
            "verify_email": 3,
            "alert_confirm": 3,
            "password_reset": 3,
        },
        "EMAIL_VERIFY_MAX_AGE": 7 * 24 * 3600,
    }
)

# --- Map, photos and pages (docs/photos.md) -------------------------------------------------
FIXLINE.update(
    {
        # Map tiles ({z}/{x}/{y}); empty = no tiles: outlines and markers on a plain background.
        "MAP_TILE_URL": env_str(
            "FIXLINE_MAP_TILES", "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
        ),
        "MAP_TILE_ATTRIBUTION": env_str(
            "FIXLINE_MAP_ATTRIBUTION", "&copy; OpenStreetMap contributors"
        ),
        "PHOTO_MAX_COUNT": 3,
        "PHOTO_MAX_BYTES": env_int("FIXLINE_PHOTO_MAX_BYTES", 8 * 1024 * 1024),
        "PHOTO_MAX_PIXELS": env_int("FIXLINE_PHOTO_MAX_PIXELS", 1600),
        # The embedded default serves uploaded photos itself; behind a CDN or S3, turn it off.
        "SERVE_MEDIA": env_bool("FIXLINE_SERVE_MEDIA", True),
    }
)
# Untrusted input, round 2 (docs/security.md): photo decodes at once per process (each up to
# ~150 MB under the 25 MP cap of tickets/photos.py), and how long a request waits for a free
# one before it is answered 429.
FIXLINE.update(
    {
        "PHOTO_MAX_CONCURRENT_DECODES": env_int("FIXLINE_PHOTO_MAX_CONCURRENT_DECODES", 2),
        "PHOTO_DECODE_WAIT_SECONDS": env_int("FIXLINE_PHOTO_DECODE_WAIT_SECONDS", 5),
    }
)
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(VAR_DIR / "media")))
MEDIA_URL = env_str("MEDIA_URL", "/media/")
if env_str("FIXLINE_MEDIA_STORAGE") == "s3":
    # Any S3-compatible store through django-storages (pip install -e ".[s3]"); its AWS_*
    # settings are read from the environment by django-storages itself (docs/photos.md).
    STORAGES["default"] = {"BACKEND": "storages.backends.s3.S3Storage"}
    AWS_STORAGE_BUCKET_NAME = env_str("AWS_STORAGE_BUCKET_NAME")
    AWS_S3_ENDPOINT_URL = env_str("AWS_S3_ENDPOINT_URL") or None
    AWS_S3_REGION_NAME = env_str("AWS_S3_REGION_NAME") or None
    AWS_S3_CUSTOM_DOMAIN = env_str("AWS_S3_CUSTOM_DOMAIN") or None
    AWS_QUERYSTRING_AUTH = env_bool("AWS_QUERYSTRING_AUTH", False)
    AWS_DEFAULT_ACL = env_str("AWS_DEFAULT_ACL") or None
    AWS_S3_OBJECT_PARAMETERS = {"CacheControl": "public, max-age=31536000, immutable"}

# --- Storm-proof writes and Web Push (issue #16; docs/api.md, docs/notifications.md) -------
# Web Push (VAPID): off unless a private key is set. The key is PEM or base64url (raw P-256
# scalar); the public key is derived from it when not given. The subject is a mailto: or
# https: URL the push services may contact.
FIXLINE_VAPID_PRIVATE_KEY = env_str("FIXLINE_VAPID_PRIVATE_KEY")
FIXLINE_VAPID_PUBLIC_KEY = env_str("FIXLINE_VAPID_PUBLIC_KEY")
FIXLINE_VAPID_SUBJECT = env_str("FIXLINE_VAPID_SUBJECT", "mailto:admin@fixline.invalid")
# Subscriptions must name an https:// push service; http:// on loopback only when this is on
# (or DEBUG), for a local stand-in push service.
FIXLINE_PUSH_ALLOW_LOOPBACK_HTTP = env_bool("FIXLINE_PUSH_ALLOW_LOOPBACK_HTTP", False)
FIXLINE_PUSH_MAX_ATTEMPTS = env_int("FIXLINE_PUSH_MAX_ATTEMPTS", 6)
FIXLINE_PUSH_RETRY_BASE_SECONDS = env_int("FIXLINE_PUSH_RETRY_BASE_SECONDS", 15)
TEMPLATES[0]["OPTIONS"]["context_processors"].append("notifications.push.context_processor")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"django.channels.server": {"level": "WARNING"}},
}

# --- Proxies and sockets (docs/security.md, "Round 2: proxies and sockets") ----------------
# The client address comes from X-Forwarded-For only when this is on AND the request came from
# one of FIXLINE_TRUSTED_PROXIES (then the header's last entry, the one our proxy wrote, is
# used); otherwise it is the peer's own address (tickets.identity.client_ip, HTTP and sockets).
FIXLINE_TRUST_X_FORWARDED_FOR = env_bool("FIXLINE_TRUST_X_FORWARDED_FOR", False)
FIXLINE_TRUSTED_PROXIES = env_list("FIXLINE_TRUSTED_PROXIES", ["127.0.0.1", "::1"])
FIXLINE.update(
    {
        # Exact `scheme://host[:port]` origins a browser page may open sockets from; empty:
        # FIXLINE_SITE_URL's origin and the socket's own origin (project/routing.py).
        "WS_ALLOWED_ORIGINS": env_list("FIXLINE_WS_ALLOWED_ORIGINS", []),
        # Open sockets per client address (per process, or across processes in Redis);
        # 0 turns the cap off (benchmarks raise it).
        "WS_MAX_PER_ADDRESS": env_int("FIXLINE_WS_MAX_PER_ADDRESS", 50),
        # Signed-in sockets re-check their session and role at least this often (they are
        # told at once on logout and role changes; this is for what no signal announces).
        "WS_RECHECK_SECONDS": env_int("FIXLINE_WS_RECHECK_SECONDS", 300),
        # A connection whose request headers are not complete after this long is closed
        # (slow-header trickles; daphne alone has no such limit).
        "HTTP_HEADER_TIMEOUT": env_int("FIXLINE_HTTP_HEADER_TIMEOUT", 10),
    }
)
