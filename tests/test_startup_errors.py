"""A wrong or unreachable setting stops manage.py and Daphne with one line that names it.

The line must name the variable, must not leak a password and must not be a traceback:
it is what an operator reads in a service log.
"""

from __future__ import annotations

import base64
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support import REPO_ROOT, SUBPROCESS_TIMEOUT, free_port, subprocess_env

EXIT_CONFIG = 78


def run(argv: list[str], **env: str | None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *argv],
        cwd=REPO_ROOT,
        env=subprocess_env(**env),
        capture_output=True,
        text=True,
        timeout=SUBPROCESS_TIMEOUT,
        stdin=subprocess.DEVNULL,
    )


def manage(*args: str, **env: str | None) -> subprocess.CompletedProcess[str]:
    # manage.py's own default settings (dev), as an operator runs it.
    env.setdefault("DJANGO_SETTINGS_MODULE", None)
    return run(["manage.py", *args], **env)


def assert_one_line_naming(result: subprocess.CompletedProcess[str], variable: str) -> str:
    lines = result.stderr.strip().splitlines()
    report = f"exit {result.returncode}\nstdout:\n{result.stdout}\nstderr:\n{result.stderr}"
    assert result.returncode != 0, report
    assert len(lines) == 1, report
    assert "Traceback" not in result.stderr, report
    assert variable in lines[0], report
    return lines[0]


@pytest.fixture
def scratch_db(tmp_path: Path) -> str:
    """A SQLite URL in a scratch folder, so a failing start-up never touches var/."""
    return f"sqlite:///{tmp_path / 'scratch.sqlite3'}"


def test_unreachable_database_is_named_without_its_password():
    result = manage("showmigrations", DATABASE_URL="postgres://nobody:secret@127.0.0.1:1/nowhere")

    line = assert_one_line_naming(result, "DATABASE_URL")
    assert result.returncode == EXIT_CONFIG
    assert "secret" not in result.stderr + result.stdout
    assert "127.0.0.1:1" in line  # which server it tried, so the operator can tell


def test_unsupported_database_scheme():
    result = manage("migrate", DATABASE_URL="mysql://x@y/z")

    line = assert_one_line_naming(result, "DATABASE_URL")
    assert "mysql" in line


def test_unreachable_redis(scratch_db):
    result = manage("showmigrations", DATABASE_URL=scratch_db, REDIS_URL="redis://127.0.0.1:1/0")

    assert_one_line_naming(result, "REDIS_URL")


def test_malformed_redis_url(scratch_db):
    result = manage("showmigrations", DATABASE_URL=scratch_db, REDIS_URL="notaurl")

    assert_one_line_naming(result, "REDIS_URL")


def test_malformed_boolean(scratch_db):
    result = manage("showmigrations", DATABASE_URL=scratch_db, DEBUG="maybe")

    line = assert_one_line_naming(result, "DEBUG")
    assert "maybe" in line


def test_malformed_number(scratch_db):
    result = manage("showmigrations", DATABASE_URL=scratch_db, LOGIN_FAILURE_LIMIT="five")

    assert_one_line_naming(result, "LOGIN_FAILURE_LIMIT")


@pytest.mark.daphne
def test_daphne_stops_with_one_line_on_an_unreachable_database():
    port = free_port()
    result = run(
        ["-m", "daphne", "-b", "127.0.0.1", "-p", str(port), "config.asgi:application"],
        DATABASE_URL="postgres://nobody:secret@127.0.0.1:1/nowhere",
        DJANGO_SETTINGS_MODULE=None,  # config.asgi's own default (production), as an operator starts it
        SECRET_KEY=secrets.token_urlsafe(45),
        FIELD_ENCRYPTION_KEY=base64.urlsafe_b64encode(os.urandom(32)).decode(),
        ALLOWED_HOSTS="example.org",
    )

    assert_one_line_naming(result, "DATABASE_URL")
    assert result.returncode == EXIT_CONFIG
    assert "secret" not in result.stderr + result.stdout


PROD = "config.settings.prod"
FIELD_KEY = "cHJvZC10ZXN0LWZpZWxkLWtleS1mb3ItY2hlY2tzLi4="


@pytest.mark.parametrize("entry", ["config.asgi", "config.wsgi"])
@pytest.mark.parametrize("key", [None, "dev-only-insecure-key-change-me-in-production-3b9f1c"])
def test_a_bare_server_runs_production_settings_and_wants_a_real_key(scratch_db, entry, key):
    """Started without DJANGO_SETTINGS_MODULE, a server must not come up with DEBUG on and a public key."""
    result = run(["-c", f"import {entry}"], DJANGO_SETTINGS_MODULE=None, SECRET_KEY=key, DATABASE_URL=scratch_db)

    assert_one_line_naming(result, "SECRET_KEY")
    assert result.returncode == EXIT_CONFIG


def test_the_demo_generates_its_own_key_once(tmp_path):
    """No key ships in the repository: the dev settings make one on first run and keep it."""
    show = ["-c", "from django.conf import settings; print(settings.SECRET_KEY)"]
    env = {"DJANGO_SETTINGS_MODULE": "config.settings.dev", "SECRET_KEY": None, "VAR_DIR": str(tmp_path)}
    first, again = run(show, **env), run(show, **env)
    key = first.stdout.strip()
    assert len(key) >= 50 and again.stdout.strip() == key, first.stderr
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0  # its owner's only


def test_production_settings_pass_the_deployment_checklist(scratch_db):
    result = manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DJANGO_SETTINGS_MODULE=PROD,
        SECRET_KEY=secrets.token_urlsafe(45),
        FIELD_ENCRYPTION_KEY=FIELD_KEY,
        ALLOWED_HOSTS="example.org",
        DATABASE_URL=scratch_db,
    )

    assert result.returncode == 0, f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}"


def test_production_refuses_to_start_without_a_secret_key(scratch_db):
    result = manage("check", DJANGO_SETTINGS_MODULE=PROD, ALLOWED_HOSTS="example.org", DATABASE_URL=scratch_db)

    assert_one_line_naming(result, "SECRET_KEY")


def test_production_refuses_to_start_without_a_field_encryption_key(scratch_db):
    result = manage(
        "check",
        DJANGO_SETTINGS_MODULE=PROD,
        SECRET_KEY=secrets.token_urlsafe(45),
        ALLOWED_HOSTS="example.org",
        DATABASE_URL=scratch_db,
    )

    assert_one_line_naming(result, "FIELD_ENCRYPTION_KEY")


def test_a_malformed_field_encryption_key_is_named(scratch_db):
    result = manage("check", FIELD_ENCRYPTION_KEY="too-short", DATABASE_URL=scratch_db)

    line = assert_one_line_naming(result, "FIELD_ENCRYPTION_KEY")
    assert "too-short" not in line


def test_the_embedded_default_makes_and_keeps_its_own_field_key(tmp_path, scratch_db):
    var = tmp_path / "var"
    first = manage("check", VAR_DIR=str(var), DATABASE_URL=scratch_db, FIELD_ENCRYPTION_KEY=None)
    assert first.returncode == 0, first.stderr
    key_file = var / "field-encryption.key"
    key = key_file.read_text()
    assert oct(key_file.stat().st_mode & 0o777) == "0o600"
    again = manage("check", VAR_DIR=str(var), DATABASE_URL=scratch_db, FIELD_ENCRYPTION_KEY=None)
    assert again.returncode == 0 and key_file.read_text() == key
