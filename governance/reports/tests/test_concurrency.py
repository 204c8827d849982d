"""Two people acting on one report at the same moment: exactly one transition happens.

On PostgreSQL the row lock (select_for_update) makes the second wait and then find the report moved
("someone else has just acted"); SQLite has no row locks, and there the conditional UPDATE or the
database lock refuses the second. Run on both backends (DATABASE_URL=postgres://… for PostgreSQL).
"""

from __future__ import annotations

import threading

import pytest
from django.db import OperationalError, connection, connections

from governance.reports.models import Rating, Report
from governance.reports.services import workflow as wf
from governance.reports.services.workflow import TransitionRefusedError

from .factories import World

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def race(*calls):
    barrier = threading.Barrier(len(calls))
    outcomes: list[object] = [None] * len(calls)

    def run(i, call):
        try:
            barrier.wait(timeout=10)
            call()
            outcomes[i] = "ok"
        except (TransitionRefusedError, OperationalError) as e:
            outcomes[i] = e
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    return outcomes


def _losers_are_refused(outcomes):
    assert outcomes.count("ok") == 1, outcomes
    loser = next(o for o in outcomes if o != "ok")
    if connection.vendor == "postgresql":
        assert isinstance(loser, TransitionRefusedError), loser  # waited for the lock, then saw the new status


@pytest.mark.parametrize("attempt", range(3))
def test_two_staff_sign_at_once(attempt):
    w = World()
    colleague = w.staff.__class__.objects.get(pk=w.staff.pk)
    report = w.submit()
    outcomes = race(
        lambda: wf.report_sign(report=Report.objects.get(pk=report.pk), by=w.staff),
        lambda: wf.report_sign(report=Report.objects.get(pk=report.pk), by=colleague),
    )
    _losers_are_refused(outcomes)
    report.refresh_from_db()
    assert report.status == Report.Status.SIGNED
    assert report.events.filter(action="sign").count() == 1
    assert list(report.events.values_list("seq", flat=True)) == [1, 2, 3]


def test_two_ratings_at_once_close_or_reopen_once():
    w = World()
    report = w.submit()
    wf.report_sign(report=report, by=w.staff)
    wf.report_resolve(report=report, by=w.staff, result="已办结")
    outcomes = race(
        lambda: wf.report_rate(report=Report.objects.get(pk=report.pk), by=w.reporter, rating=Rating.SATISFIED),
        lambda: wf.report_rate(
            report=Report.objects.get(pk=report.pk), by=w.reporter, rating=Rating.UNSATISFIED, comment="不行"
        ),
    )
    _losers_are_refused(outcomes)
    report.refresh_from_db()
    assert report.events.filter(action__in=("rate", "reopen")).count() == 1
