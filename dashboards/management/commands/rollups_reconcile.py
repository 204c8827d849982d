"""Recompute the dashboards' rollups from the records and correct what differs.

`--daily` is the scheduled reconcile: run it every minute (`manage.py serve` does; in production
cron or a systemd timer) and it rebuilds once a day from ROLLUPS_RECONCILE_HOUR, in one process
only. Without it, every chosen dashboard is rebuilt now. Prints each dashboard's rows and
corrections: corrections that keep appearing mean a change that does not announce itself to the
dashboards.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from dashboards import registry
from dashboards.services.reconcile import rollups_reconcile_daily
from dashboards.services.rollups import rollup_rebuild


class Command(BaseCommand):
    help = "Rebuild the dashboards' rollups from the records (the periodic reconcile)."

    def add_arguments(self, parser):
        parser.add_argument("dashboards", nargs="*", help="Dashboard keys (default: all).")
        parser.add_argument(
            "--daily", action="store_true", help="Once a day from ROLLUPS_RECONCILE_HOUR (the scheduled run)."
        )

    def handle(self, *args, dashboards: list[str], daily: bool = False, **options):
        if daily:
            if dashboards:
                raise CommandError("--daily reconciles every dashboard")
            done = rollups_reconcile_daily()
            self.stdout.write(f"reconciled {done.day}: {done.corrected} corrected" if done else "not due")
            return
        chosen = registry.all_dashboards()
        if dashboards:
            unknown = set(dashboards) - {d.key for d in chosen}
            if unknown:
                raise CommandError(f"unknown dashboards: {', '.join(sorted(unknown))}")
            chosen = [d for d in chosen if d.key in dashboards]
        for dashboard in chosen:
            run = rollup_rebuild(dashboard=dashboard)
            self.stdout.write(f"{dashboard.key}: {run.rows} rows, {run.corrected} corrected")
