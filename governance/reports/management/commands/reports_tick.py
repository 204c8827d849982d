"""Deadline reminders, overdue flags with escalation (督办), closing unrated results. Run every minute
(`manage.py serve` does; in production a cron/systemd timer or the task worker's schedule)."""

from django.core.management.base import BaseCommand

from governance.reports.services.workflow import reports_tick


class Command(BaseCommand):
    help = "Send deadline reminders, flag and escalate overdue reports, close results not rated in time."

    def handle(self, *args, **options):
        counts = reports_tick()
        self.stdout.write(" ".join(f"{k}={v}" for k, v in counts.items()))
