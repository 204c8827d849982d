"""Settings for the test suite: same stack as dev, fast hashing, a shareable test database."""

import os

from .base import *  # noqa: F403
from .base import CACHES, CHANNEL_LAYERS, DATABASES, VAR_DIR

DEBUG = False
SECRET_KEY = "test-only-key-not-secret-5c1e8a7d2f"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "testserver", "[::1]"]

# SQLite tests use a file so that a Daphne subprocess can open the same database. One file per
# test process: Django deletes an existing test database file before creating its own, so two
# runs sharing one name (two terminals, one checkout) broke each other with "disk I/O error".
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / f"test-db-{os.getpid()}.sqlite3")}
else:  # the same on PostgreSQL: one test database per test process
    DATABASES["default"]["TEST"] = {"NAME": f"test_{DATABASES['default']['NAME']}_{os.getpid()}"}

# Concurrent runs sharing one Redis must not see each other's cache keys (login throttles) or groups.
# Daphne subprocesses of one test run share theirs through CHANNEL_PREFIX (or CACHE_PREFIX).
_run_prefix = os.environ.get("CHANNEL_PREFIX") or f"test{os.getpid()}"
if "KEY_PREFIX" in CACHES["default"]:
    CACHES["default"]["KEY_PREFIX"] = os.environ.get("CACHE_PREFIX") or _run_prefix
if "CONFIG" in CHANNEL_LAYERS["default"]:
    CHANNEL_LAYERS["default"]["CONFIG"]["prefix"] = _run_prefix

STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
# Tests roll back their transactions, so a publish never bumps the CMS page-cache generation:
# cached pages would leak from one test to the next. The cache's own tests switch it on.
CMS_PAGE_CACHE_SECONDS = 0

# Daphne subprocesses in tests serve static files straight from the finders (no collectstatic).
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True

# A fresh clone has no var/ yet; the SQLite test database file lives there.
VAR_DIR.mkdir(parents=True, exist_ok=True)
