"""django-tasks-db's `db_worker`, which also ends work abandoned by workers that died (core/worker.py).

Our apps come before django_tasks_db in INSTALLED_APPS, so this command is the one `manage.py
db_worker` runs; everything else (options, signals, the loop) is django-tasks-db's own.
"""

from __future__ import annotations

import threading
from datetime import timedelta

from django.db import connection
from django_tasks_db.management.commands.db_worker import Command as DbWorkerCommand

from core.worker import reap_abandoned_work

REAP_EVERY = 60.0  # seconds between rounds, at most (sooner when --stalled-after is shorter)


class Command(DbWorkerCommand):
    help = "Run a database background worker; end the work that dead workers left running"

    def add_arguments(self, parser) -> None:
        super().add_arguments(parser)
        parser.add_argument(
            "--stalled-after",
            type=float,
            default=None,
            help="Seconds without a heartbeat after which a running job is taken for abandoned "
            "(default: each app's own, minutes)",
        )

    def handle(self, *args, stalled_after: float | None = None, **options) -> None:  # type: ignore[override]
        stall = timedelta(seconds=stalled_after) if stalled_after else None
        reap_abandoned_work(stalled_after=stall)
        if options.get("batch"):  # runs what is queued and exits: the round at start is enough
            super().handle(*args, **options)
            return
        interval = min(REAP_EVERY, stalled_after) if stalled_after else REAP_EVERY
        # A thread, not the worker's loop: the loop is busy for as long as a task runs (a long
        # transcode), and a job abandoned meanwhile by another worker must not wait for it.
        stop = threading.Event()
        reaper = threading.Thread(target=self._reap_until, args=(stop, interval, stall), daemon=True, name="reaper")
        reaper.start()
        try:
            super().handle(*args, **options)
        finally:
            stop.set()
            reaper.join(timeout=30)

    @staticmethod
    def _reap_until(stop: threading.Event, interval: float, stall: timedelta | None) -> None:
        while not stop.wait(interval):
            try:
                reap_abandoned_work(stalled_after=stall)
            finally:
                connection.close()  # this thread's own connection: never left open between rounds
