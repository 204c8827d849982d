"""Settings for bench/fanout.py: the dev settings with DEBUG off and no chat rate limit (one host
posts every 100 ms, or faster in the saturation phase)."""

import os

from config.settings.dev import *  # noqa: F403

DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1"]
STREAMING_CHAT_RATE = (1_000_000, 1)
# Keep database connections open as production does on PostgreSQL (config/env.py: 60 s); the
# embedded SQLite default reopens one per query batch, which would dominate thousands of joins.
DATABASES["default"]["CONN_MAX_AGE"] = 60  # noqa: F405
LOGGING = {"version": 1, "disable_existing_loggers": False, "root": {"level": "WARNING"}}

# The pubsub baseline (bench/fanout.py --kinds …,pubsub): channels-redis's other layer, Redis PUBLISH /
# SUBSCRIBE instead of the core layer's lists, for the naive consumer.
if os.environ.get("BENCH_PUBSUB") == "1":
    CHANNEL_LAYERS = {  # noqa: F405
        "default": {
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {"hosts": [REDIS_URL], "prefix": os.environ.get("CHANNEL_PREFIX", "asgi")},  # noqa: F405
        }
    }
