"""The ordered list of demo-data steps that `manage.py seed_demo` runs.

An app adds steps by shipping `<app>/demo.py` (or a `<app>/demo/` package with a `steps` module)
whose functions carry `@demo_step(order=…)`; `discover()` imports those modules for the project's
own apps, the way the admin finds `admin.py`. Core's steps use orders 100–199 and leave the trees, the people
and the demo accounts in place; other apps use 200 and up so they can rely on them.

A step must be idempotent on its own: look for its rows first and return early when they are there.
Each step runs in its own transaction, so an interrupted run leaves whole steps behind, never half
of one, and the next run finishes the job.
"""

from __future__ import annotations

import contextvars
import random
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from importlib import import_module
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.db import transaction
from django.utils.module_loading import module_has_submodule

DEFAULT_SEED = 210681

_seeding: contextvars.ContextVar[bool] = contextvars.ContextVar("demo_seeding", default=False)


def seeding() -> bool:
    """Whether a demo step is running (its after-commit hooks included). Derived data that a last
    step rebuilds from everything (the dashboards' rollups) need not be kept up record by record."""
    return _seeding.get()


@dataclass
class DemoContext:
    """What a step gets: a random generator seeded for that step, the scale, and shared values."""

    scale: float
    password: str
    seed: int = DEFAULT_SEED
    rng: random.Random = field(default_factory=random.Random)
    log: Callable[[str], None] = print
    # Usernames of demo accounts made by this run (others existed and kept their passwords).
    created_accounts: set[str] = field(default_factory=set)

    def scaled(self, n: float, *, minimum: int = 1) -> int:
        """`n` shrunk (or grown) by the scale, never below `minimum`."""
        return max(minimum, round(n * self.scale))


StepFunc = Callable[[DemoContext], "str | None"]


@dataclass(frozen=True)
class Step:
    name: str
    order: int
    func: StepFunc
    # "app_label.Model" labels the step writes; the command reports how many rows each run added.
    models: tuple[str, ...] = ()


_steps: dict[str, Step] = {}


def demo_step(*, order: int, models: Iterable[str] = (), name: str | None = None) -> Callable[[StepFunc], StepFunc]:
    """Register a step. It returns a one-line status ("skipped: …" when its data was already there)."""

    def register(func: StepFunc) -> StepFunc:
        step_name = name or f"{func.__module__.split('.')[0]}.{func.__name__}"
        _steps[step_name] = Step(name=step_name, order=order, func=func, models=tuple(models))
        return func

    return register


def _is_project_app(path: Path, base_dir: Path) -> bool:
    resolved = path.resolve()
    return resolved.is_relative_to(base_dir) and ".venv" not in resolved.relative_to(base_dir).parts


def discover() -> list[Step]:
    """Import every project app's `demo` module, then return all registered steps in order."""
    base_dir = Path(settings.BASE_DIR).resolve()
    for app_config in apps.get_app_configs():
        # Only the project's own apps (top-level or nested, like governance.reports): third-party
        # packages, wherever the virtualenv lives, are not ours to seed.
        if _is_project_app(Path(app_config.path), base_dir) and module_has_submodule(app_config.module, "demo"):
            module = import_module(f"{app_config.name}.demo")
            if module_has_submodule(module, "steps"):
                import_module(f"{app_config.name}.demo.steps")
    return sorted(_steps.values(), key=lambda s: (s.order, s.name))


def run_step(step: Step, ctx: DemoContext) -> str | None:
    # A random generator per step, seeded by its name: adding or skipping a step elsewhere never
    # changes what this one produces. Demo data must be reproducible, not secret.
    ctx.rng = random.Random(f"{ctx.seed}:{step.name}")  # noqa: S311
    token = _seeding.set(True)
    try:
        with transaction.atomic():
            return step.func(ctx)
    finally:
        _seeding.reset(token)
