"""The state machine: every transition, every illegal one, deadlines on a controlled clock."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.utils import timezone

from core.models import Notification
from governance.reports.models import Assignment, Rating, Report, ReviewRollup
from governance.reports.services import workflow as wf
from governance.reports.services.rollups import live_figures, rollups_rebuild
from governance.reports.services.submit import report_submit, reports_nearby
from governance.reports.services.workflow import TransitionRefusedError

from .factories import World, processed_photo

S = Report.Status
pytestmark = pytest.mark.django_db


@pytest.fixture
def w():
    return World()


def actions(report: Report) -> list[str]:
    return list(report.events.order_by("seq").values_list("action", flat=True))


def test_submit_locates_and_dispatches_by_rule(w):
    report = w.submit(photos=[processed_photo()])
    assert report.status == S.DISPATCHED
    assert report.grid == w.tree["grid_a"]
    assert report.department == w.department
    assert report.deadline == report.assignment.dispatched_at + dt.timedelta(hours=48)
    assert actions(report) == ["submit", "dispatch"]
    assert list(report.events.values_list("seq", flat=True)) == [1, 2]
    assert report.photos.count() == 1
    assert Notification.objects.filter(recipient=w.staff, kind="reports.report").exists()


def test_unmatched_report_waits_for_the_centre(w):
    report = w.submit(category=w.unruled)
    assert report.status == S.PENDING
    assert Notification.objects.filter(recipient=w.ops).exists()
    with pytest.raises(TransitionRefusedError):
        wf.report_dispatch(report=report, by=w.staff, department=w.department)
    wf.report_dispatch(report=report, by=w.ops, department=w.other_department, deadline_hours=24)
    report.refresh_from_db()
    assert report.status == S.DISPATCHED and report.department == w.other_department


def test_area_rule_beats_the_city_rule(w):
    from .factories import make_rule

    make_rule(w.category, w.other_department, area=w.tree["town_b"], deadline_hours=12)
    assert w.submit(where="grid_b").department == w.other_department
    assert w.submit(where="grid_a").department == w.department


def test_full_loop_sign_progress_extension_resolve_rate(w):
    report = w.submit()
    wf.report_sign(report=report, by=w.staff)
    wf.report_progress(report=report, by=w.staff, note="已联系摊主")
    wf.report_request_extension(report=report, by=w.staff, hours=24, reason="需协调市场")
    before = Report.objects.get(pk=report.pk).deadline
    wf.report_decide_extension(report=report, by=w.ops, approve=True)
    report.refresh_from_db()
    assert report.deadline == before + dt.timedelta(hours=24)
    assert report.assignment.extended
    wf.report_resolve(report=report, by=w.staff, result="摊贩已劝离，设置了提示牌", photos=[processed_photo()])
    report.refresh_from_db()
    assert report.status == S.RESOLVED and report.photos.filter(kind="result").count() == 1
    wf.report_rate(report=report, by=w.reporter, rating=Rating.SATISFIED, comment="很快")
    report.refresh_from_db()
    assert report.status == S.CLOSED and report.rating == Rating.SATISFIED
    assert actions(report) == [
        "submit",
        "dispatch",
        "sign",
        "progress",
        "extension_request",
        "extension_approve",
        "resolve",
        "rate",
    ]


def test_extension_refused_keeps_the_deadline(w):
    report = w.submit()
    wf.report_sign(report=report, by=w.staff)
    wf.report_request_extension(report=report, by=w.staff, hours=10, reason="等材料")
    with pytest.raises(TransitionRefusedError, match="已有"):
        wf.report_request_extension(report=report, by=w.staff, hours=10, reason="再等")
    deadline = Report.objects.get(pk=report.pk).deadline
    wf.report_decide_extension(report=report, by=w.ops, approve=False, note="不予延期")
    report.refresh_from_db()
    assert report.deadline == deadline and report.pending_extension_hours is None
    with pytest.raises(TransitionRefusedError):
        wf.report_decide_extension(report=report, by=w.ops, approve=True)


def test_return_needs_a_reason_and_the_centre_decides_once(w):
    report = w.submit()
    with pytest.raises(TransitionRefusedError, match="理由"):
        wf.report_return(report=report, by=w.staff, reason="  ")
    wf.report_return(report=report, by=w.staff, reason="不属于本部门职责")
    report.refresh_from_db()
    assert report.status == S.RETURNED
    with pytest.raises(TransitionRefusedError):
        wf.report_arbitrate(report=report, by=w.ops, department=w.department, note="")
    wf.report_arbitrate(report=report, by=w.ops, department=w.department, note="经核实属城管职责")
    report.refresh_from_db()
    assert report.status == S.DISPATCHED and report.assignment.by_arbitration
    with pytest.raises(TransitionRefusedError, match="裁定"):
        wf.report_return(report=report, by=w.staff, reason="还是不归我们")
    assert Assignment.objects.filter(report=report).count() == 2


def test_unsatisfied_reopens_once_then_closes(w):
    report = w.submit()
    wf.report_sign(report=report, by=w.staff)
    wf.report_resolve(report=report, by=w.staff, result="已处理")
    with pytest.raises(TransitionRefusedError):
        wf.report_rate(report=report, by=w.reporter, rating=Rating.UNSATISFIED, comment="")
    wf.report_rate(report=report, by=w.reporter, rating=Rating.UNSATISFIED, comment="摊贩又回来了")
    report.refresh_from_db()
    assert report.status == S.SIGNED and report.reopened_count == 1 and report.resolved_at is None
    assert report.assignment.reopened and report.assignment.resolved_at is None
    wf.report_resolve(report=report, by=w.staff, result="已取缔")
    wf.report_rate(report=report, by=w.reporter, rating=Rating.UNSATISFIED, comment="仍不满意")
    report.refresh_from_db()
    assert report.status == S.CLOSED and report.rating == Rating.UNSATISFIED


@pytest.mark.parametrize(
    "status_path, attempt",
    [
        ([], "resolve"),
        ([], "rate"),
        ([], "progress"),
        (["sign"], "sign"),
        (["sign"], "return"),
        (["sign", "resolve"], "sign"),
        (["sign", "resolve"], "extension"),
        (["sign", "resolve", "rate"], "resolve"),
        (["sign", "resolve", "rate"], "rate"),
        (["sign"], "dispatch"),
        (["sign"], "dismiss"),
    ],
)
def test_illegal_transitions_are_refused_in_chinese(w, status_path, attempt):
    report = w.submit()
    steps = {
        "sign": lambda: wf.report_sign(report=report, by=w.staff),
        "resolve": lambda: wf.report_resolve(report=report, by=w.staff, result="好了"),
        "rate": lambda: wf.report_rate(report=report, by=w.reporter, rating=Rating.BASIC),
        "progress": lambda: wf.report_progress(report=report, by=w.staff, note="进展"),
        "return": lambda: wf.report_return(report=report, by=w.staff, reason="不归我们"),
        "extension": lambda: wf.report_request_extension(report=report, by=w.staff, hours=5, reason="等"),
        "dispatch": lambda: wf.report_dispatch(report=report, by=w.ops, department=w.department),
        "dismiss": lambda: wf.report_dismiss(report=report, by=w.ops, reason="无效"),
    }
    for step in status_path:
        steps[step]()
    status = Report.objects.get(pk=report.pk).status
    with pytest.raises(TransitionRefusedError) as refused:
        steps[attempt]()
    assert "“" in refused.value.message  # names the current status: "该问题当前为“…”"
    assert Report.objects.get(pk=report.pk).status == status


@pytest.mark.parametrize("who", ["other_staff", "reporter", "grid_worker", "ops"])
def test_only_the_assigned_department_signs(w, who):
    report = w.submit()
    with pytest.raises(TransitionRefusedError, match="无权"):
        wf.report_sign(report=report, by=getattr(w, who))


def test_only_the_reporter_rates(w):
    report = w.submit()
    wf.report_sign(report=report, by=w.staff)
    wf.report_resolve(report=report, by=w.staff, result="好了")
    for other in (w.staff, w.ops, w.rider):
        with pytest.raises(TransitionRefusedError):
            wf.report_rate(report=report, by=other, rating=Rating.SATISFIED)


def test_stale_copy_cannot_double_transition(w):
    report = w.submit()
    stale = Report.objects.get(pk=report.pk)
    wf.report_sign(report=report, by=w.staff)
    with pytest.raises(TransitionRefusedError):
        wf.report_sign(report=stale, by=w.staff)
    assert report.events.filter(action="sign").count() == 1


def test_dismiss_pending(w):
    report = w.submit(category=w.unruled)
    wf.report_dismiss(report=report, by=w.ops, reason="重复测试数据")
    assert Report.objects.get(pk=report.pk).status == S.DISMISSED


# --- idempotency and "same problem?" ------------------------------------------------------------


def test_a_retry_with_the_same_key_returns_the_same_report(w):
    first = w.submit(key="k-123")
    again = w.submit(key="k-123", description="重复提交")
    assert again.pk == first.pk
    assert Report.objects.filter(reporter=w.reporter).count() == 1
    # Another person's key is theirs alone.
    assert w.submit(reporter=w.rider, key="k-123").pk != first.pk


def test_same_problem_offered_within_50m_and_7_days_then_merged(w):
    first = w.submit()
    lat, lng = float(first.latitude), float(first.longitude)
    assert [r.pk for r, _d in reports_nearby(category=w.category, latitude=lat + 0.0002, longitude=lng)] == [first.pk]
    assert reports_nearby(category=w.category, latitude=lat + 0.001, longitude=lng) == []  # ~111 m
    assert reports_nearby(category=w.unruled, latitude=lat, longitude=lng) == []
    with time_machine.travel(timezone.now() + dt.timedelta(days=8)):
        assert reports_nearby(category=w.category, latitude=lat, longitude=lng) == []
    second = report_submit(
        reporter=w.rider,
        category=w.category,
        description="同一处占道",
        latitude=first.latitude,
        longitude=first.longitude,
        same_as=first,
    ).report
    assert second.status == S.MERGED and second.merged_into_id == first.pk
    assert set(first.followers.values_list("user_id", flat=True)) == {w.reporter.pk, w.rider.pk}
    wf.report_sign(report=first, by=w.staff)
    wf.report_resolve(report=first, by=w.staff, result="已处理")
    assert Notification.objects.filter(recipient=w.rider, title__contains="结果").exists()


def test_centre_merges_a_dispatched_report(w):
    first, second = w.submit(), w.submit(reporter=w.rider)
    into = wf.report_merge(report=second, into=first, by=w.ops)
    assert into.pk == first.pk
    second.refresh_from_db()
    assert second.status == S.MERGED and second.assignment.returned_at is not None
    with pytest.raises(TransitionRefusedError):
        wf.report_merge(report=first, into=second, by=w.ops)


# --- the clock ----------------------------------------------------------------------------------


def test_deadline_clock_starts_at_dispatch_reminds_flags_and_escalates(w):
    start = timezone.now().replace(microsecond=0)
    with time_machine.travel(start, tick=False):
        report = w.submit()  # 48 h deadline, dispatched now
    with time_machine.travel(start + dt.timedelta(hours=30), tick=False):
        wf.report_sign(report=report, by=w.staff)  # signing late does not move the deadline
        assert wf.reports_tick() == {"reminded": 0, "overdue": 0, "closed_unrated": 0}
    with time_machine.travel(start + dt.timedelta(hours=37), tick=False):  # within the last quarter (12 h)
        assert wf.reports_tick()["reminded"] == 1
        assert wf.reports_tick()["reminded"] == 0  # once
    assert Notification.objects.filter(recipient=w.staff, title__contains="即将到期").exists()
    with time_machine.travel(start + dt.timedelta(hours=48, seconds=1), tick=False):
        assert wf.reports_tick()["overdue"] == 1
        assert wf.reports_tick()["overdue"] == 0
    report.refresh_from_db()
    assert report.assignment.overdue and report.assignment.escalated_at
    assert Notification.objects.filter(recipient=w.ops, title__contains="督办").exists()
    assert report.assignment.signed_at > report.assignment.sign_deadline
    with time_machine.travel(start + dt.timedelta(hours=50), tick=False):
        wf.report_resolve(report=report, by=w.staff, result="已处理")
    a = Assignment.objects.get(pk=report.assignment_id)
    assert a.resolved_at > a.deadline and a.overdue


def test_unrated_results_close_as_not_rated_after_seven_days(w):
    start = timezone.now().replace(microsecond=0)
    with time_machine.travel(start, tick=False):
        report = w.submit()
        wf.report_sign(report=report, by=w.staff)
        wf.report_resolve(report=report, by=w.staff, result="已处理")
    with time_machine.travel(start + dt.timedelta(days=6), tick=False):
        assert wf.reports_tick()["closed_unrated"] == 0
    with time_machine.travel(start + dt.timedelta(days=7, seconds=1), tick=False):
        assert wf.reports_tick()["closed_unrated"] == 1
    report.refresh_from_db()
    assert report.status == S.CLOSED and report.rating == Rating.NOT_RATED
    period_start = timezone.localtime(report.assignment.dispatched_at).date().replace(day=1)
    figures = live_figures(period="month", period_start=period_start, department_id=w.department.pk)
    assert figures["rated"] == 0 and figures["satisfied"] == 0 and figures["resolved"] == 1


# --- rollups ------------------------------------------------------------------------------------


def _rollups() -> dict:
    return {
        (r.period, r.period_start, r.department_id_key, r.area_id_key): {f: getattr(r, f) for f in ReviewRollup.FIGURES}
        for r in ReviewRollup.objects.all()
    }


def test_rollups_kept_current_equal_the_rebuild_and_the_live_computation(w):
    reports = [w.submit(where=g) for g in ("grid_a", "grid_a2", "grid_b", "grid_a")]
    wf.report_sign(report=reports[0], by=w.staff)
    wf.report_resolve(report=reports[0], by=w.staff, result="好了")
    wf.report_rate(report=reports[0], by=w.reporter, rating=Rating.BASIC)
    wf.report_return(report=reports[1], by=w.staff, reason="不归我们")
    wf.report_arbitrate(report=reports[1], by=w.ops, department=w.other_department, note="住建负责")
    wf.report_sign(report=reports[2], by=w.staff)
    wf.report_request_extension(report=reports[2], by=w.staff, hours=5, reason="等")
    wf.report_decide_extension(report=reports[2], by=w.ops, approve=True)
    wf.report_resolve(report=reports[2], by=w.staff, result="好了")
    wf.report_rate(report=reports[2], by=w.reporter, rating=Rating.UNSATISFIED, comment="没修好")
    live = _rollups()
    assert live, "transitions keep rollup rows"
    rollups_rebuild()
    assert _rollups() == live
    for (period, start, dept, area), figures in live.items():
        assert live_figures(period=period, period_start=start, department_id=dept, area_id=area) == figures
    dept_month = next(v for (p, _s, d, a), v in live.items() if p == "month" and d == w.department.pk)
    assert dept_month["received"] == 4 and dept_month["returned"] == 1 and dept_month["resolved"] == 1
    assert dept_month["rated"] == 1 and dept_month["satisfied"] == 1 and dept_month["extended"] == 1
    city_year = next(v for (p, _s, d, a), v in live.items() if p == "year" and a == w.tree["city"].pk)
    assert city_year["received"] == 5
