"""Settings from the environment, with one clear line when a value is wrong.

Every variable is optional: with none set the site runs on the embedded default
(SQLite, in-memory channel layer, database task queue, local-memory cache).
"""

from __future__ import annotations

import base64
import ipaddress
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, cast
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


def env_choice(name: str, default: str, choices: tuple[str, ...]) -> str:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    value = raw.strip().lower()
    if value not in choices:
        raise ConfigError(f"{name}={raw!r} is not one of {', '.join(choices)}")
    return value


def tile_url(name: str) -> str:
    """A map tile URL template ({z}/{x}/{y}, optional {s}); empty means no tiles."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return ""
    if not raw.startswith(("https://", "http://", "/")) or not all(p in raw for p in ("{z}", "{x}", "{y}")):
        raise ConfigError(f"{name}={raw!r} must be an http(s) URL template with {{z}}, {{x}} and {{y}}")
    return raw


def env_networks(name: str) -> list[str]:
    """Comma-separated IP addresses or networks (10.0.0.5, 10.0.0.0/24, fd00::/8), normalised."""
    networks = []
    for entry in env_list(name, []):
        try:
            networks.append(str(ipaddress.ip_network(entry, strict=False)))
        except ValueError:
            raise ConfigError(
                f"{name}: {entry!r} is not an IP address or network (e.g. 10.0.0.5, 10.0.0.0/24)"
            ) from None
    return networks


def database_config(base_dir: Path) -> dict[str, Any]:
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
        config = cast(dict[str, Any], dj_database_url.parse(raw, conn_max_age=60, conn_health_checks=True))
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


def new_field_key() -> str:
    """A Fernet key for FIELD_ENCRYPTION_KEY (core/crypto.py)."""
    return base64.urlsafe_b64encode(os.urandom(32)).decode()


def field_key_is_valid(key: str) -> bool:
    try:
        return len(base64.urlsafe_b64decode(key.strip().encode())) == 32
    except (ValueError, TypeError):
        return False


def secret_file(path: Path, generate: Callable[[], str]) -> str:
    """A secret kept in a file under VAR_DIR for the embedded default: made on first run, read after.

    Never for production (prod settings require the variable); the file is created with mode 0600
    and is git-ignored with the rest of var/, so no key is ever committed.
    """
    try:
        value = path.read_text().strip()
    except FileNotFoundError:
        value = ""
    if value:
        return value
    path.parent.mkdir(parents=True, exist_ok=True)
    value = generate()
    # O_EXCL: two processes starting at once must not each write their own key.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as handle:
        handle.write(value + "\n")
    return value
