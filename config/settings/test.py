"""Settings for the test suite: same stack as dev, fast hashing, a shareable test database."""

import atexit
import os
import shutil
import sys
import tempfile
from pathlib import Path

from .base import *  # noqa: F403
from .base import CACHES, CHANNEL_LAYERS, DATABASES, env_bool

# Everything a test run writes (the SQLite test database, uploads, converted and demo media, live output,
# caches) goes to a temporary directory of this test process, never the developer's var/. Each pytest
# process (each xdist worker) makes its own; the servers it starts (Daphne, supervisors, with these
# settings) inherit it through MEDIA_ROOT / TEST_SCRATCH_DIR and so serve what the tests wrote.
if "pytest" in sys.modules or not os.environ.get("TEST_SCRATCH_DIR"):
    os.environ["TEST_SCRATCH_DIR"] = tempfile.mkdtemp(prefix="dangjian-test-")
    atexit.register(shutil.rmtree, os.environ["TEST_SCRATCH_DIR"], ignore_errors=True)
    os.environ["MEDIA_ROOT"] = str(Path(os.environ["TEST_SCRATCH_DIR"]) / "media")
SCRATCH_DIR = Path(os.environ["TEST_SCRATCH_DIR"])
MEDIA_ROOT = Path(os.environ["MEDIA_ROOT"])
LIVE_MEDIA_ROOT = Path(os.environ.get("LIVE_MEDIA_ROOT") or MEDIA_ROOT / "live")
LIVE_RUN_DIR = Path(os.environ.get("LIVE_RUN_DIR") or SCRATCH_DIR / "run")
LIVE_RELAY_SOCKET = os.environ.get("LIVE_RELAY_SOCKET") or str(LIVE_RUN_DIR / "relay.sock")
RESUMABLE_UPLOAD_DIR = SCRATCH_DIR / "uploads"
CACHES["machina_attachments"]["LOCATION"] = str(SCRATCH_DIR / "cache" / "machina_attachments")

DEBUG = False
SECRET_KEY = "test-only-key-not-secret-5c1e8a7d2f"
# A fixed key for tests only (like SECRET_KEY above); the encryption tests read the database file.
FIELD_ENCRYPTION_KEY = "dGVzdC1vbmx5LWZpZWxkLWtleS1ub3Qtc2VjcmV0ISE="
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "testserver", "[::1]"]

# SQLite tests use a file so that a Daphne subprocess can open the same database. One file per
# test process: Django deletes an existing test database file before creating its own, so two
# runs sharing one name (two terminals, one checkout) broke each other with "disk I/O error".
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    DATABASES["default"]["TEST"] = {"NAME": str(SCRATCH_DIR / f"test-db-{os.getpid()}.sqlite3")}
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
# A test that runs a real `db_worker` subprocess gives it (and enqueues through) the database queue.
if os.environ.get("TEST_TASKS_BACKEND") == "database":
    TASKS = {"default": {"BACKEND": "django_tasks_db.backend.DatabaseBackend"}}
# A test may stretch the live hub's database poll (streaming/hub.py) to prove that a delivery came by push.
STREAMING_HUB_POLL_SECONDS = float(os.environ.get("STREAMING_HUB_POLL_SECONDS") or 3.0)
# Tests roll back their transactions, so a publish never bumps the CMS page-cache generation:
# cached pages would leak from one test to the next. The cache's own tests switch it on.
CMS_PAGE_CACHE_SECONDS = 0

# The https rules of config.settings.prod, off unless a test turns them on for the servers it starts
# (tests/e2e/test_proxy_nginx.py, behind the example proxy): X-Forwarded-Proto counts from
# TRUSTED_PROXIES only, plain HTTP is redirected and the cookies are Secure.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", False)
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = SECURE_SSL_REDIRECT

# Daphne subprocesses in tests serve static files straight from the finders (no collectstatic).
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
