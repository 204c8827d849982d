"""Remind each grid worker once a day of their residents due for a visit or overdue. Run every minute
(`manage.py serve` does; in production a cron/systemd timer): runs after the day's reminder send nothing."""

from django.core.management.base import BaseCommand

from governance.services.visits import visits_remind


class Command(BaseCommand):
    help = "Notify grid workers, once a day, of the visits due this week and overdue in their grids."

    def handle(self, *args, **options):
        self.stdout.write(f"reminded={visits_remind()}")
