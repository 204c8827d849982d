"""Fixed-window counters in the cache, shared by every process when the cache is Redis; and a pacer
for one connection's messages."""

from __future__ import annotations

import contextlib
import hashlib
import time
from collections.abc import Callable

from django.core.cache import cache


def _key(scope: str, ident: str) -> str:
    digest = hashlib.sha256(ident.encode()).hexdigest()[:32]
    return f"rl:{scope}:{digest}"


def hits(scope: str, ident: str) -> int:
    try:
        return int(cache.get(_key(scope, ident), 0))
    except Exception:  # a dead cache must not lock everybody out
        return 0


def hit(scope: str, ident: str, *, window: int) -> int:
    key = _key(scope, ident)
    try:
        if cache.add(key, 1, timeout=window):
            return 1
        return cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=window)
        return 1
    except Exception:
        return 0


def reset(scope: str, ident: str) -> None:
    # A dead cache has nothing to reset.
    with contextlib.suppress(Exception):
        cache.delete(_key(scope, ident))


def is_limited(scope: str, ident: str, *, limit: int) -> bool:
    return hits(scope, ident) >= limit


class Pacer:
    """A token bucket for one connection: `count` messages at once, then one every window/count seconds.

    `wait()` takes the next message's token and says how long to hold the message first, so a burst
    is spread out instead of refused: when the server itself stalls, a user's messages arrive
    together through no fault of theirs, and they must neither be lost nor cost the connection.
    """

    def __init__(self, *, count: int, window: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.capacity = float(count)
        self.interval = window / count
        self.tokens = float(count)
        self.clock = clock
        self.updated = clock()

    def wait(self) -> float:
        now = self.clock()
        self.tokens = min(self.capacity, self.tokens + (now - self.updated) / self.interval)
        self.updated = now
        self.tokens -= 1
        return 0.0 if self.tokens >= 0 else -self.tokens * self.interval
