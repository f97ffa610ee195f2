"""Settings, driven by the environment.

DATABASE_URL selects the database (SQLite in the project folder when unset);
DJANGO_SECRET_KEY, DJANGO_DEBUG and IAM_PORTAL_SECRET_KEY configure a deployment.
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import unquote, urlsplit

from iam_portal import secretbox

BASE_DIR = Path(__file__).resolve().parent.parent


def _env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    return default if value is None else value.strip().lower() in {"1", "true", "yes", "on"}


# SQLite as a server's database: a write transaction takes the write lock when it begins (so two
# workers' writes wait for each other instead of failing with "database is locked"), readers do not
# block the writer (WAL), and a lock is waited for up to 20 s.
SQLITE_OPTIONS = {
    "transaction_mode": "IMMEDIATE",
    "timeout": 20,
    "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
}


def database_from_url(url: str | None) -> dict[str, object]:
    """Django DATABASES entry for postgres://user:pass@host:port/name or sqlite:///path."""
    # Seconds a connection is kept for the next request (0: one per request, right for the
    # development server, which runs each request in a new thread; set it for gunicorn).
    common = {"CONN_MAX_AGE": int(os.environ.get("DATABASE_CONN_MAX_AGE", "0")), "CONN_HEALTH_CHECKS": True}
    if not url:
        return {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": BASE_DIR / "db.sqlite3",
            "OPTIONS": SQLITE_OPTIONS,
            **common,
        }
    parts = urlsplit(url)
    if parts.scheme == "sqlite":
        name = unquote(parts.path[1:]) or ":memory:"
        return {"ENGINE": "django.db.backends.sqlite3", "NAME": name, "OPTIONS": SQLITE_OPTIONS, **common}
    if parts.scheme in {"postgres", "postgresql"}:
        return {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": unquote(parts.path.lstrip("/")),
            "USER": unquote(parts.username or ""),
            "PASSWORD": unquote(parts.password or ""),
            "HOST": parts.hostname or "",
            "PORT": str(parts.port or ""),
            **common,
        }
    raise ValueError(f"DATABASE_URL scheme {parts.scheme!r} is not supported (use postgres:// or sqlite://)")


DEBUG = _env_bool("DJANGO_DEBUG", True)
# The development default is only ever used with DEBUG on; a deployment must set its own key.
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY") or ("dev-only-insecure-key-change-me" if DEBUG else None)
if not SECRET_KEY:
    raise RuntimeError("DJANGO_SECRET_KEY must be set when DJANGO_DEBUG is off")

# Secrets at rest (secret access keys, TOTP seeds) are sealed with AES-256-GCM (iam_portal/secretbox.py)
# under IAM_PORTAL_SECRET_KEY: 32 random bytes in urlsafe base64; make one with
#   .venv/bin/python -c "from iam_portal.secretbox import generate_key; print(generate_key())"
# Rotation: IAM_PORTAL_SECRET_KEY="<new>,<old>[,<older>...]" seals with the first key and opens what any
# of them sealed (a sealed value names its key); `manage.py resealsecrets` re-seals everything under the
# first key, after which the old ones can be dropped.
# With DEBUG on and no key set, the key is derived from SECRET_KEY with HKDF-SHA256, so development needs
# no setup (and secrets sealed under it are only as safe as the development SECRET_KEY). With DEBUG off
# the portal refuses to start without its own key.
_SECRET_KEYS = [text for text in os.environ.get("IAM_PORTAL_SECRET_KEY", "").split(",") if text.strip()]
if _SECRET_KEYS:
    SECRET_ENCRYPTION_KEY, *SECRET_ENCRYPTION_PREVIOUS_KEYS = (
        secretbox.parse_key(text) for text in _SECRET_KEYS
    )
elif DEBUG:
    SECRET_ENCRYPTION_KEY, SECRET_ENCRYPTION_PREVIOUS_KEYS = secretbox.derive_key(SECRET_KEY), []
else:
    raise RuntimeError("IAM_PORTAL_SECRET_KEY must be set when DJANGO_DEBUG is off")

ALLOWED_HOSTS = [h for h in os.environ.get("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1").split(",") if h]
# Reverse proxies whose X-Forwarded-For / X-Forwarded-Proto are believed (iam_portal/proxies.py).
IAM_PORTAL_TRUSTED_PROXIES = os.environ.get("IAM_PORTAL_TRUSTED_PROXIES", "")
# Who may read /metrics (addresses or networks; iam_portal/observability.py).
IAM_PORTAL_METRICS_ALLOW = os.environ.get("IAM_PORTAL_METRICS_ALLOW", "127.0.0.1,::1")
# A Server-Timing header on every response (server time, queries): for benchmarks (bench/scale.py).
IAM_PORTAL_SERVER_TIMING = _env_bool("IAM_PORTAL_SERVER_TIMING", False)

# HTTPS only when deployed (DEBUG off): redirect plain HTTP, HSTS for a year, cookies marked Secure.
SECURE_SSL_REDIRECT = _env_bool("IAM_PORTAL_SSL_REDIRECT", not DEBUG)
SECURE_HSTS_SECONDS = int(os.environ.get("IAM_PORTAL_HSTS_SECONDS", 0 if DEBUG else 365 * 24 * 3600))
SECURE_HSTS_INCLUDE_SUBDOMAINS = _env_bool("IAM_PORTAL_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = _env_bool("IAM_PORTAL_HSTS_PRELOAD", True)
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

AUTH_USER_MODEL = "accounts.User"

INSTALLED_APPS = [
    # Only for its stylesheets, scripts and templates (the console's look); no ModelAdmin is registered
    # and no admin URL is served: every console page goes through the service layer.
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_otp",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI and Redoc served from our own static files (offline)
    "accounts",
    "policies",
]

MIDDLEWARE = [
    # /healthz and /readyz for load balancers: before the host and HTTPS checks (iam_portal/health.py).
    "iam_portal.health.HealthCheckMiddleware",
    "iam_portal.proxies.TrustedProxyMiddleware",  # client address and scheme behind a trusted proxy
    # The request id, one log line and the metrics of every request; /metrics (iam_portal/observability.py).
    "iam_portal.observability.ObservabilityMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # AWS Query API calls (POST /) are answered here: none of what follows concerns a signed call.
    "iam_portal.query_api.middleware.QueryApiMiddleware",
    # Content-Security-Policy: scripts, styles and frames from this server only (console pages, API docs).
    "iam_portal.security_headers.ContentSecurityPolicyMiddleware",
    # ETag on every GET answer and 304 Not Modified for If-None-Match (the REST API's reads, cheaply).
    "django.middleware.http.ConditionalGetMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",  # static files served by the app itself: no CDN
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "iam_portal.urls"
WSGI_APPLICATION = "iam_portal.wsgi.application"
ASGI_APPLICATION = "iam_portal.asgi.application"

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
                "iam_portal.console.nav.sidebar",
            ],
        },
    },
]

DATABASES = {"default": database_from_url(os.environ.get("DATABASE_URL"))}

# Django's cache holds the API rate-limit counters: per process by default; with REDIS_URL (e.g.
# redis://127.0.0.1:6379/0) one Redis shared by every worker and machine, so they count together.
REDIS_URL = os.environ.get("REDIS_URL", "")
CACHES = {
    "default": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL, "KEY_PREFIX": "iam"}
        if REDIS_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LOGIN_URL = "accounts:signin"
# Console sessions: AWS signs console sessions out after 12 hours by default.
SESSION_COOKIE_AGE = int(os.environ.get("IAM_PORTAL_SESSION_SECONDS", 12 * 3600))
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
IAM_PORTAL_MFA_ISSUER = os.environ.get("IAM_PORTAL_MFA_ISSUER", "IAM Portal")

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"
# WhiteNoise serves the finders' files (no collectstatic step for `make run`); cached by clients.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

# The REST API (iam_portal/rest.py, docs/rest-api.md). Its views (IamViewSet) set their authentication,
# permission, throttle, parser and renderer classes themselves. (DEFAULT_AUTHENTICATION_CLASSES cannot
# name iam_portal.rest: DRF imports that setting while rest_framework.views is still loading.)
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "EXCEPTION_HANDLER": "iam_portal.rest.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
}
# Requests per access key id (SigV4) or per signed-in user: "<count>/<sec|min|hour|day>". Counted in
# Django's cache (CACHES above: shared by every process when REDIS_URL is set).
IAM_PORTAL_API_RATE = os.environ.get("IAM_PORTAL_API_RATE", "600/min")
SPECTACULAR_SETTINGS = {
    "TITLE": "IAM Portal REST API",
    "DESCRIPTION": (
        "A JSON API over the same services as the console and the AWS Query API. Authenticate with "
        "SigV4 (service `iam`, any region) or the console session (with CSRF). Errors are "
        '`{"error": {"code": "<AWS code>", "message": "..."}}` with AWS\'s HTTP status. '
        "See docs/rest-api.md."
    ),
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_AUTHENTICATION": [],  # the schema and its pages are public; the API itself is not
    "SCHEMA_PATH_PREFIX": r"/api/v[0-9]+",
    "COMPONENT_SPLIT_REQUEST": True,  # UserIn / UserOut shapes are separate components
    "ENUM_GENERATE_CHOICE_DESCRIPTION": False,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "iam_portal.rest.add_common_errors",
    ],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# Logs go to standard error: one JSON object per line when deployed (IAM_PORTAL_LOG_FORMAT=json, the
# default with DEBUG off), with the request id of the request being served; plain text in development.
# iam_portal.requests writes one line per request (INFO; off in development unless asked for).
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "json": {"()": "iam_portal.observability.JsonFormatter"},
        "text": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": os.environ.get("IAM_PORTAL_LOG_FORMAT", "text" if DEBUG else "json"),
        }
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        "iam_portal.requests": {
            "level": os.environ.get("IAM_PORTAL_REQUEST_LOG", "WARNING" if DEBUG else "INFO")
        }
    },
}
