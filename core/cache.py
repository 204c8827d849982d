"""A Redis cache that degrades to "no cache" when Redis is down instead of failing requests.

Wagtail, the rate limits and the pages use the cache; none of them must take the site down with
Redis. After a failure the backend stays away from Redis for a few seconds (a simple circuit
breaker) so that every request does not wait for a connection timeout.
"""

from __future__ import annotations

import functools
import logging
import re
import time

from django.core.cache.backends.redis import RedisCache

logger = logging.getLogger(__name__)

RETRY_AFTER = 5.0

_FALLBACKS: dict[str, object] = {
    "add": False,
    "get": None,
    "set": None,
    "touch": False,
    "delete": False,
    "get_many": {},
    "has_key": False,
    "incr": None,
    "set_many": [],
    "delete_many": None,
    "clear": False,
}


class ResilientRedisCache(RedisCache):
    _down_until = 0.0

    def _guard(self, name: str, method):
        @functools.wraps(method)
        def wrapper(*args, **kwargs):
            fallback = _FALLBACKS[name]
            if name == "get":
                fallback = kwargs.get("default", args[1] if len(args) > 1 else None)
            if time.monotonic() < ResilientRedisCache._down_until:
                if name == "incr":
                    raise ValueError("cache unavailable")  # callers treat a missing key the same way
                return fallback
            try:
                return method(*args, **kwargs)
            except ValueError:
                raise  # incr on a missing key: part of the cache API, not an outage
            except Exception:
                ResilientRedisCache._down_until = time.monotonic() + RETRY_AFTER
                logger.warning("Redis cache unavailable; serving without cache for %.0f s", RETRY_AFTER, exc_info=True)
                if name == "incr":
                    raise ValueError("cache unavailable") from None
                return fallback

        return wrapper

    def clear(self) -> bool:  # type: ignore[override]  # as Django's RedisCache.clear (its stubs say None)
        """Delete this cache's own keys. Django's `clear()` is FLUSHDB: it would also empty the
        channel layer's groups sharing the database, another site's cache under another
        KEY_PREFIX, and in tests another worker's keys in the middle of its test."""
        client = self._cache.get_client(None, write=True)
        pattern = re.sub(r"([\\*?\[\]])", r"\\\1", self.key_prefix) + ":*"
        batch: list[bytes] = []
        for key in client.scan_iter(match=pattern, count=1000):
            batch.append(key)
            if len(batch) >= 500:
                client.unlink(*batch)
                batch.clear()
        if batch:
            client.unlink(*batch)
        return True

    def __getattribute__(self, name: str):
        attr = super().__getattribute__(name)
        if name in _FALLBACKS:
            return super().__getattribute__("_guard")(name, attr)
        return attr
