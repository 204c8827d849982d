"""The Redis cache's `clear()` empties its own keys only (Django's is FLUSHDB).

Runs when REDIS_URL is set (the PostgreSQL + Redis run); skipped on the embedded default.
"""

from __future__ import annotations

import os
import secrets

import pytest
import redis

from core.cache import ResilientRedisCache

REDIS_URL = os.environ.get("REDIS_URL", "")
pytestmark = pytest.mark.skipif(not REDIS_URL, reason="REDIS_URL is not set: this test needs a Redis server")


def _cache(prefix: str) -> ResilientRedisCache:
    return ResilientRedisCache(REDIS_URL, {"KEY_PREFIX": prefix})


def test_clear_keeps_other_prefixes_and_the_channel_layer():
    tag = secrets.token_hex(4)
    ours, theirs = _cache(f"ours{tag}[*]"), _cache(f"ours{tag}")  # glob characters are taken literally
    raw = redis.Redis.from_url(REDIS_URL)
    layer_key = f"asgi{tag}:group:chat"
    try:
        ours.set_many({f"k{i}": i for i in range(1200)})  # more than one SCAN page and one UNLINK batch
        theirs.set("k1", "kept")
        raw.zadd(layer_key, {"channel": 1})
        assert ours.clear() is True
        assert ours.get("k1") is None and ours.get("k1199") is None
        assert theirs.get("k1") == "kept"
        assert raw.exists(layer_key)
    finally:
        theirs.clear()
        raw.delete(layer_key)
    assert theirs.get("k1") is None
