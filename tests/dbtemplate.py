"""Migrate once, copy for every test process.

Migrating from nothing (Wagtail's, machina's and ours) takes 40–100 s of CPU, and every pytest
process (each xdist worker, each `pytest file` while developing) used to pay it. Instead the first
process migrates a template database; every process then copies it (a file copy on SQLite,
`CREATE DATABASE … TEMPLATE` on PostgreSQL) and lets Django check it with keepdb, which finds
nothing to apply.

The template's name carries a hash of everything migrating depends on: every migration file, the
project modules they import (core.crypto, core.validators …), the pinned requirements and the
database engine. Change any of them and the next run builds a new template; a stale one is never
used. SQLite templates live in var/cache/test-db/ of the checkout; PostgreSQL templates are
databases named `tpl_<database>_<hash>` on the server, older ones dropped when a new one is built.

Tests that need the demo (`seed_demo` at a small scale, about 35 s of work) get the same treatment:
the first one seeds a copy of the migrated template in a subprocess, which becomes a second
template (`demo-<hash>.sqlite3`, `tpd_<database>_<hash>`) beside the media files the demo wrote;
each test module that asks for the demo then works on its own copy of it (`demo_database`). Its
hash adds the project's code (everything but the tests) to the migration hash: the demo is what
the code makes, so any change of the code seeds a new one (and so does a new day).
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import re
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

from django.conf import settings
from django.db import connections
from django.utils import timezone

from tests.support import subprocess_database_url, subprocess_env

BASE_DIR = Path(__file__).resolve().parent.parent
CACHE_DIR = BASE_DIR / "var" / "cache" / "test-db"
_IMPORT = re.compile(r"^\s*(?:from|import)\s+([\w.]+)", re.MULTILINE)


def migration_state_key(vendor: str, base_dir: Path = BASE_DIR) -> str:
    """A hash of what a migrated database depends on."""
    digest = hashlib.sha256(vendor.encode())
    migration_files = sorted(
        path
        for top in base_dir.iterdir()
        if top.is_dir() and not top.name.startswith(".") and top.name not in {"var", "node_modules"}
        for path in top.glob("**/migrations/*.py")
    )
    imported: set[Path] = set()
    for path in migration_files:
        for module in _IMPORT.findall(path.read_text(encoding="utf-8")):
            candidate = base_dir / Path(*module.split("."))
            for file in (candidate.with_suffix(".py"), candidate / "__init__.py"):
                if file.is_file():
                    imported.add(file)
    for path in [*migration_files, *sorted(imported), base_dir / "requirements.lock"]:
        digest.update(str(path.relative_to(base_dir)).encode())
        digest.update(path.read_bytes() if path.exists() else b"")
    return digest.hexdigest()[:16]


def demo_state_key(vendor: str, scale: float, base_dir: Path = BASE_DIR) -> str:
    """A hash of what the demo database depends on: the migrated state, the scale, the project's code
    (every module outside the tests, and every file of the apps' demo packages) and the day, since the
    demo's dates are relative to the day it is made (visits in the last year, an upcoming event)."""
    key = f"{migration_state_key(vendor, base_dir)}:{scale!r}:{timezone.localdate().isoformat()}"
    digest = hashlib.sha256(key.encode())
    sources = sorted(
        path
        for top in base_dir.iterdir()
        if top.is_dir() and not top.name.startswith(".") and top.name not in {"var", "node_modules", "tests", "bench"}
        for path in top.rglob("*")
        if path.is_file()
        and "__pycache__" not in path.parts
        and "tests" not in path.relative_to(base_dir).parts
        and (path.suffix == ".py" or "demo" in path.relative_to(base_dir).parts)
    )
    for path in sources:
        digest.update(str(path.relative_to(base_dir)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


@contextlib.contextmanager
def _locked(name: str) -> Iterator[None]:
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    with open(CACHE_DIR / f"{name}.lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _migrate(database_url: str) -> None:
    env = subprocess_env(DATABASE_URL=database_url, REDIS_URL=None)
    result = subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    if result.returncode:
        raise RuntimeError(f"migrating the test template failed:\n{result.stdout}\n{result.stderr}")


def _seed(database_url: str, media_root: Path, scale: float) -> None:
    """`seed_demo` on `database_url`, writing its media files under `media_root`."""
    env = subprocess_env(
        DATABASE_URL=database_url,
        REDIS_URL=None,
        MEDIA_ROOT=str(media_root),
        LIVE_MEDIA_ROOT=None,
        DEMO_PASSWORD=None,  # the demo's documented default password, which the tests sign in with
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "seed_demo", "--scale", repr(scale), "-v", "0"],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    if result.returncode:
        raise RuntimeError(f"seeding the demo test template failed:\n{result.stdout}\n{result.stderr}")


def _fold_wal(path: Path) -> None:
    """Make an SQLite database one self-contained file (a copy of it is then the whole database)."""
    with contextlib.closing(sqlite3.connect(path)) as db:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        db.execute("PRAGMA journal_mode=DELETE")
    for suffix in ("-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def _sqlite_template(key: str) -> Path:
    template = CACHE_DIR / f"template-{key}.sqlite3"
    if template.exists():
        return template
    building = template.with_suffix(f".{os.getpid()}.tmp")
    building.unlink(missing_ok=True)
    _migrate(f"sqlite:///{building}")
    _fold_wal(building)
    for old in CACHE_DIR.glob("template-*.sqlite3"):
        old.unlink(missing_ok=True)
    building.rename(template)
    return template


def _copy_sqlite(template: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{target}{suffix}").unlink(missing_ok=True)
    shutil.copyfile(template, target)


def _clone_sqlite(key: str, test_name: str) -> None:
    with _locked("sqlite"):
        template = _sqlite_template(key)
    _copy_sqlite(template, Path(test_name))


def _clone_sqlite_demo(key: str, demo_key: str, scale: float, target: Path) -> Path:
    """Copy the demo template to `target`, seeding it first if needed; returns its media directory."""
    template = CACHE_DIR / f"demo-{demo_key}.sqlite3"
    media = CACHE_DIR / f"demo-{demo_key}.media"
    # Held while copying too: a run with other code may replace the template meanwhile.
    with _locked("sqlite-demo"):
        if not template.exists():
            building = template.with_suffix(f".{os.getpid()}.tmp")
            building_media = media.with_suffix(f".{os.getpid()}.media-tmp")
            shutil.rmtree(building_media, ignore_errors=True)
            with _locked("sqlite"):
                _copy_sqlite(_sqlite_template(key), building)
            _seed(f"sqlite:///{building}", building_media, scale)
            _fold_wal(building)
            for old in [*CACHE_DIR.glob("demo-*.sqlite3"), *CACHE_DIR.glob("demo-*.media")]:
                shutil.rmtree(old, ignore_errors=True) if old.is_dir() else old.unlink(missing_ok=True)
            building_media.mkdir(parents=True, exist_ok=True)
            building_media.rename(media)
            building.rename(template)  # last: a template that exists is complete, media included
        _copy_sqlite(template, target)
    return media


def _postgres_admin(alias: str):
    """A connection to the server's maintenance database, outside any test database."""
    return connections[alias]._nodb_cursor()


# The configured database names (before the test runner renames them), which name the templates.
_configured_names: dict[str, str] = {}


def _postgres_base(alias: str) -> str:
    name = _configured_names.setdefault(alias, connections[alias].settings_dict["NAME"])
    return re.sub(r"\W", "_", name)[:30]


def _postgres_template(alias: str, key: str, cursor) -> str:
    """The migrated template's name, migrating it first if needed (under the base's lock)."""
    base = _postgres_base(alias)
    template = f"tpl_{base}_{key}"
    cursor.execute("SELECT datname FROM pg_database WHERE datname LIKE %s", [f"tpl\\_{base}\\_%"])
    existing = {row[0] for row in cursor.fetchall()}
    if template not in existing:
        building = f"tmp_{base}_{key}_{os.getpid()}"
        cursor.execute(f'DROP DATABASE IF EXISTS "{building}"')
        cursor.execute(f'CREATE DATABASE "{building}"')
        try:
            _migrate(subprocess_database_url(building))
            cursor.execute(f'ALTER DATABASE "{building}" RENAME TO "{template}"')
        except Exception:
            cursor.execute(f'DROP DATABASE IF EXISTS "{building}"')
            raise
        for old in existing:  # templates of earlier migration states; one in use stays
            with contextlib.suppress(Exception):
                cursor.execute(f'DROP DATABASE IF EXISTS "{old}"')
    return template


def _clone_postgres(alias: str, key: str, test_name: str) -> None:
    with _locked(f"postgres-{_postgres_base(alias)}"), _postgres_admin(alias) as cursor:
        template = _postgres_template(alias, key, cursor)
        cursor.execute(f'DROP DATABASE IF EXISTS "{test_name}"')
        cursor.execute(f'CREATE DATABASE "{test_name}" TEMPLATE "{template}"')


def _clone_postgres_demo(alias: str, key: str, demo_key: str, scale: float, target: str) -> Path:
    """Create database `target` from the demo template, seeding it first if needed; returns its media."""
    base = _postgres_base(alias)
    template = f"tpd_{base}_{demo_key}"
    media = CACHE_DIR / f"{template}.media"
    # Held while copying too: a run with other code may replace the template meanwhile.
    with _locked(f"postgres-{base}-demo"), _postgres_admin(alias) as cursor:
        cursor.execute("SELECT datname FROM pg_database WHERE datname LIKE %s", [f"tpd\\_{base}\\_%"])
        existing = {row[0] for row in cursor.fetchall()}
        if template not in existing or not media.is_dir():
            building = f"tmpd_{base}_{demo_key}_{os.getpid()}"
            building_media = media.with_suffix(f".{os.getpid()}.media-tmp")
            shutil.rmtree(building_media, ignore_errors=True)
            with _locked(f"postgres-{base}"):
                migrated = _postgres_template(alias, key, cursor)
                cursor.execute(f'DROP DATABASE IF EXISTS "{building}"')
                cursor.execute(f'CREATE DATABASE "{building}" TEMPLATE "{migrated}"')
            try:
                _seed(subprocess_database_url(building), building_media, scale)
            except Exception:
                cursor.execute(f'DROP DATABASE IF EXISTS "{building}"')
                raise
            for old in existing:  # demo templates of earlier code; one in use stays
                with contextlib.suppress(Exception):
                    cursor.execute(f'DROP DATABASE IF EXISTS "{old}"')
                    shutil.rmtree(CACHE_DIR / f"{old}.media", ignore_errors=True)
            building_media.mkdir(parents=True, exist_ok=True)
            shutil.rmtree(media, ignore_errors=True)
            building_media.rename(media)
            cursor.execute(f'ALTER DATABASE "{building}" RENAME TO "{template}"')
        cursor.execute(f'DROP DATABASE IF EXISTS "{target}"')
        cursor.execute(f'CREATE DATABASE "{target}" TEMPLATE "{template}"')
    return media


def prepare_test_databases(aliases: set[str]) -> None:
    """Put a migrated copy of the template where each alias's test database will be."""
    for alias in aliases:
        connection = connections[alias]
        _configured_names.setdefault(alias, connection.settings_dict["NAME"])
        test_name = connection.creation._get_test_db_name()
        key = migration_state_key(connection.vendor)
        if connection.vendor == "sqlite":
            if connection.creation.is_in_memory_db(test_name):
                continue
            _clone_sqlite(key, test_name)
        elif connection.vendor == "postgresql":
            _clone_postgres(alias, key, test_name)
        connection.close()


@contextlib.contextmanager
def demo_database(*, scale: float, alias: str = "default") -> Iterator[None]:
    """Within the block, `alias` works on a fresh copy of the demo at `scale` (made once per state of the
    code, see demo_state_key), and MEDIA_ROOT holds the demo's files; then the test database is back.
    Call it outside any transaction (a module- or session-scoped fixture)."""
    connection = connections[alias]
    test_name = connection.settings_dict["NAME"]
    key = migration_state_key(connection.vendor)
    demo_key = demo_state_key(connection.vendor, scale)
    if connection.vendor == "sqlite":
        if connection.creation.is_in_memory_db(test_name):
            raise RuntimeError("the demo template needs a file-based SQLite test database")
        path = Path(test_name)
        copy: str | Path = path.with_name(f"{path.stem}-demo{path.suffix}")
        media = _clone_sqlite_demo(key, demo_key, scale, Path(copy))
    elif connection.vendor == "postgresql":
        copy = f"{test_name}_demo"[:63]
        media = _clone_postgres_demo(alias, key, demo_key, scale, copy)
    else:
        raise RuntimeError(f"no demo template for the {connection.vendor} backend")
    shutil.copytree(media, settings.MEDIA_ROOT, dirs_exist_ok=True)
    _switch_database(alias, copy)
    try:
        yield
    finally:
        _switch_database(alias, test_name)
        if connection.vendor == "sqlite":
            for suffix in ("", "-wal", "-shm"):
                Path(f"{copy}{suffix}").unlink(missing_ok=True)
        else:
            with _postgres_admin(alias) as cursor:
                cursor.execute(f'DROP DATABASE IF EXISTS "{copy}" WITH (FORCE)')


def _switch_database(alias: str, name: str | Path) -> None:
    """Point `alias` at database `name` (as the test runner does when it creates the test database)."""
    connection = connections[alias]
    connection.close()
    settings.DATABASES[alias]["NAME"] = connection.settings_dict["NAME"] = name
