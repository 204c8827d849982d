"""Settings for bench/pages.py: the dev settings with DEBUG off, as production serves pages.

Static files are served from the finders without the hashed manifest, so the benchmark does not
depend on a successful `collectstatic` (it fetches HTML pages only, never static files).
"""

from config.settings.dev import *  # noqa: F403
from config.settings.dev import STORAGES

DEBUG = False
STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
WHITENOISE_USE_FINDERS = True
