"""Every setting the code reads is declared in config/settings/base.py, with its one default there.

A setting read as `getattr(settings, "X", default)` and declared nowhere is a setting nobody knows
about, and two such reads soon disagree on the default (the live relay socket once had two). The
names are taken from the source with `ast`: a new `settings.X` fails this test until base.py (or
Django itself) declares X.
"""

from __future__ import annotations

import ast
from pathlib import Path

from django.conf import global_settings

import config.settings.base as base
from tests.support import REPO_ROOT

SKIPPED_DIRS = {".venv", "var", "node_modules", "tests", "migrations", "bench"}


def project_sources() -> list[Path]:
    files = []
    for path in sorted(REPO_ROOT.rglob("*.py")):
        parts = set(path.relative_to(REPO_ROOT).parts[:-1])
        if parts & SKIPPED_DIRS or path.name.startswith("test_") or path.name == "conftest.py":
            continue
        if path.relative_to(REPO_ROOT).parts[:2] == ("config", "settings"):
            continue
        files.append(path)
    return files


def _is_settings(node: ast.AST) -> bool:
    return isinstance(node, ast.Name) and node.id in {"settings", "django_settings"}


def settings_reads(source: str) -> tuple[set[str], list[str]]:
    """(names read as settings.X or getattr(settings, "X"), getattr calls that carry a default)."""
    names: set[str] = set()
    defaulted: list[str] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Attribute) and _is_settings(node.value) and node.attr.isupper():
            names.add(node.attr)
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id == "getattr"
            and len(node.args) >= 2
            and _is_settings(node.args[0])
            and isinstance(node.args[1], ast.Constant)
            and isinstance(node.args[1].value, str)
        ):
            names.add(node.args[1].value)
            if len(node.args) == 3:
                defaulted.append(node.args[1].value)
    return names, defaulted


def test_the_scan_finds_reads_and_defaults():
    names, defaulted = settings_reads(
        "from django.conf import settings\nsettings.A_B\ngetattr(settings, 'C', 1)\nsettings.configure()"
    )
    assert names == {"A_B", "C"} and defaulted == ["C"]


def test_every_setting_read_is_declared_once_with_its_default():
    undeclared: dict[str, list[str]] = {}
    defaults: list[str] = []
    for path in project_sources():
        names, defaulted = settings_reads(path.read_text())
        where = str(path.relative_to(REPO_ROOT))
        defaults += [f"{where}: {name}" for name in defaulted]
        for name in names:
            if not hasattr(base, name) and not hasattr(global_settings, name):
                undeclared.setdefault(name, []).append(where)
    assert not undeclared, f"settings read but not declared in config/settings/base.py: {undeclared}"
    # CONFIG_ERROR is set by base.py itself only when a value is malformed: read with a default on purpose.
    defaults = [d for d in defaults if not d.endswith(": CONFIG_ERROR")]
    assert not defaults, f"declare these in base.py and read them plainly (a second default drifts): {defaults}"
