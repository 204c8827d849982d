"""What /healthz reports: each part of the platform, checked for real, with no secrets."""

from __future__ import annotations

import time
import uuid

from asgiref.sync import async_to_sync
from django.conf import settings
from django.core.cache import cache
from django.db import connection

from core.ffmpeg import ffmpeg_binary, ffmpeg_version
from core.layers import subscriptions_report


def _timed(check) -> dict:
    started = time.perf_counter()
    try:
        result = check()
        result.setdefault("ok", True)
    except Exception as exc:
        result = {"ok": False, "error": f"{type(exc).__name__}: {exc}"[:300]}
    result["ms"] = round((time.perf_counter() - started) * 1000, 1)
    return result


def check_database() -> dict:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return {"vendor": connection.vendor}


def check_cache() -> dict:
    key = f"healthz:{uuid.uuid4().hex}"
    cache.set(key, "1", timeout=10)
    ok = cache.get(key) == "1"
    cache.delete(key)
    return {"ok": ok, "backend": str(settings.CACHES["default"]["BACKEND"]).rsplit(".", 1)[-1]}


def check_channel_layer() -> dict:
    from channels.layers import get_channel_layer

    layer = get_channel_layer()
    if layer is None:
        return {"ok": False, "error": "no channel layer configured"}

    async def roundtrip() -> bool:
        import asyncio

        # The default prefix on purpose: channels-redis reads all of a process's "specific." channels
        # through whichever receiver holds its receive lock (a live hub's, for as long as it runs), so
        # a channel named otherwise would never be read while sockets are open and the check timed out.
        channel = await layer.new_channel()
        await layer.send(channel, {"type": "healthz.ping"})
        message = await asyncio.wait_for(layer.receive(channel), timeout=3)
        return message.get("type") == "healthz.ping"

    return {"ok": async_to_sync(roundtrip)(), "backend": type(layer).__name__}


def check_push() -> dict:
    """Whether this process still receives pushes: each of its subscriptions (a live event's hub, the
    sign-out registry) holds its groups. The round trip above can succeed while they are lost (a Redis
    restarted empty), so this reads the real state; a process without sockets has none and is fine."""
    return subscriptions_report()


def check_tasks() -> dict:
    backend = settings.TASKS["default"]["BACKEND"]
    result: dict = {"backend": backend.rsplit(".", 1)[-1]}
    if backend.startswith("django_tasks_db"):
        from django_tasks_db.models import DBTaskResult

        result["ready"] = DBTaskResult.objects.filter(status="READY").count()
        result["failed"] = DBTaskResult.objects.filter(status="FAILED").count()
    return result


def check_ffmpeg() -> dict:
    binary = ffmpeg_binary()
    if not binary:
        # Missing ffmpeg degrades media features only; the site itself is healthy.
        return {"ok": True, "status": "missing"}
    version = ffmpeg_version()
    return {"ok": True, "status": "found" if version else "broken", "version": version}


_app_checks: dict = {}


def register_check(name: str, check) -> None:
    """An app's own line in /healthz (`check()` returns a dict; "ok" defaults to true). Called from
    the app's ready(), so core never imports the apps."""
    _app_checks[name] = check


def health_report() -> dict:
    checks = {
        "database": _timed(check_database),
        "cache": _timed(check_cache),
        "channel_layer": _timed(check_channel_layer),
        "push": _timed(check_push),
        "tasks": _timed(check_tasks),
        "ffmpeg": _timed(check_ffmpeg),
        **{name: _timed(check) for name, check in _app_checks.items()},
    }
    return {"ok": all(c["ok"] for c in checks.values()), "checks": checks}
