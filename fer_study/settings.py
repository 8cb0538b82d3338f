"""fer_study settings: one file, read top to bottom, driven by the environment.

With nothing set you get the embedded default for a laptop: DEBUG on, SQLite in the project folder,
Celery tasks run in-process, photos in a private local folder. `.env.example` lists every variable.
"""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    if value.lower() in {"1", "true", "yes", "on"}:
        return True
    if value.lower() in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name}={value!r} is not a boolean (use 1/0, true/false, yes/no).")


def env_number(name: str, default, kind=int, what="a whole number"):
    value = os.environ.get(name, "")
    try:
        return kind(value) if value else default
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name}={value!r} is not {what}.") from exc


def env_int(name: str, default: int) -> int:
    return env_number(name, default)


def env_float(name: str, default: float) -> float:
    return env_number(name, default, float, "a number")


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in env(name, default).split(",") if item.strip()]


def env_secret(name: str, default: str = "") -> str:
    """Reads NAME, or the file named by NAME_FILE (Docker/Kubernetes secrets)."""
    path = os.environ.get(f"{name}_FILE")
    if path:
        return Path(path).read_text().strip()
    return env(name, default)


DEBUG = env_bool("DEBUG", True)

SECRET_KEY = env_secret("SECRET_KEY")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS")
if DEBUG:
    SECRET_KEY = SECRET_KEY or "insecure-development-key-only-for-DEBUG"
    ALLOWED_HOSTS = ALLOWED_HOSTS or ["localhost", "127.0.0.1", "[::1]", "testserver"]
elif not SECRET_KEY or not ALLOWED_HOSTS:
    raise ImproperlyConfigured("With DEBUG off, SECRET_KEY (or SECRET_KEY_FILE) and ALLOWED_HOSTS must be set.")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
SITE_URL = env("SITE_URL", "http://localhost:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "csp",
    "axes",
    "experiments",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "experiments.middleware.RequestHygieneMiddleware",
    "django_permissions_policy.PermissionsPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "experiments.errors.OutageMiddleware",  # a database or Redis outage answers 503 in the visitor's language
    "django.middleware.common.CommonMiddleware",
    "experiments.ratelimits.RateLimitMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",  # last: answers a locked-out login (experiments/accounts.py)
]

ROOT_URLCONF = "fer_study.urls"
WSGI_APPLICATION = "fer_study.wsgi.application"

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
            ],
        },
    },
]

# SQLite in the project folder unless DATABASE_URL names a server (postgres://user@host:5432/name).
DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # refuses a locked-out username + address before the password
    "django.contrib.auth.backends.ModelBackend",
]
# Login throttling in the database (works with Redis down), per username and address together, so
# nobody can lock a researcher out from every address (https://django-axes.readthedocs.io/).
AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 10)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("LOGIN_LOCKOUT_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_USERNAME_CALLABLE = "experiments.accounts.login_username"
AXES_CLIENT_IP_CALLABLE = "experiments.accounts.client_ip"
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"

# Password reset mails: the console in development, SMTP from the environment in production (EMAIL_HOST
# set); with neither the reset page says so instead of pretending to send.
EMAIL_HOST = env("EMAIL_HOST")
EMAIL_PORT = env_int("EMAIL_PORT", 587)
EMAIL_HOST_USER = env("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_secret("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", "fer_study <noreply@localhost>")
EMAIL_BACKEND = env("EMAIL_BACKEND") or (
    "django.core.mail.backends.smtp.EmailBackend" if EMAIL_HOST
    else "django.core.mail.backends.console.EmailBackend" if DEBUG
    else "django.core.mail.backends.dummy.EmailBackend"
)
PASSWORD_RESET_BY_EMAIL = EMAIL_BACKEND != "django.core.mail.backends.dummy.EmailBackend"
PASSWORD_RESET_RATE = env("PASSWORD_RESET_RATE", "3/h")  # per e-mail address; per IP in RATE_LIMITS
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "workspace:experiment_list"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]

# Photos are biometric personal data: a private folder outside STATIC/MEDIA, with no base URL, so
# nothing can build a public link to them. They are only served by an access-checked view.
PHOTO_ROOT = Path(env("PHOTO_ROOT", str(BASE_DIR / "private" / "photos")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "photos": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        # Owner-only on disk too: another account on the host reads no face.
        "OPTIONS": {"location": str(PHOTO_ROOT), "base_url": None,
                    "file_permissions_mode": 0o600, "directory_permissions_mode": 0o700},
    },
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
# Behind nginx, the photo view hands the file over with X-Accel-Redirect to this internal location:
#   location /_protected_photos/ { internal; alias <PHOTO_ROOT>/; }
PHOTO_X_ACCEL_PREFIX = env("PHOTO_X_ACCEL_PREFIX")
# Finished background exports, as private as the photos (served only through access-checked views).
EXPORT_ROOT = Path(env("EXPORT_ROOT", str(BASE_DIR / "private" / "exports")))
PHOTO_MAX_BYTES = env_int("PHOTO_MAX_BYTES", 8 * 1024 * 1024)
PHOTO_MAX_PIXELS = env_int("PHOTO_MAX_PIXELS", 40_000_000)
DATA_UPLOAD_MAX_MEMORY_SIZE = PHOTO_MAX_BYTES + 1024 * 1024  # the photo step's whole request
# Every other request body, anonymous or not, is refused over this before it is read (experiments/middleware.py).
REQUEST_MAX_BYTES = env_int("REQUEST_MAX_BYTES", 1024 * 1024)

# The analysis cache and export-job progress must be seen by every web and worker process, so with
# a broker they share Redis; the embedded default keeps them in process memory.
# A request never waits longer than this on Redis (cache or broker); a frozen Redis is then skipped for a
# while (experiments/circuits.py). redis-py's own default is 5 s, which a frozen Redis added to every page.
REDIS_TIMEOUT = env_float("REDIS_TIMEOUT", 1.0)
CACHE_URL = env("CACHE_URL", env("CELERY_BROKER_URL"))
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": CACHE_URL,
        "OPTIONS": {"socket_connect_timeout": REDIS_TIMEOUT, "socket_timeout": REDIS_TIMEOUT},
    }
    if CACHE_URL
    else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
}

# Per-IP limits by URL name (experiments/ratelimits.py), counted in the shared cache above. They are
# generous for participants, since a lab may put many people behind one address.
RATELIMIT_ENABLE = env_bool("RATELIMIT_ENABLE", True)
RATELIMIT_FAIL_OPEN = True  # a cache outage must not lock participants out (ratelimits.counted)
# Requests from these networks (the reverse proxy) are counted by the client address the proxy appended to
# X-Forwarded-For; from anywhere else by REMOTE_ADDR, so a client cannot choose its own bucket.
TRUSTED_PROXIES = env_list("TRUSTED_PROXIES")
RATELIMIT_IP_META_KEY = "experiments.ratelimits.client_ip"
RATE_LIMITS = {
    "study_entry": {"rate": "60/m", "methods": ("GET",)},
    "study_capture": {"rate": "120/m", "methods": ("POST",)},
    # Per address only: per-username lockouts are django-axes' (username + address together).
    "login": {"rate": "20/m", "methods": ("POST",)},
    "admin:login": {"rate": "20/m", "methods": ("POST",)},
    "password_reset": {"rate": "10/h", "methods": ("POST",)},
}

# Celery (https://docs.celeryq.dev/en/stable/django/first-steps-with-django.html).
# No broker configured: tasks run in-process after commit, so a laptop needs no Redis.
CELERY_BROKER_URL = env("CELERY_BROKER_URL")
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_IGNORE_RESULT = True  # state lives in our own tables
# Classification is CPU-bound: take one task at a time and acknowledge only when done, so a worker
# that dies mid-task leaves the message for another.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Celery's Django fixup closes the database connection around every task unless this is set, and a
# new PostgreSQL connection per photo costs more than the photo's inference. Workers keep theirs and
# close_old_connections() applies CONN_MAX_AGE and drops broken ones as for a web request (tasks.py).
CELERY_DB_REUSE_MAX = 1000
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT", 600),
    "socket_timeout": REDIS_TIMEOUT,
    "socket_connect_timeout": REDIS_TIMEOUT,
}
CELERY_BROKER_CONNECTION_TIMEOUT = REDIS_TIMEOUT
CELERY_BROKER_TRANSPORT = "fer_study.redis_transport:Transport"  # survives a Redis restart (see the module)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE = {
    "requeue-stale-classifications": {
        "task": "experiments.tasks.requeue_stale_classifications",
        "schedule": env_int("CLASSIFICATION_SWEEP_EVERY", 30),
        "options": {"expires": env_int("CLASSIFICATION_SWEEP_EVERY", 30)},  # no pile of sweeps after an outage
    },
    "delete-orphan-photo-files": {"task": "experiments.tasks.delete_orphan_photo_files", "schedule": 3600},
    "enforce-photo-policies": {"task": "experiments.tasks.enforce_photo_policies", "schedule": 3600},
    "release-abandoned-rating-items": {"task": "experiments.ratings.tasks.release_abandoned_items", "schedule": 600},
    "remove-expired-exports": {"task": "experiments.workspace.tasks.remove_expired_exports", "schedule": 3600},
}
# A rater idle this many seconds gives their unanswered photos back to other raters.
RATING_ITEM_RELEASE_AFTER = env_int("RATING_ITEM_RELEASE_AFTER", 2 * 3600)
# Recovery windows; experiments/checks.py refuses to start with windows that do not fit together, and
# the README states the worst-case recovery times they give.
# A photo takes about 10 ms to classify; a task still running after this many seconds is stopped.
CLASSIFICATION_TIME_LIMIT = env_int("CLASSIFICATION_TIME_LIMIT", 30)
# A classification sent this many seconds ago and still pending was lost (a broker restart): send it again.
CLASSIFICATION_STALE_AFTER = env_int("CLASSIFICATION_STALE_AFTER", 120)
# A row a worker claimed this many seconds ago, still pending, has no live worker on it (> the task's time limit).
CLASSIFICATION_ABANDONED_AFTER = env_int("CLASSIFICATION_ABANDONED_AFTER", 60)
# A photo file with no row, older than this, was left by a crash between writing it and committing its row.
PHOTO_ORPHAN_AFTER = env_int("PHOTO_ORPHAN_AFTER", 3600)
# Workers and beat record that they are alive this often (the live page, the compose health checks).
HEARTBEAT_EVERY = env_int("HEARTBEAT_EVERY", 10)
LIVENESS_FILE = env("LIVENESS_FILE")  # touched with every heartbeat; compose's health checks read its age
CELERY_BEAT_SCHEDULER = "experiments.heartbeats:LivenessScheduler"
CELERY_BEAT_MAX_LOOP_INTERVAL = HEARTBEAT_EVERY
# Threads each worker process gives onnxruntime; processes x threads should not exceed the cores.
INFERENCE_THREADS = env_int("INFERENCE_THREADS", 1)

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "fer_study API",
    "DESCRIPTION": "Researchers' token API: experiments, status counts and exports.",
    "VERSION": "1.0.0",
}

# ADMINS="Name <admin@example.org>, ..." receive the alerts (a full photo disk) by e-mail.
ADMINS = [tuple(part.strip(" >") for part in entry.split("<")) for entry in env_list("ADMINS") if "<" in entry]
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {
        "console": {"class": "logging.StreamHandler"},
        "mail_admins": {"class": "django.utils.log.AdminEmailHandler", "level": "ERROR"},
    },
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "experiments.alerts": {"handlers": ["console", "mail_admins"], "level": "ERROR", "propagate": False},
    },
}

# Production hardening (effective with DEBUG off; see `manage.py check --deploy`).
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]  # the container health check speaks plain HTTP to gunicorn
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", not DEBUG)
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# No inline script or style anywhere: pages load their JS and CSS from /static/.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:", "blob:"],
        "media-src": [SELF, "blob:", "mediastream:"],
        "connect-src": [SELF],
        "font-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "frame-ancestors": [NONE],
        "form-action": [SELF, *env_list("CSP_FORM_ACTION_EXTRA")],
    }
}
# The camera for this site's own pages only; everything else off.
PERMISSIONS_POLICY = {
    "camera": ["self"],
    "microphone": [],
    "geolocation": [],
    "payment": [],
    "usb": [],
}
