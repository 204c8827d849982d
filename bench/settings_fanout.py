"""Settings for bench/fanout.py: the dev settings with DEBUG off and no chat rate limit (one host
posts every 100 ms, or faster in the saturation phase)."""

from config.settings.dev import *  # noqa: F403

DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1"]
STREAMING_CHAT_RATE = (1_000_000, 1)
# Keep database connections open as production does on PostgreSQL (config/env.py: 60 s); the
# embedded SQLite default reopens one per query batch, which would dominate thousands of joins.
DATABASES["default"]["CONN_MAX_AGE"] = 60  # noqa: F405
LOGGING = {"version": 1, "disable_existing_loggers": False, "root": {"level": "WARNING"}}
