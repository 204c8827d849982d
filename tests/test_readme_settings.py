"""The README's tables of environment variables name every variable the code reads, and nothing else.

An operator configures the site from the README alone, so a variable read in the settings (or by a
command an operator runs) but missing from the tables is a setting nobody knows how to set. The
names are taken from the source with `ast`, not from a list kept here: a new `env_int("X", …)` in
`config/settings/base.py` fails this test until the README has a row for `X`.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from tests.support import REPO_ROOT

README = REPO_ROOT / "README.md"
ENV_MODULE = REPO_ROOT / "config" / "env.py"
VARIABLE = re.compile(r"^[A-Z][A-Z0-9_]*$")


def sources_reading_the_environment() -> list[Path]:
    """Settings, the project package, manage.py and every management command an operator runs."""
    files = sorted((REPO_ROOT / "config").rglob("*.py"))
    files.append(REPO_ROOT / "manage.py")
    for app in sorted(REPO_ROOT.iterdir()):
        if app.is_dir() and not app.name.startswith(".") and app.name not in {"var", "tests", "bench"}:
            files += sorted(app.glob("**/management/commands/*.py"))
    return files


def env_helpers() -> set[str]:
    """Functions in config/env.py that read the variable named by their first argument (`name`)."""
    tree = ast.parse(ENV_MODULE.read_text())
    return {
        node.name
        for node in tree.body
        if isinstance(node, ast.FunctionDef) and node.args.args and node.args.args[0].arg == "name"
    }


def _is_os_environ(node: ast.AST) -> bool:
    return (
        isinstance(node, ast.Attribute)
        and node.attr == "environ"
        and isinstance(node.value, ast.Name)
        and node.value.id == "os"
    )


def _constant_name(node: ast.AST | None) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str) and VARIABLE.match(node.value):
        return node.value
    return None


def variables_read(source: str, helpers: set[str]) -> set[str]:
    """Names read by os.environ.get/setdefault/[...], os.getenv and the config.env helpers."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call) and node.args:
            func = node.func
            reads = (
                (isinstance(func, ast.Attribute) and func.attr in {"get", "setdefault"} and _is_os_environ(func.value))
                or (isinstance(func, ast.Attribute) and func.attr == "getenv" and getattr(func.value, "id", "") == "os")
                or (isinstance(func, ast.Name) and func.id in helpers)
            )
            name = _constant_name(node.args[0]) if reads else None
        elif isinstance(node, ast.Subscript) and isinstance(node.ctx, ast.Load) and _is_os_environ(node.value):
            name = _constant_name(node.slice)
        else:
            name = None
        if name:
            names.add(name)
    return names


def code_variables() -> dict[str, set[str]]:
    """Each variable the code reads → the files that read it."""
    helpers = env_helpers()
    found: dict[str, set[str]] = {}
    for path in sources_reading_the_environment():
        for name in variables_read(path.read_text(), helpers):
            found.setdefault(name, set()).add(str(path.relative_to(REPO_ROOT)))
    return found


def readme_variables(text: str) -> dict[str, list[str]]:
    """Variables in the first column of every README table headed `| variable | default | meaning |`,
    with the row's other cells (a row may name several variables: `` `A`, `B` ``)."""
    rows: dict[str, list[str]] = {}
    in_table = False
    for line in text.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")] if line.startswith("|") else []
        if cells[:3] == ["variable", "default", "meaning"]:
            in_table = True
            continue
        if not cells:
            in_table = False
            continue
        if in_table and not set(cells[0]) <= {"-", " "}:
            for name in re.findall(r"`([A-Z][A-Z0-9_]*)`", cells[0]):
                rows[name] = cells[1:]
    return rows


def test_the_scan_finds_what_the_settings_read():
    # If the scan broke (a renamed helper, a moved file) every later check would pass on nothing.
    found = code_variables()
    for name in ("DATABASE_URL", "REDIS_URL", "SECRET_KEY", "MAP_TILE_URL", "TRUSTED_PROXIES", "SECURE_SSL_REDIRECT"):
        assert name in found, name
    assert {"env_bool", "env_int", "env_list", "env_choice", "env_networks", "tile_url"} <= env_helpers()


def test_the_scan_sees_every_way_of_reading():
    source = (
        "import os\n"
        "A = os.environ.get('ONE', '')\n"
        "B = os.environ['TWO']\n"
        "os.environ.setdefault('THREE', 'x')\n"
        "C = env_int('FOUR', 1)\n"
        "D = os.getenv('FIVE')\n"
        "os.environ['WRITTEN_NOT_READ'] = 'x'\n"
        "E = other('NOT_AN_ENV_READ')\n"
    )
    assert variables_read(source, {"env_int"}) == {"ONE", "TWO", "THREE", "FOUR", "FIVE"}


def test_every_variable_the_code_reads_is_in_the_readme():
    documented = readme_variables(README.read_text())
    missing = {name: sorted(files) for name, files in code_variables().items() if name not in documented}
    assert not missing, (
        "environment variables read by the code but missing from the README's variable tables "
        f"(add a row with its default and meaning): {missing}"
    )


def test_every_readme_variable_is_read_by_the_code():
    read = code_variables()
    stale = sorted(name for name in readme_variables(README.read_text()) if name not in read)
    assert not stale, f"the README documents variables no code reads: {stale}"


@pytest.mark.parametrize("name", sorted(readme_variables(README.read_text())))
def test_each_row_gives_a_default_and_a_meaning(name):
    default, meaning, *_ = readme_variables(README.read_text())[name] + ["", ""]
    assert default and meaning, f"README row for {name} needs a default and a meaning"
