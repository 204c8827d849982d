"""Start-up checks: a wrong or unreachable service URL stops the process with one line."""

from __future__ import annotations

import sys

from config.env import mask_url

EXIT_CONFIG = 78  # EX_CONFIG from sysexits.h


def fail(message: str) -> None:
    sys.stderr.write(f"配置错误 / configuration error: {message}\n")
    sys.stderr.flush()
    raise SystemExit(EXIT_CONFIG)


def setup() -> None:
    """django.setup(), then verify_settings().

    A variable read with env_bool/env_int at the top of a settings module raises ConfigError
    while the settings are imported; without this it would surface as a traceback.
    """
    import django

    from config.env import ConfigError

    try:
        django.setup()
    except ConfigError as exc:
        fail(str(exc))
    verify_settings()


def verify_settings() -> None:
    """Report a malformed variable found while the settings were read."""
    from django.conf import settings

    if getattr(settings, "CONFIG_ERROR", None):
        fail(str(settings.CONFIG_ERROR))


def verify_services() -> None:
    """Connect once to the database and Redis, naming the variable that points at a dead one."""
    import os

    from django.conf import settings
    from django.db import connection
    from django.db.utils import Error as DatabaseError

    try:
        connection.ensure_connection()
    except DatabaseError as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        target = os.environ.get("DATABASE_URL") or f"sqlite:///{settings.DATABASES['default']['NAME']}"
        fail(f"DATABASE_URL={mask_url(target)} is unreachable: {reason}")
    if settings.REDIS_URL:
        import redis

        try:
            redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=3, socket_timeout=3).ping()
        except (OSError, redis.RedisError) as exc:
            fail(f"REDIS_URL={mask_url(settings.REDIS_URL)} is unreachable: {exc}")
