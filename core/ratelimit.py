"""Fixed-window counters in the cache, shared by every process when the cache is Redis."""

from __future__ import annotations

import contextlib
import hashlib

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
