"""Settings shared by every environment. Values come from the environment (see config.env)."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path
from typing import Any

from csp.constants import NONE, SELF, UNSAFE_INLINE
from django.utils.translation import gettext_lazy as _
from machina import MACHINA_MAIN_STATIC_DIR, MACHINA_MAIN_TEMPLATE_DIR

from config.env import (
    ConfigError,
    database_config,
    env_bool,
    env_choice,
    env_int,
    env_list,
    env_networks,
    field_key_is_valid,
    redis_url,
    tile_url,
)

BASE_DIR = Path(__file__).resolve().parents[2]
VAR_DIR = Path(os.environ.get("VAR_DIR", BASE_DIR / "var"))

SECRET_KEY = os.environ.get("SECRET_KEY", "")
DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
# Reverse proxies whose X-Forwarded-For is believed (core/client_address.py); none by default, so a
# client's own header is never trusted. E.g. "127.0.0.1" for nginx on the same machine.
TRUSTED_PROXIES = env_networks("TRUSTED_PROXIES")

# The live video (RTMP ingest, packaging, the player's media): an optional part. Off, events still run
# (chat, questions, check-in) and their pages say video is not enabled; see streaming/integrations.py.
LIVE_VIDEO_ENABLED = env_bool("LIVE_VIDEO_ENABLED", True)

INSTALLED_APPS = [
    "daphne",
    # ours
    "core",
    "cms",
    "learning",
    "forum",
    # replaces machina's permission checker and view mixin through machina.core.loading
    "forum.overrides.forum_permission",
    "streaming",
    *(["streaming.video"] if LIVE_VIDEO_ENABLED else []),
    "governance",
    "governance.reports",
    "party",
    "villages",
    "dashboards",
    # wagtail
    "wagtail.contrib.forms",
    "wagtail.contrib.redirects",
    "wagtail.contrib.settings",
    "wagtail.embeds",
    "wagtail.sites",
    "wagtail.users",
    "wagtail.snippets",
    "wagtail.documents",
    "wagtail.images",
    # haystack before wagtail.search: both ship update_index and machina needs haystack's
    "haystack",
    "wagtail.search",
    "wagtail.admin",
    "wagtail",
    "modelcluster",
    "taggit",
    # machina forum
    "mptt",
    "widget_tweaks",
    "machina",
    "machina.apps.forum",
    "machina.apps.forum_conversation",
    "machina.apps.forum_conversation.forum_attachments",
    "machina.apps.forum_conversation.forum_polls",
    "machina.apps.forum_feeds",
    "machina.apps.forum_moderation",
    "machina.apps.forum_search",
    "machina.apps.forum_tracking",
    "machina.apps.forum_member",
    "machina.apps.forum_permission",
    # platform
    "channels",
    "django_tasks",
    "django_tasks_db",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.sites",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "axes",
    "csp",
]

MIDDLEWARE = [
    # X-Forwarded-Proto (SECURE_PROXY_SSL_HEADER) believed from TRUSTED_PROXIES only: first, before
    # anything asks whether the request is https (core/security.py).
    "core.security.TrustedProxyHeadersMiddleware",
    # 413 for a body over REQUEST_BODY_MAX_MB before anything reads it (core/bodylimit.py).
    "core.bodylimit.BodyLimitMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "core.middleware.ChineseFirstLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Turns a locked-out sign-in (any door) into the "try again in N minutes" page.
    "axes.middleware.AxesMiddleware",
    # A JSON or text body with invalid Unicode is refused with 400 before any view parses it; form
    # fields lose control, bidi and invisible characters (core/textinput.py).
    "core.textinput.TextInputMiddleware",
    # Cache-Control: no-store on every page for a signed-in person (core/security.py).
    "core.security.NoStoreForSignedInMiddleware",
    # Content-Security-Policy on every response (django-csp; Wagtail's admin scoped looser).
    "core.security.SitePolicyMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Replays cached CMS pages to anonymous readers; needs the user and messages above (cms/cache.py).
    "cms.cache.AnonymousPageCacheMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # The site's own error pages under DEBUG too, when SITE_ERROR_PAGES_IN_DEBUG is set (make run).
    "core.middleware.SiteErrorPagesInDebugMiddleware",
    "wagtail.contrib.redirects.middleware.RedirectMiddleware",
    # machina's forum permission middleware, minus a session row per anonymous reader (forum/middleware.py).
    "forum.middleware.ForumPermissionMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates", MACHINA_MAIN_TEMPLATE_DIR],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "machina.core.context_processors.metadata",
                "core.context_processors.site",
            ],
        },
    },
]

# --- Database -----------------------------------------------------------------
try:
    DATABASES = {"default": database_config(BASE_DIR)}
    REDIS_URL = redis_url()
except ConfigError as exc:
    # Raised at import: manage.py and asgi.py turn it into one line on stderr.
    CONFIG_ERROR: str | None = str(exc)
    DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}
    REDIS_URL = None
else:
    CONFIG_ERROR = None

# Machina's apps want migrations under BigAutoField; ours set default_auto_field per app.
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"
AUTH_USER_MODEL = "core.User"
# The sign-in throttle's check comes first: a locked-out client never reaches the password check.
AUTHENTICATION_BACKENDS = ["core.auth.SignInThrottleBackend", "core.auth.UsernameOrMobileBackend"]
LOGIN_URL = "core:login"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Residents' ID and phone numbers are stored encrypted with this key (core/crypto.py); dev settings
# make one under VAR_DIR on first run, production refuses to start without it.
FIELD_ENCRYPTION_KEY = os.environ.get("FIELD_ENCRYPTION_KEY", "").strip()
if FIELD_ENCRYPTION_KEY and not field_key_is_valid(FIELD_ENCRYPTION_KEY):
    CONFIG_ERROR = CONFIG_ERROR or "FIELD_ENCRYPTION_KEY is not a Fernet key (32 bytes in URL-safe base64)"

# Failed sign-ins at every door (django-axes, core/signin_throttle.py): LOGIN_FAILURE_LIMIT per
# account (username and mobile together), SIGNIN_ADDRESS_FAILURE_FACTOR times that per client
# address; the lock lifts LOGIN_FAILURE_WINDOW seconds after the latest failure.
AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(seconds=env_int("LOGIN_FAILURE_WINDOW", 900))
SIGNIN_ADDRESS_FAILURE_FACTOR = 4
AXES_HANDLER = "core.signin_throttle.SignInThrottleHandler"
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_USERNAME_CALLABLE = "core.signin_throttle.throttle_account"
AXES_CLIENT_IP_CALLABLE = "core.client_address.client_address"
AXES_LOCKOUT_CALLABLE = "core.signin_throttle.signin_locked_out"
AXES_RESET_ON_SUCCESS = True
# Counters are in the cache; axes's database tables and their admin pages stay empty.
AXES_ENABLE_ADMIN = False
AXES_DISABLE_ACCESS_LOG = True

# --- Cache, channel layer, tasks ---------------------------------------------
CACHES: dict[str, dict[str, Any]]
CHANNEL_LAYERS: dict[str, dict[str, Any]]
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "core.cache.ResilientRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "dj",
            "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
        },
    }
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {
                # redis-py 8's 5 s socket timeout equals the layer's 5 s blocking read; its
                # async pool raises past 100 connections. Both must be set explicitly.
                "hosts": [{"address": REDIS_URL, "socket_timeout": 15, "max_connections": 1000}],
                "prefix": os.environ.get("CHANNEL_PREFIX", "asgi"),
                "capacity": 1500,
                "expiry": 30,
            },
        },
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "default"}}
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

CACHES["machina_attachments"] = {
    "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
    "LOCATION": str(VAR_DIR / "cache" / "machina_attachments"),
}

TASKS = {"default": {"BACKEND": "django_tasks_db.backend.DatabaseBackend"}}

# --- i18n ----------------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
WAGTAIL_CONTENT_LANGUAGES = LANGUAGES
WAGTAILADMIN_PERMITTED_LANGUAGES = LANGUAGES
# machina ships zh_CN only, not the zh_Hans that zh-hans looks up: a vendored copy fills the gap.
# Ours first, so our translation wins for any msgid both catalogues define.
# Wagtail's own zh_Hans leaves about 400 admin strings in English: locale_vendor/wagtail supplies them.
LOCALE_PATHS = [BASE_DIR / "locale", BASE_DIR / "locale_vendor" / "machina", BASE_DIR / "locale_vendor" / "wagtail"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

# --- Static and media ----------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static", MACHINA_MAIN_STATIC_DIR]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "media"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
# Behind nginx, large media (lesson segments and audio, live segments) are sent by the web server after
# Django's access check: Django answers with `X-Accel-Redirect: <this prefix><path under MEDIA_ROOT>`
# and nginx's `internal` location of that prefix serves the file (deploy/nginx). Empty: Python sends it.
MEDIA_ACCEL_REDIRECT = os.environ.get("MEDIA_ACCEL_REDIRECT", "")
FILE_UPLOAD_PERMISSIONS = 0o640
DATA_UPLOAD_MAX_NUMBER_FIELDS = 2000
# Any request body at most this large (413 before it is read, core/bodylimit.py); signed-in editors
# under UPLOAD_PATH_PREFIXES (Wagtail's admin, where lesson media are uploaded) up to LEARNING_MAX_UPLOAD_MB.
REQUEST_BODY_MAX_MB = env_int("REQUEST_BODY_MAX_MB", 64)  # a report's nine phone photos fit
UPLOAD_PATH_PREFIXES = ["/admin/"]
# Large files (lesson media) arrive as resumable uploads (tus, core/resumable.py): chunks of at most
# RESUMABLE_CHUNK_MAX_MB each, kept here per person until the form that uses them is saved.
# The single-request path above stays for browsers without JavaScript.
RESUMABLE_UPLOAD_DIR = Path(os.environ.get("RESUMABLE_UPLOAD_DIR", VAR_DIR / "uploads"))
RESUMABLE_CHUNK_MAX_MB = 8  # and never more than half of REQUEST_BODY_MAX_MB
RESUMABLE_UPLOADS_PER_USER = 3  # unfinished uploads one person may have at once
RESUMABLE_USER_MAX_MB = env_int("RESUMABLE_USER_MAX_MB", 8192)  # their declared sizes together
RESUMABLE_STALE_HOURS = 24  # an upload nobody wrote to for this long is removed (manage.py uploads_sweep)

FFMPEG_BINARY = os.environ.get("FFMPEG_BINARY", "")

# Live video (streaming.video): the supervisor takes RTMP from encoders on this address …
LIVE_RTMP_HOST = os.environ.get("LIVE_RTMP_HOST", "0.0.0.0")  # noqa: S104
LIVE_RTMP_PORT = env_int("LIVE_RTMP_PORT", 1935)
# … which hosts are told to push to (default rtmp://<the site's host name>:<port>/live).
LIVE_RTMP_URL = os.environ.get("LIVE_RTMP_URL", "")
LIVE_MEDIA_ROOT = Path(os.environ.get("LIVE_MEDIA_ROOT", MEDIA_ROOT / "live"))
LIVE_RUN_DIR = Path(os.environ.get("LIVE_RUN_DIR", VAR_DIR / "run" / "live"))  # pidfiles, lock, ffmpeg logs
LIVE_RELAY_SOCKET = os.environ.get("LIVE_RELAY_SOCKET", str(LIVE_RUN_DIR / "relay.sock"))
LIVE_PASSTHROUGH = env_bool("LIVE_PASSTHROUGH", True)  # an encoder's H.264 is the top rendition as it is
# Branch venues may check in from this many minutes before an event's scheduled start.
LIVE_CHECK_IN_OPENS_MINUTES = env_int("LIVE_CHECK_IN_OPENS_MINUTES", 60)

# Live events' sockets (streaming/consumers.py, hub.py, wire.py). Tuned by tests and benchmarks, not by
# operators, so not read from the environment.
STREAMING_CHAT_RATE = (8, 10)  # chat messages and questions per socket: at most 8 in 10 seconds
STREAMING_HUB_BATCH_SECONDS = 0.004  # the hub gathers items this long into one frame
STREAMING_HUB_GAP_SECONDS = 0.15  # a gap in the sequence waits this long before the database fills it
STREAMING_HUB_POLL_SECONDS = 3.0  # the hub reads the database this often whatever the layer says
# Live frames written straight to Daphne's transport (streaming/wire.py); 0 sends them through ASGI.
STREAMING_DIRECT_WRITES = env_bool("STREAMING_DIRECT_WRITES", True)

# --- Wagtail -------------------------------------------------------------------
WAGTAIL_SITE_NAME = _("Smart Party-Building Platform")
# The operator's details in every page's footer (a Chinese government site must name its 主办单位 and
# show its ICP record number, 备案号, linked to the MIIT register). Empty values are left out.
SITE_OPERATOR = os.environ.get("SITE_OPERATOR", "")
SITE_CONTACT = os.environ.get("SITE_CONTACT", "")
SITE_ICP_RECORD = os.environ.get("SITE_ICP_RECORD", "")
# Show the site's own 404/400/500 pages even with DEBUG on (`manage.py serve`, i.e. `make run`, sets it):
# a newcomer trying the demo should meet what production shows; the traceback still goes to the log.
SITE_ERROR_PAGES_IN_DEBUG = env_bool("SITE_ERROR_PAGES_IN_DEBUG", False)
WAGTAILADMIN_BASE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000")
WAGTAILSEARCH_BACKENDS = {"default": {"BACKEND": "wagtail.search.backends.database"}}
WAGTAILIMAGES_MAX_UPLOAD_SIZE = 10 * 1024 * 1024
WAGTAILIMAGES_MAX_IMAGE_PIXELS = 40_000_000
WAGTAILDOCS_EXTENSIONS = ["pdf", "doc", "docx", "xls", "xlsx", "ppt", "pptx", "txt", "zip"]
WAGTAILIMAGES_EXTENSIONS = ["jpg", "jpeg", "png", "gif", "webp"]
# Uploads are checked by content, not by name or the browser's MIME type (cms/uploads.py).
WAGTAILIMAGES_IMAGE_FORM_BASE = "cms.uploads.CheckedImageForm"
WAGTAILDOCS_DOCUMENT_FORM_BASE = "cms.uploads.CheckedDocumentForm"
CMS_DOCUMENT_MAX_UPLOAD_SIZE = 20 * 1024 * 1024
# Anonymous CMS pages are cached this many seconds at most (0 turns the page cache off).
CMS_PAGE_CACHE_SECONDS = env_int("CMS_PAGE_CACHE_SECONDS", 60)

# --- Learning record --------------------------------------------------------------
# 党员每年集中学习培训一般不少于 32 学时; one 学时 (class hour) is 45 minutes, as in cadre training.
LEARNING_YEARLY_CLASS_HOURS = env_int("LEARNING_YEARLY_CLASS_HOURS", 32)
LEARNING_CLASS_HOUR_MINUTES = env_int("LEARNING_CLASS_HOUR_MINUTES", 45)
# Uploaded lesson media: the largest file the admin takes (the proxy's client_max_body_size must allow
# it) and the longest video or audio the pipeline converts.
LEARNING_MAX_UPLOAD_MB = env_int("LEARNING_MAX_UPLOAD_MB", 4096)
LEARNING_MAX_DURATION_HOURS = 6

# --- Forum -----------------------------------------------------------------------
# Posts per person, as (most posts, per seconds): a burst limit and an hourly one.
FORUM_POST_RATE_LIMITS = ((5, 60), (40, 3600))

# --- Visits (定期联系走访) -----------------------------------------------------------------
# Each grid worker's daily reminder of their due and overdue visits is sent from this hour (local time).
VISIT_REMINDER_HOUR = env_int("VISIT_REMINDER_HOUR", 8)
if not 0 <= VISIT_REMINDER_HOUR <= 23:
    raise ConfigError(f"VISIT_REMINDER_HOUR={VISIT_REMINDER_HOUR} is not an hour of the day (0–23)")

# --- Dashboards ---------------------------------------------------------------------------
# The nightly reconcile of the dashboards' rollups runs once a day from this hour (local time).
ROLLUPS_RECONCILE_HOUR = env_int("ROLLUPS_RECONCILE_HOUR", 3)
if not 0 <= ROLLUPS_RECONCILE_HOUR <= 23:
    raise ConfigError(f"ROLLUPS_RECONCILE_HOUR={ROLLUPS_RECONCILE_HOUR} is not an hour of the day (0–23)")

# --- One map (governance.geo) ------------------------------------------------------
# Tile server for /governance/map/ (empty: no tiles, the boundaries on a plain background), the
# coordinate system its tiles are drawn in (高德 and most Chinese commercial tiles: gcj02), and
# the attribution its licence asks for.
MAP_TILE_URL = tile_url("MAP_TILE_URL")
MAP_TILE_CRS = env_choice("MAP_TILE_CRS", "wgs84", ("wgs84", "gcj02"))
MAP_TILE_ATTRIBUTION = os.environ.get("MAP_TILE_ATTRIBUTION", "").strip()

# Villages whose collective income for a year is below this (yuan) are "weak villages" (薄弱村).
VILLAGES_WEAK_INCOME_YUAN = env_int("VILLAGES_WEAK_INCOME_YUAN", 100_000)

# --- Forum (machina) -------------------------------------------------------------
HAYSTACK_CONNECTIONS = {"default": {"ENGINE": "haystack.backends.simple_backend.SimpleEngine"}}
MACHINA_FORUM_NAME = _("Party members' Q&A")
MACHINA_BASE_TEMPLATE_NAME = "machina_base.html"
# Markdown → HTML → nh3 allow-list for every post, description and signature (not markdown2 safe_mode).
MACHINA_MARKUP_LANGUAGE: tuple[str, dict] = ("forum.markup.render_markdown", {})
# Members are shown by their name (as on our Q&A pages), not by their login name.
MACHINA_USER_DISPLAY_NAME_METHOD = "get_full_name"
MACHINA_DEFAULT_AUTHENTICATED_USER_FORUM_PERMISSIONS = [
    "can_see_forum",
    "can_read_forum",
    "can_start_new_topics",
    "can_reply_to_topics",
    "can_edit_own_posts",
    "can_post_without_approval",
    "can_vote_in_polls",
    "can_download_file",
]

SITE_ID = 1

# --- Security defaults that hold everywhere -------------------------------------
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
# Nothing of ours is framed; Wagtail's preview views set SAMEORIGIN on their own responses.
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

# --- Content-Security-Policy (django-csp 4, core/security.py) ---------------------------------------
# Scripts only from our own static files: no inline <script>, no on…= handlers, no javascript: URLs.
# Stylesheets only from our own files too; style *attributes* are allowed ('unsafe-inline' in
# style-src-attr only): ECharts writes its tooltips as HTML with style attributes and a few of our
# templates set a width or colour inline. An attribute cannot load or run anything; stylesheets and
# <style> elements stay 'self'. Images may come from the map tile servers; hls.js plays through
# blob: MediaSource URLs and may run its worker from a blob:.
# The reports form's OpenStreetMap tiles, plus the host of MAP_TILE_URL ({s} subdomains as a wildcard).
MAP_TILE_HOSTS = ["https://*.tile.openstreetmap.org"]
if MAP_TILE_URL.startswith(("https://", "http://")):
    _scheme, _rest = MAP_TILE_URL.split("://", 1)
    MAP_TILE_HOSTS.append(f"{_scheme}://{_rest.split('/', 1)[0].replace('{s}', '*')}")
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "style-src-attr": [UNSAFE_INLINE],
        "img-src": [SELF, "data:", "blob:", *MAP_TILE_HOSTS],
        "media-src": [SELF, "blob:"],
        "worker-src": [SELF, "blob:"],
        "connect-src": [SELF],
        "font-src": [SELF, "data:"],
        "frame-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}
# Wagtail's admin renders inline scripts and styles and frames its own previews (see core/security.py).
WAGTAIL_ADMIN_CSP_PREFIX = "/admin/"
WAGTAIL_ADMIN_CSP_UPDATE = {"script-src": [UNSAFE_INLINE], "style-src": [UNSAFE_INLINE]}
WAGTAIL_ADMIN_CSP_REPLACE = {"frame-ancestors": [SELF]}
WAGTAIL_GRAVATAR_PROVIDER_URL = None  # no third-party avatar requests from the admin

# Media anyone may fetch by address (Wagtail image renditions and originals, forum avatars and forum
# images). Only these may be published by a web server or, in DEBUG, by Django (core.security.public_media).
PUBLIC_MEDIA_PREFIXES = ["images/", "original_images/", "machina/avatar_images/", "machina/forum_images/"]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.channels.server": {"level": "WARNING"},
        "daphne": {"level": "WARNING"},
        "axes": {"level": "WARNING"},
    },
}
