"""`seed_demo` on an empty database takes the demo password from DEMO_PASSWORD (apart from
test_seed_demo.py, whose tests share one demo seeded with the default password)."""

from django.contrib.auth import authenticate
from django.core.management import call_command

from core.demo import registry

SCALE = 0.02


def test_demo_password_comes_from_the_environment(db, monkeypatch):
    monkeypatch.setenv("DEMO_PASSWORD", "Another-Pass-77")
    # Core's steps make demo_ops; the other apps' steps (30 s of the run) only build on them, and the
    # command hands every step the same password (DemoContext.password).
    core_steps = [step for step in registry.discover() if step.name.startswith("core.")]
    assert "core.seed_demo_accounts" in {step.name for step in core_steps}
    monkeypatch.setattr("core.management.commands.seed_demo.discover", lambda: core_steps)
    call_command("seed_demo", scale=SCALE, verbosity=0)
    assert authenticate(username="demo_ops", password="Another-Pass-77") is not None
    assert authenticate(username="demo_ops", password="Demo-2026!") is None
