"""Remove resumable uploads nobody has written to for RESUMABLE_STALE_HOURS (core/resumable.py). Run every
minute (`manage.py serve` does; in production a cron/systemd timer); a run with nothing stale is cheap."""

from django.core.management.base import BaseCommand

from core.resumable import uploads_sweep


class Command(BaseCommand):
    help = "Remove partial and unused resumable uploads that have not been written to for a day."

    def handle(self, *args, **options):
        self.stdout.write(f"removed={uploads_sweep()}")
