"""Settings shared by every environment. Values come from the environment (see config.env)."""

from __future__ import annotations

import os
from pathlib import Path

from django.utils.translation import gettext_lazy as _
from machina import MACHINA_MAIN_STATIC_DIR, MACHINA_MAIN_TEMPLATE_DIR

from config.env import ConfigError, database_config, env_bool, env_int, env_list, redis_url

BASE_DIR = Path(__file__).resolve().parents[2]
VAR_DIR = Path(os.environ.get("VAR_DIR", BASE_DIR / "var"))

SECRET_KEY = os.environ.get("SECRET_KEY", "")
DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

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
    "streaming.video",
    "governance",
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
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "core.middleware.ChineseFirstLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Replays cached CMS pages to anonymous readers; needs the user and messages above (cms/cache.py).
    "cms.cache.AnonymousPageCacheMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
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
    CONFIG_ERROR = str(exc)
    DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}
    REDIS_URL = None
else:
    CONFIG_ERROR = None

# Machina's apps want migrations under BigAutoField; ours set default_auto_field per app.
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"
AUTH_USER_MODEL = "core.User"
AUTHENTICATION_BACKENDS = ["core.auth.UsernameOrMobileBackend"]
LOGIN_URL = "core:login"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Failed logins: this many per window per account and per client address.
LOGIN_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5)
LOGIN_FAILURE_WINDOW = env_int("LOGIN_FAILURE_WINDOW", 900)

# --- Cache, channel layer, tasks ---------------------------------------------
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
LOCALE_PATHS = [BASE_DIR / "locale", BASE_DIR / "locale_vendor" / "machina"]
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
FILE_UPLOAD_PERMISSIONS = 0o640
DATA_UPLOAD_MAX_NUMBER_FIELDS = 2000

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

# --- Wagtail -------------------------------------------------------------------
WAGTAIL_SITE_NAME = _("Smart Party-Building Platform")
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

# --- Forum (machina) -------------------------------------------------------------
HAYSTACK_CONNECTIONS = {"default": {"ENGINE": "haystack.backends.simple_backend.SimpleEngine"}}
MACHINA_FORUM_NAME = _("Party members' Q&A")
MACHINA_BASE_TEMPLATE_NAME = "machina_base.html"
# Markdown → HTML → nh3 allow-list for every post, description and signature (not markdown2 safe_mode).
MACHINA_MARKUP_LANGUAGE = ("forum.markup.render_markdown", {})
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

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.channels.server": {"level": "WARNING"},
        "daphne": {"level": "WARNING"},
    },
}
