"""`manage.py serve`, the embedded default: Daphne, the worker and, every minute, publish_scheduled.

A real `serve` on the test database with a one-second schedule: a page scheduled to go live is
published without anyone running a command, the site answers, and Ctrl-C (SIGINT) leaves no child
process behind.
"""

from __future__ import annotations

import datetime
import os
import signal
import subprocess
import sys
import time

import pytest
import requests
from django.utils import timezone

from cms.models import NewsIndexPage, NewsPage
from tests.support import REPO_ROOT, free_port, live_db, subprocess_env

pytestmark = [pytest.mark.daphne, live_db]


def _children(pid: int) -> list[int]:
    out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True).stdout
    return [int(p) for p in out.split()]


def test_serve_publishes_scheduled_pages_and_stops_cleanly(live_database_url, tmp_path):
    index = NewsIndexPage.objects.get()
    page = NewsPage(title="定时上线的通知", slug="serve-scheduled", live=False)
    index.add_child(instance=page)
    page.go_live_at = timezone.now() + datetime.timedelta(seconds=2)
    page.save_revision().publish()
    page.refresh_from_db()
    assert not page.live

    port = free_port()
    env = subprocess_env(DATABASE_URL=live_database_url, REDIS_URL=os.environ.get("REDIS_URL") or None)
    log = open(tmp_path / "serve.log", "wb")  # noqa: SIM115 - closed below
    proc = subprocess.Popen(
        [
            sys.executable,
            "manage.py",
            "serve",
            "--port",
            str(port),
            "--no-live",
            "--no-worker",  # under the test settings tasks run inline: there is no queue to work
            "--schedule-interval",
            "1",
        ],
        cwd=REPO_ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            page.refresh_from_db()
            if page.live:
                break
            assert proc.poll() is None, (tmp_path / "serve.log").read_text()
            time.sleep(0.5)
        assert page.live, (tmp_path / "serve.log").read_text()
        answered = None
        while answered is None and time.monotonic() < deadline:
            try:
                answered = requests.get(f"http://127.0.0.1:{port}/", timeout=5).status_code
            except requests.ConnectionError:
                time.sleep(0.3)
        assert answered == 200, (tmp_path / "serve.log").read_text()
        children = _children(proc.pid)
        assert children, "serve started no processes"
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=30)
        log.close()
    time.sleep(0.5)
    alive = [pid for pid in children if os.path.exists(f"/proc/{pid}") and "zombie" not in _state(pid)]
    assert not alive, alive


def _state(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/status") as status:
            return next((line for line in status if line.startswith("State:")), "").lower()
    except OSError:
        return "gone"
