"""Run the whole embedded site: one Daphne process for HTTP and WebSockets, the task worker and the live
video supervisor (RTMP ingest and ffmpeg packaging, streaming.video), and every minute Wagtail's
`publish_scheduled` (pages' scheduled go-live and expiry).

Production runs these as separate services (see README); this command is the one-machine default.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from django.core.management.base import BaseCommand

PUBLISH_SCHEDULED_SECONDS = 60.0


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
            help="Seconds between runs of publish_scheduled (0: never).",
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
        commands = {
            "daphne": [
                sys.executable,
                "-m",
                "daphne",
                "-b",
                host,
                "-p",
                str(port),
                "--proxy-headers",
                "config.asgi:application",
            ],
        }
        if not no_worker:
            commands["worker"] = [sys.executable, "manage.py", "db_worker", "--interval", "1"]
        if not no_live:  # encoders reach RTMP on the address the site is served on
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
        scheduled: subprocess.Popen | None = None  # publish_scheduled: one run at a time, never waited on
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
                    if scheduled is None or scheduled.poll() is not None:
                        scheduled = subprocess.Popen(
                            [sys.executable, "manage.py", "publish_scheduled"],
                            env=env,
                            start_new_session=True,
                            stdout=subprocess.DEVNULL,
                        )
                time.sleep(0.5)
        finally:
            if scheduled is not None and scheduled.poll() is None:
                procs["publish_scheduled"] = scheduled
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
