"""The migrated template is rebuilt exactly when what migrating depends on changes."""

from pathlib import Path

from tests.dbtemplate import migration_state_key


def _tree(root: Path) -> None:
    (root / "app" / "migrations").mkdir(parents=True)
    (root / "app" / "migrations" / "0001_initial.py").write_text("from app.crypto import seal\n")
    (root / "app" / "crypto.py").write_text("def seal(text): return text\n")
    (root / "app" / "views.py").write_text("VIEW = 1\n")
    (root / "requirements.lock").write_text("Django==5.2\n")
    (root / "var" / "x" / "migrations").mkdir(parents=True)
    (root / "var" / "x" / "migrations" / "0001_initial.py").write_text("")


def test_the_key_follows_migrations_their_imports_and_the_pins(tmp_path):
    _tree(tmp_path)
    key = migration_state_key("sqlite", tmp_path)
    assert migration_state_key("sqlite", tmp_path) == key
    assert migration_state_key("postgresql", tmp_path) != key

    (tmp_path / "app" / "views.py").write_text("VIEW = 2\n")  # not part of migrating
    (tmp_path / "var" / "x" / "migrations" / "0001_initial.py").write_text("changed = True\n")
    assert migration_state_key("sqlite", tmp_path) == key

    for path, text in [
        ("app/crypto.py", "def seal(text): return text[::-1]\n"),
        ("app/migrations/0002_more.py", "\n"),
        ("requirements.lock", "Django==5.2.1\n"),
    ]:
        (tmp_path / path).write_text(text)
        changed = migration_state_key("sqlite", tmp_path)
        assert changed != key, path
        key = changed
