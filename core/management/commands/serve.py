"""Run the whole embedded site: one Daphne process for HTTP and WebSockets, the task worker and the live
video supervisor (RTMP ingest and ffmpeg packaging, streaming.video), and every minute Wagtail's
`publish_scheduled` (pages' scheduled go-live and expiry), `reports_tick` (problem reports'
deadline reminders, overdue escalation, closing unrated results), `visits_remind` (grid workers'
daily reminder of visits due and overdue), `rollups_reconcile --daily` (the dashboards' rollups
rebuilt from the records once a day, from ROLLUPS_RECONCILE_HOUR) and `uploads_sweep` (resumable
uploads abandoned for a day).

Production runs these as separate services (see README); this command is the one-machine default.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from django.conf import settings
from django.core.management.base import BaseCommand

PUBLISH_SCHEDULED_SECONDS = 60.0
# Each is `manage.py <job>`; a job decides itself whether this minute's run has anything to do.
MINUTE_JOBS = ("publish_scheduled", "reports_tick", "visits_remind", "rollups_reconcile --daily", "uploads_sweep")


class Command(BaseCommand):
    help = "Serve the site with Daphne and run the background task worker beside it."

    def add_arguments(self, parser):
        parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
        parser.add_argument("--no-worker", action="store_true", help="Do not start the task worker.")
        parser.add_argument("--no-live", action="store_true", help="Do not start the live video supervisor.")
        parser.add_argument(
            "--schedule-interval",
            type=float,
            default=PUBLISH_SCHEDULED_SECONDS,
            help="Seconds between runs of the minute jobs: " + ", ".join(MINUTE_JOBS) + " (0: never).",
        )

    def handle(
        self,
        *args,
        host: str,
        port: int,
        no_worker: bool,
        no_live: bool = False,
        schedule_interval: float = PUBLISH_SCHEDULED_SECONDS,
        **options,
    ):
        env = os.environ.copy()
        # `make run` is what a newcomer meets: the site's own error pages, even with the dev settings' DEBUG
        # (tracebacks still go to this terminal). `SITE_ERROR_PAGES_IN_DEBUG=0 make run` for Django's.
        env.setdefault("SITE_ERROR_PAGES_IN_DEBUG", "1")
        commands = {
            "daphne": [
                sys.executable,
                "-m",
                "daphne",
                "-b",
                host,
                "-p",
                str(port),
                "config.asgi:application",
            ],
        }
        if not no_worker:
            commands["worker"] = [sys.executable, "manage.py", "db_worker", "--interval", "1"]
        if not no_live and settings.LIVE_VIDEO_ENABLED:  # encoders reach RTMP on the address the site is served on
            commands["live"] = [sys.executable, "manage.py", "live_supervisor", "--rtmp-host", host]
        procs: dict[str, subprocess.Popen] = {}
        for name, argv in commands.items():
            # Own process groups, so a Ctrl-C reaches each child once, through us.
            procs[name] = subprocess.Popen(argv, env=env, start_new_session=True)
        self.stdout.write(self.style.SUCCESS(f"智慧党建平台 is serving on http://{host}:{port}/  (Ctrl-C to stop)"))

        stopping = False

        def stop(*_args):
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        exit_code = 0
        # Minute jobs: one run of each at a time, never waited on.
        scheduled: dict[str, subprocess.Popen] = {}
        next_schedule = time.monotonic() + min(5.0, schedule_interval)
        try:
            while not stopping:
                for name, proc in procs.items():
                    if proc.poll() is not None:
                        self.stderr.write(f"{name} exited with code {proc.returncode}; stopping.")
                        exit_code = proc.returncode or 1
                        stopping = True
                if schedule_interval > 0 and time.monotonic() >= next_schedule and not stopping:
                    next_schedule = time.monotonic() + schedule_interval
                    for job in MINUTE_JOBS:
                        running = scheduled.get(job)
                        if running is None or running.poll() is not None:
                            scheduled[job] = subprocess.Popen(
                                [sys.executable, "manage.py", *job.split()],
                                env=env,
                                start_new_session=True,
                                stdout=subprocess.DEVNULL,
                            )
                time.sleep(0.5)
        finally:
            for job, running in scheduled.items():
                if running.poll() is None:
                    procs[job] = running
            for proc in procs.values():
                if proc.poll() is None:
                    os.killpg(proc.pid, signal.SIGTERM)
            deadline = time.monotonic() + 10
            for proc in procs.values():
                try:
                    proc.wait(timeout=max(0.1, deadline - time.monotonic()))
                except subprocess.TimeoutExpired:
                    os.killpg(proc.pid, signal.SIGKILL)
        if exit_code:
            sys.exit(exit_code)
