"""Recompute the performance-review rollups from the assignments (after a bulk import or a fix)."""

from django.core.management.base import BaseCommand

from governance.reports.services.rollups import rollups_rebuild


class Command(BaseCommand):
    help = "Rebuild the performance-review rollups of problem reports from the assignments."

    def handle(self, *args, **options):
        rows = rollups_rebuild()
        self.stdout.write(f"{rows} rollup rows")
