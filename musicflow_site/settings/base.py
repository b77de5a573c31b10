"""Settings shared by every environment; each value can come from the environment."""

from __future__ import annotations

from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

# Local and test settings override this; production requires it from the environment.
SECRET_KEY = env("DJANGO_SECRET_KEY", default="")
DEBUG = env.bool("DJANGO_DEBUG", default=False)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_q",
    "social_django",
    "streams",
    "predictor",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Before CSRF checking, which reads the body: an oversized upload is refused unread.
    "musicflow_site.middleware.RequestBodyLimitMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "musicflow_site.urls"
WSGI_APPLICATION = "musicflow_site.wsgi.application"

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

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'musicflow.sqlite3'}"),
}
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=0)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web process read while a worker writes; the timeout rides out
    # short write locks instead of failing with "database is locked".
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "timeout": 20,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env("REDIS_URL", default="")
# Give the cache its own Redis database: clearing a cache must never purge the task queue.
REDIS_CACHE_URL = env("REDIS_CACHE_URL", default=REDIS_URL)

# The cache is shared by every process (throttling, rate limits), so it is never
# per-process memory: Redis when configured, otherwise a database table.
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_CACHE_URL,
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "musicflow_cache",
        }
    }

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env("MUSICFLOW_MEDIA_ROOT", default=str(VAR_DIR / "media")))

# Uploads and model artifacts go through the storage API so an object store can
# replace the local folder without code changes.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage",
    },
}

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("DJANGO_LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # spotipy logs every HTTP error it raises; our client classifies and logs them once.
        "spotipy.client": {"level": "CRITICAL"},
    },
}

# --- django-q2 ---
# Short tasks (imports, resolution, enrichment) run on the default cluster; training
# runs on its own cluster so a long fit never delays an import. `timeout` stays
# below `retry`, otherwise django-q2 hands a still-running task to a second worker.
Q_SHORT_TIMEOUT = env.int("Q_TIMEOUT", default=600)
Q_TRAINING_TIMEOUT = env.int("Q_TRAINING_TIMEOUT", default=1800)
Q_CLUSTER = {
    "name": "musicflow",
    "workers": env.int("Q_WORKERS", default=2),
    "timeout": Q_SHORT_TIMEOUT,
    "retry": Q_SHORT_TIMEOUT + 60,
    "max_attempts": env.int("Q_MAX_ATTEMPTS", default=3),
    "catch_up": False,
    "save_limit": 500,
    "poll": 0.5,
    "ALT_CLUSTERS": {
        "training": {
            "workers": env.int("Q_TRAINING_WORKERS", default=1),
            "timeout": Q_TRAINING_TIMEOUT,
            "retry": Q_TRAINING_TIMEOUT + 60,
            "max_attempts": 2,
        },
    },
}
if REDIS_URL:
    Q_CLUSTER["redis"] = REDIS_URL
else:
    Q_CLUSTER["orm"] = "default"
MUSICFLOW_TRAINING_CLUSTER = "training"

# --- streams (history import) ---
# Zip-bomb guards: an export has a few dozen members of ~13 MB each.
MUSICFLOW_UPLOAD_MAX_BYTES = env.int("MUSICFLOW_UPLOAD_MAX_BYTES", default=200 * 1024**2)
MUSICFLOW_ZIP_MAX_MEMBERS = env.int("MUSICFLOW_ZIP_MAX_MEMBERS", default=500)
MUSICFLOW_ZIP_MAX_UNCOMPRESSED_BYTES = env.int(
    "MUSICFLOW_ZIP_MAX_UNCOMPRESSED_BYTES", default=1024**3
)
MUSICFLOW_IMPORT_BATCH_SIZE = env.int("MUSICFLOW_IMPORT_BATCH_SIZE", default=5000)
# One JSON document is parsed in memory: real export files are 10-13 MB each.
MUSICFLOW_IMPORT_MAX_FILE_BYTES = env.int("MUSICFLOW_IMPORT_MAX_FILE_BYTES", default=100 * 1024**2)
# A queued import waits this long before retrying while another import of its owner runs.
MUSICFLOW_IMPORT_RETRY_SECONDS = env.int("MUSICFLOW_IMPORT_RETRY_SECONDS", default=15)

DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024**2
FILE_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024**2

# --- predictor ---
MUSICFLOW_STREAM_MIN_MS = env.int("MUSICFLOW_STREAM_MIN_MS", default=30_000)
MUSICFLOW_NEGATIVE_RATIO = env.float("MUSICFLOW_NEGATIVE_RATIO", default=3.0)
MUSICFLOW_NEGATIVE_SEED = env.int("MUSICFLOW_NEGATIVE_SEED", default=0)
MUSICFLOW_RETRAIN_MIN_NEW_PLAYS = env.int("MUSICFLOW_RETRAIN_MIN_NEW_PLAYS", default=200)
# How often the continuous-training schedule looks for users with enough new plays.
MUSICFLOW_RETRAIN_EVERY_MINUTES = env.int("MUSICFLOW_RETRAIN_EVERY_MINUTES", default=30)
# A STORAGES alias; point it at an object-store backend to move artifacts off disk.
MUSICFLOW_MODEL_STORAGE = env("MUSICFLOW_MODEL_STORAGE", default="default")
MUSICFLOW_TRAINING_N_JOBS = env.int("MUSICFLOW_TRAINING_N_JOBS", default=1)
# A "training" row older than this belongs to a dead worker and no longer locks.
MUSICFLOW_TRAINING_STALE_SECONDS = env.int(
    "MUSICFLOW_TRAINING_STALE_SECONDS", default=Q_TRAINING_TIMEOUT + 300
)
# Fewer streamed tracks than this: metrics are reported but flagged as too few to judge.
MUSICFLOW_MIN_POSITIVES_TO_JUDGE = env.int("MUSICFLOW_MIN_POSITIVES_TO_JUDGE", default=50)
# "standard" searches the full grid; "quick" tries one candidate per model family.
MUSICFLOW_TRAINING_GRID = env("MUSICFLOW_TRAINING_GRID", default="standard")
# BLAS/OpenMP threads per training fit (0: the libraries' default, all cores). One is
# faster on a shared host: spin-waiting OpenMP threads on busy cores cost 3-6x.
MUSICFLOW_TRAINING_THREADS = env.int("MUSICFLOW_TRAINING_THREADS", default=1)

# --- feature sources ---
# Base URLs are settings so tests (and self-hosted mirrors) can point the clients elsewhere.
SPOTIFY_API_URL = env("SPOTIFY_API_URL", default="https://api.spotify.com/v1/")
SPOTIFY_ACCOUNTS_URL = env("SPOTIFY_ACCOUNTS_URL", default="https://accounts.spotify.com/")
RECCOBEATS_API_URL = env("RECCOBEATS_API_URL", default="https://api.reccobeats.com/v1/")
# Spotify is optional: with no client id its steps are skipped (and reported as skipped).
SPOTIFY_CLIENT_ID = env("SPOTIFY_CLIENT_ID", default="")
SPOTIFY_CLIENT_SECRET = env("SPOTIFY_CLIENT_SECRET", default="")
# The chain's order; each source only fills what the ones before it left missing.
MUSICFLOW_FEATURE_SOURCES = env.list(
    "MUSICFLOW_FEATURE_SOURCES", default=["catalog", "reccobeats", "spotify"]
)
# A 403 from a Spotify capability (audio features, batch tracks) parks it this long.
MUSICFLOW_CAPABILITY_UNAVAILABLE_HOURS = env.float(
    "MUSICFLOW_CAPABILITY_UNAVAILABLE_HOURS", default=24.0
)
# Every outbound call: (connect, read) timeouts, bounded attempts with backoff, and the
# longest Retry-After waited out inside a call (longer ones reschedule the task).
MUSICFLOW_HTTP_CONNECT_TIMEOUT = env.float("MUSICFLOW_HTTP_CONNECT_TIMEOUT", default=3.05)
MUSICFLOW_HTTP_READ_TIMEOUT = env.float("MUSICFLOW_HTTP_READ_TIMEOUT", default=10.0)
MUSICFLOW_HTTP_ATTEMPTS = env.int("MUSICFLOW_HTTP_ATTEMPTS", default=3)
MUSICFLOW_HTTP_BACKOFF_SECONDS = env.float("MUSICFLOW_HTTP_BACKOFF_SECONDS", default=0.5)
MUSICFLOW_HTTP_MAX_INLINE_WAIT_SECONDS = env.float(
    "MUSICFLOW_HTTP_MAX_INLINE_WAIT_SECONDS", default=2.0
)
# Shared (all workers) pacing per service: minimum seconds between two requests.
MUSICFLOW_SOURCE_MIN_INTERVAL = {
    "spotify": env.float("MUSICFLOW_SPOTIFY_MIN_INTERVAL", default=0.1),
    "reccobeats": env.float("MUSICFLOW_RECCOBEATS_MIN_INTERVAL", default=0.2),
}
# Fuzzy matching of unresolved plays against the local catalog (rapidfuzz, 0-100).
MUSICFLOW_FUZZY_MATCH_THRESHOLD = env.float("MUSICFLOW_FUZZY_MATCH_THRESHOLD", default=90.0)
# Spotify search: results per query (Spotify allows at most 10) and the score (0-100)
# a result needs on normalised title, artist and duration to be accepted.
MUSICFLOW_SPOTIFY_SEARCH_LIMIT = env.int("MUSICFLOW_SPOTIFY_SEARCH_LIMIT", default=10)
MUSICFLOW_SEARCH_MATCH_THRESHOLD = env.float("MUSICFLOW_SEARCH_MATCH_THRESHOLD", default=90.0)
# A song Spotify search did not find is searched again after this many days.
MUSICFLOW_SEARCH_RECHECK_DAYS = env.int("MUSICFLOW_SEARCH_RECHECK_DAYS", default=30)
# A background enrichment task works this long, saves its progress and queues its own
# continuation, so it always ends well inside the cluster's timeout.
MUSICFLOW_ENRICHMENT_SLICE_SECONDS = env.float("MUSICFLOW_ENRICHMENT_SLICE_SECONDS", default=60.0)
# A running job whose heartbeat is older than this lost its worker and may be taken over.
MUSICFLOW_ENRICHMENT_STALE_SECONDS = env.float("MUSICFLOW_ENRICHMENT_STALE_SECONDS", default=180.0)

# --- api ---
# Token first: an anonymous API call then gets 401 with `WWW-Authenticate: Token`
# (session-first would answer 403); the session still serves the browsable API.
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    "DEFAULT_SCHEMA_CLASS": "musicflow_site.api.schema.AutoSchema",
    "EXCEPTION_HANDLER": "musicflow_site.api.exception_handlers.api_exception_handler",
    # Counters live in the default cache (database table or Redis): shared by all workers.
    "DEFAULT_THROTTLE_CLASSES": [
        "musicflow_site.api.throttles.AnonThrottle",
        "musicflow_site.api.throttles.UserThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env("MUSICFLOW_THROTTLE_ANON", default="60/min"),
        "user": env("MUSICFLOW_THROTTLE_USER", default="600/min"),
        "prediction_batch": env("MUSICFLOW_THROTTLE_PREDICTION_BATCH", default="30/min"),
        "token": env("MUSICFLOW_THROTTLE_TOKEN", default="10/min"),
    },
    # Behind a reverse proxy set this to the number of proxies, so throttles see the
    # client's address rather than the proxy's.
    "NUM_PROXIES": env.int("MUSICFLOW_NUM_PROXIES", default=None),
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "MusicFlow API",
    "DESCRIPTION": (
        "Predicts how many times you would stream a song, from your own Spotify history. "
        "Authenticate with a session (the website) or `Authorization: Token <key>` "
        "(POST /api/token/). /health and /prediction/ also work anonymously, against the "
        "site's default model. The original endpoints are also served at the site root "
        "(/health, /raw_features/, /features/, /prediction/)."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SCHEMA_PATH_PREFIX": "/api/",
    "PREPROCESSING_HOOKS": ["musicflow_site.api.schema.only_api_paths"],
    "COMPONENT_SPLIT_REQUEST": True,
    # Several "status" fields with different meanings: name each set of choices.
    "ENUM_NAME_OVERRIDES": {
        "HealthStatusEnum": "musicflow_site.api.health.HEALTH_STATUSES",
        "ImportStatusEnum": "streams.models.ImportStatus",
        "ModelStatusEnum": "predictor.models.ModelStatus",
        "ResolutionStatusEnum": "streams.models.ResolutionStatus",
    },
    # Swagger UI and ReDoc are served from the sidecar package: no CDN, works offline.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}
# POST /api/predictions/: unknown songs looked up over the network per call (the rest
# answer 503 lookup_deferred), so one call cannot hold a worker for minutes.
MUSICFLOW_BATCH_NETWORK_LOOKUPS = env.int("MUSICFLOW_BATCH_NETWORK_LOOKUPS", default=10)
# Network time one request may spend finding an unknown song's features (the search
# itself is bounded by the client's timeouts); what is not fetched by then stays null
# until the background enrichment fills it. Keep it well under gunicorn's timeout.
MUSICFLOW_LOOKUP_NETWORK_SECONDS = env.float("MUSICFLOW_LOOKUP_NETWORK_SECONDS", default=8.0)

# --- website ---
INSTALLED_APPS = [*INSTALLED_APPS, "website"]
TEMPLATES[0]["OPTIONS"]["context_processors"].append("website.context_processors.site")
LOGIN_REDIRECT_URL = "website:dashboard"

# Chart.js comes from npm (`make install` runs `npm ci`); only its dist/ folder is served.
STATICFILES_DIRS = [
    *STATICFILES_DIRS,
    ("vendor/chart.js", BASE_DIR / "node_modules" / "chart.js" / "dist"),
]

# Log in with Spotify (on when SPOTIFY_CLIENT_ID is set) or with a password.
AUTHENTICATION_BACKENDS = [
    "website.spotify_auth.MusicFlowSpotifyOAuth2",
    "django.contrib.auth.backends.ModelBackend",
]
# /v1/me returns the id and display name without any scope; ask for nothing more.
SOCIAL_AUTH_SPOTIFY_SCOPE: list[str] = []
SOCIAL_AUTH_SPOTIFY_IGNORE_DEFAULT_SCOPE = True
SOCIAL_AUTH_REQUESTS_TIMEOUT = env.int("SOCIAL_AUTH_REQUESTS_TIMEOUT", default=10)
SOCIAL_AUTH_LOGIN_REDIRECT_URL = "/dashboard/"
SOCIAL_AUTH_PIPELINE = (
    "social_core.pipeline.social_auth.social_details",
    "social_core.pipeline.social_auth.social_uid",
    "social_core.pipeline.social_auth.auth_allowed",
    "social_core.pipeline.social_auth.social_user",
    "website.pipeline.user_from_spotify",
    "social_core.pipeline.social_auth.associate_user",
    "social_core.pipeline.social_auth.load_extra_data",
)
# Fernet key for Spotify tokens at rest; production requires it, elsewhere an empty
# value means "derive one from SECRET_KEY".
MUSICFLOW_TOKEN_ENCRYPTION_KEY = env("MUSICFLOW_TOKEN_ENCRYPTION_KEY", default="")
# Refresh a user's Spotify access token when it has less than this left.
MUSICFLOW_SPOTIFY_TOKEN_REFRESH_MARGIN = env.int(
    "MUSICFLOW_SPOTIFY_TOKEN_REFRESH_MARGIN", default=300
)
