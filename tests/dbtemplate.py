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

from django.db import connections

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


def _sqlite_template(key: str) -> Path:
    template = CACHE_DIR / f"template-{key}.sqlite3"
    if template.exists():
        return template
    building = template.with_suffix(f".{os.getpid()}.tmp")
    building.unlink(missing_ok=True)
    _migrate(f"sqlite:///{building}")
    with contextlib.closing(sqlite3.connect(building)) as db:  # fold the WAL in: one self-contained file
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        db.execute("PRAGMA journal_mode=DELETE")
    for suffix in ("-wal", "-shm"):
        Path(f"{building}{suffix}").unlink(missing_ok=True)
    for old in CACHE_DIR.glob("template-*.sqlite3"):
        old.unlink(missing_ok=True)
    building.rename(template)
    return template


def _clone_sqlite(key: str, test_name: str) -> None:
    with _locked("sqlite"):
        template = _sqlite_template(key)
    target = Path(test_name)
    target.parent.mkdir(parents=True, exist_ok=True)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{target}{suffix}").unlink(missing_ok=True)
    shutil.copyfile(template, target)


def _postgres_admin(alias: str):
    """A connection to the server's maintenance database, outside any test database."""
    return connections[alias]._nodb_cursor()


def _clone_postgres(alias: str, key: str, test_name: str) -> None:
    settings_dict = connections[alias].settings_dict
    base = re.sub(r"\W", "_", settings_dict["NAME"])[:30]
    template = f"tpl_{base}_{key}"
    with _locked(f"postgres-{base}"), _postgres_admin(alias) as cursor:
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
        cursor.execute(f'DROP DATABASE IF EXISTS "{test_name}"')
        cursor.execute(f'CREATE DATABASE "{test_name}" TEMPLATE "{template}"')


def prepare_test_databases(aliases: set[str]) -> None:
    """Put a migrated copy of the template where each alias's test database will be."""
    for alias in aliases:
        connection = connections[alias]
        test_name = connection.creation._get_test_db_name()
        key = migration_state_key(connection.vendor)
        if connection.vendor == "sqlite":
            if connection.creation.is_in_memory_db(test_name):
                continue
            _clone_sqlite(key, test_name)
        elif connection.vendor == "postgresql":
            _clone_postgres(alias, key, test_name)
        connection.close()
