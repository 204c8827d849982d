"""Settings from the environment, with one clear line when a value is wrong.

Every variable is optional: with none set the site runs on the embedded default
(SQLite, in-memory channel layer, database task queue, local-memory cache).
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import dj_database_url


class ConfigError(Exception):
    """A setting from the environment is malformed or its service unreachable."""


def mask_url(url: str) -> str:
    """The URL with its password replaced, safe to print."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "<unparseable>"
    if parts.password:
        netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
        return urlunsplit(parts._replace(netloc=netloc))
    return url


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ConfigError(f"{name}={raw!r} is not a boolean (use 1/0, true/false, yes/no, on/off)")


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return int(raw.strip())
    except ValueError:
        raise ConfigError(f"{name}={raw!r} is not a whole number") from None


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if not raw:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def database_config(base_dir: Path) -> dict:
    """DATABASE_URL → Django DATABASES['default']; SQLite file when unset."""
    raw = os.environ.get("DATABASE_URL", "").strip()
    if not raw:
        return {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(base_dir / "var" / "db.sqlite3"),
            "OPTIONS": {"timeout": 20, "transaction_mode": "IMMEDIATE", "init_command": "PRAGMA journal_mode=WAL;"},
        }
    scheme = urlsplit(raw).scheme
    if scheme not in {"postgres", "postgresql", "pgsql", "sqlite"}:
        raise ConfigError(
            f"DATABASE_URL={mask_url(raw)} has unsupported scheme {scheme!r}; "
            "use postgres://user:password@host:5432/name or sqlite:///path/to/db.sqlite3"
        )
    try:
        config = dj_database_url.parse(raw, conn_max_age=60, conn_health_checks=True)
    except Exception as exc:  # dj_database_url raises several types for bad input
        raise ConfigError(f"DATABASE_URL={mask_url(raw)} is malformed: {exc}") from None
    if config["ENGINE"].endswith("sqlite3"):
        config["CONN_MAX_AGE"] = 0
        config["OPTIONS"] = {"timeout": 20, "transaction_mode": "IMMEDIATE", "init_command": "PRAGMA journal_mode=WAL;"}
    elif not config.get("NAME"):
        raise ConfigError(f"DATABASE_URL={mask_url(raw)} names no database (…/dbname)")
    else:
        config.setdefault("OPTIONS", {})["connect_timeout"] = 5
    return config


def redis_url() -> str | None:
    raw = os.environ.get("REDIS_URL", "").strip()
    if not raw:
        return None
    parts = urlsplit(raw)
    if parts.scheme not in {"redis", "rediss", "unix"} or (parts.scheme != "unix" and not parts.hostname):
        raise ConfigError(f"REDIS_URL={mask_url(raw)} is malformed; use redis://host:6379/0")
    try:
        parts.port  # noqa: B018 — raises ValueError on a bad port
    except ValueError:
        raise ConfigError(f"REDIS_URL={mask_url(raw)} has an invalid port") from None
    return raw
