"""`manage.py serve`, the embedded default: Daphne, the worker and, every minute, publish_scheduled,
reports_tick, visits_remind and the dashboards' daily reconcile.

A real `serve` on the test database with a one-second schedule: a page scheduled to go live is
published, a grid worker is reminded of a visit due and the day's reconcile runs (once, however many
minute ticks pass) without anyone running a command, the site answers, and Ctrl-C (SIGINT) leaves no
child process behind.
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
from django.conf import settings
from django.utils import timezone

from cms.models import NewsIndexPage, NewsPage
from core.models import Notification, Role
from core.tests.factories import make_tree, make_user_with_role
from dashboards.models import RollupReconcileDay, RollupRun
from governance.services.visits import REMINDER_KIND
from governance.tests.factories import household_of, make_building, make_resident
from tests.support import REPO_ROOT, free_port, http_session, live_db, random_loopback_ip, subprocess_env

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
    tree = make_tree()
    worker = make_user_with_role(Role.GRID_WORKER, area=tree["grid_a"])
    make_resident(household_of(make_building(tree["grid_a"]), "1-101"), tags=["elderly_alone"])  # due today
    reminders = Notification.objects.filter(recipient=worker, kind=REMINDER_KIND)

    port = free_port()
    env = subprocess_env(DATABASE_URL=live_database_url, REDIS_URL=os.environ.get("REDIS_URL") or None)
    env["LOGIN_FAILURE_LIMIT"] = "2"  # per address: 2 × SIGNIN_ADDRESS_FAILURE_FACTOR
    env["VISIT_REMINDER_HOUR"] = "0"  # whatever the hour the test runs at
    env["ROLLUPS_RECONCILE_HOUR"] = "0"
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
        while not reminders.exists() and time.monotonic() < deadline:
            time.sleep(0.5)
        assert reminders.count() == 1, (tmp_path / "serve.log").read_text()
        reconciled = RollupReconcileDay.objects.filter(finished_at__isnull=False)
        while not reconciled.exists() and time.monotonic() < deadline:
            time.sleep(0.5)
        assert reconciled.count() == 1, (tmp_path / "serve.log").read_text()
        runs = RollupRun.objects.count()
        assert runs > 0
        answered = None
        while answered is None and time.monotonic() < deadline:
            try:
                answered = requests.get(
                    f"http://127.0.0.1:{port}/", timeout=30
                ).status_code  # a first render on a loaded box
            except requests.ConnectionError:
                time.sleep(0.3)
        assert answered == 200, (tmp_path / "serve.log").read_text()
        assert_forged_forwarded_for_is_ignored(f"http://127.0.0.1:{port}")
        children = _children(proc.pid)
        assert children, "serve started no processes"
        assert RollupRun.objects.count() == runs  # the ticks since found the day's reconcile done
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=30)
        log.close()
    # Its children go with it (reaped by init a moment later, however loaded the machine).
    deadline = time.monotonic() + 15
    while (alive := [pid for pid in children if os.path.exists(f"/proc/{pid}") and "zombie" not in _state(pid)]) and (
        time.monotonic() < deadline
    ):
        time.sleep(0.1)
    assert not alive, alive


def assert_forged_forwarded_for_is_ignored(base: str) -> None:
    """The embedded default has no proxy in front: a client's X-Forwarded-For must not become its address
    (Daphne's --proxy-headers would believe it), or each guess would count against another address."""
    session = http_session(random_loopback_ip())
    login = f"{base}/accounts/login/"
    session.get(login, timeout=30)
    statuses = []
    allowance = 2 * settings.SIGNIN_ADDRESS_FAILURE_FACTOR
    for n in range(allowance):  # one guess per account: only the address can reach its limit
        response = session.post(
            login,
            data={"username": f"nobody{n}", "password": "x", "csrfmiddlewaretoken": session.cookies["csrftoken"]},
            headers={"Referer": login, "X-Forwarded-For": f"203.0.113.{n + 1}"},
            timeout=30,
            allow_redirects=False,
        )
        statuses.append(response.status_code)
    assert statuses == [200] * (allowance - 1) + [429], statuses


def _state(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/status") as status:
            return next((line for line in status if line.startswith("State:")), "").lower()
    except OSError:
        return "gone"
