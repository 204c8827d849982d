"""Link into organisational life every ended live lesson a branch's venue checked in to and every
course a branch's members completed that is not linked yet. The receivers do this as things happen;
the daily reconcile runs it to catch what a failed receiver missed. Idempotent."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from party.services.life import life_link_courses, life_link_live_events


class Command(BaseCommand):
    help = "Link live lessons and completed courses into the branches' organisational life."

    def handle(self, *args, **options):
        live = life_link_live_events()
        courses = life_link_courses()
        self.stdout.write(f"{live} meetings from live lessons, {courses} from online courses")
