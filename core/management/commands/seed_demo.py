"""Fill the database with realistic demo data for 东港市: `manage.py seed_demo [--scale 0.02]`.

Runs every registered demo step in order (core's, then other apps'; see core/demo/registry.py).
Idempotent: a second run finds each step's rows and only reads.
"""

from __future__ import annotations

import os
import time
import unicodedata
from collections.abc import Sequence

from django.apps import apps
from django.core.management.base import BaseCommand, CommandError
from django.utils import translation

from core.demo.registry import DEFAULT_SEED, DemoContext, discover, run_step
from core.demo.steps import demo_account_rows

DEFAULT_PASSWORD = "Demo-2026!"
MAX_SCALE = 50.0


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))


class Command(BaseCommand):
    help = "Create realistic demo data (东港市: areas, departments, party organisations, people, residents)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--scale",
            type=float,
            default=1.0,
            help="Shrink or grow the generated data (1.0 = the article's 515 grids; 0.02 for tests). "
            "Only the first run counts: existing data is never resized.",
        )

    def handle(self, *args, scale: float, **options):
        if not 0 < scale <= MAX_SCALE:
            raise CommandError(f"--scale must be greater than 0 and at most {MAX_SCALE:g}")
        verbose = options["verbosity"] >= 1
        ctx = DemoContext(
            scale=scale,
            password=os.environ.get("DEMO_PASSWORD") or DEFAULT_PASSWORD,
            seed=DEFAULT_SEED,
            log=self.stdout.write if verbose else (lambda _msg: None),
        )
        steps = discover()
        labels = list(dict.fromkeys(label for step in steps for label in step.models))
        before = {label: apps.get_model(label).objects.count() for label in labels}

        started = time.monotonic()
        for step in steps:
            t0 = time.monotonic()
            status = run_step(step, ctx)
            ctx.log(f"  {step.name:<28} {time.monotonic() - t0:6.2f}s  {status or ''}")
        elapsed = time.monotonic() - started
        if not verbose:
            return

        # Role labels are gettext'd: show them in Chinese whatever the shell's locale.
        with translation.override("zh-hans"):
            rows = demo_account_rows(ctx.password)
        self._print_table(["用户名 username", "角色 role", "范围 scope", "密码 password"], rows)
        if {u for u, *_ in rows} - ctx.created_accounts:
            self.stdout.write("(已存在的账号未改密码 / accounts that already existed kept their password)")

        count_rows = []
        for label in labels:
            total = apps.get_model(label).objects.count()
            count_rows.append((label, str(total - before[label]), str(total)))
        self._print_table(["模型 model", "本次新增 created", "总数 total"], count_rows)
        self.stdout.write(self.style.SUCCESS(f"seed_demo finished in {elapsed:.1f}s (scale {scale:g})"))

    def _print_table(self, header: list[str], rows: Sequence[tuple[str, ...]]) -> None:
        widths = [max(_width(str(cell)) for cell in column) for column in zip(header, *rows, strict=False)]
        line = "  ".join("-" * w for w in widths)
        self.stdout.write("")
        self.stdout.write("  ".join(_pad(h, w) for h, w in zip(header, widths, strict=True)).rstrip())
        self.stdout.write(line)
        for row in rows:
            self.stdout.write("  ".join(_pad(str(c), w) for c, w in zip(row, widths, strict=True)).rstrip())
