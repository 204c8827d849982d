"""Working-day deadlines: the clock skips weekends and the work calendar's holidays, counts its make-up
working days (调休), and is kept by the stint for extensions and reopens; the centre keeps the calendar."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from core.models import AuditLog, Notification
from governance.reports.models import CalendarDay, Rating
from governance.reports.services import workflow as wf
from governance.reports.services.calendar import deadline_after, is_working_day

from .factories import World

pytestmark = pytest.mark.django_db


def local(text: str) -> dt.datetime:
    """A wall-clock time in the site's zone (Asia/Shanghai)."""
    return timezone.make_aware(dt.datetime.fromisoformat(text))


@pytest.fixture
def w():
    return World()


# --- the clock ----------------------------------------------------------------------------------


def test_round_the_clock_hours_are_plain_hours():
    start = local("2026-12-04 10:00")  # a Friday
    assert deadline_after(start, 72, working_days=False) == local("2026-12-07 10:00")


def test_working_day_hours_skip_the_weekend():
    # Friday 10:00 + 72 h: 14 h on Friday, none on Saturday and Sunday, 24 on Monday and Tuesday,
    # 10 on Wednesday.
    assert deadline_after(local("2026-12-04 10:00"), 72, working_days=True) == local("2026-12-09 10:00")
    # Within one working day nothing changes.
    assert deadline_after(local("2026-12-07 09:00"), 4, working_days=True) == local("2026-12-07 13:00")
    # A report dispatched on a Saturday starts its clock on Monday at 00:00.
    assert deadline_after(local("2026-12-05 15:30"), 4, working_days=True) == local("2026-12-07 04:00")
    # Ending exactly at midnight stays on the working day's end, not the next working day's.
    assert deadline_after(local("2026-12-04 00:00"), 24, working_days=True) == local("2026-12-05 00:00")


def test_holidays_rest_and_make_up_working_days_count():
    CalendarDay.objects.create(date=dt.date(2026, 12, 8), kind=CalendarDay.Kind.HOLIDAY, name="测试假日")
    CalendarDay.objects.create(date=dt.date(2026, 12, 6), kind=CalendarDay.Kind.WORKDAY, name="调休")
    assert not is_working_day(dt.date(2026, 12, 8)) and is_working_day(dt.date(2026, 12, 6))
    assert not is_working_day(dt.date(2026, 12, 5)) and is_working_day(dt.date(2026, 12, 7))
    # Friday 10:00 + 72 h: 14 on Friday, Sunday (调休) 24, Monday 24, Tuesday rests, 10 on Wednesday.
    assert deadline_after(local("2026-12-04 10:00"), 72, working_days=True) == local("2026-12-09 10:00")
    # + 96 h runs into Thursday instead of ending on the holiday.
    assert deadline_after(local("2026-12-04 10:00"), 96, working_days=True) == local("2026-12-10 10:00")


def test_a_long_holiday_is_crossed_and_a_calendar_that_never_works_falls_back_to_plain_hours():
    CalendarDay.objects.bulk_create(
        CalendarDay(date=dt.date(2026, 9, 30) + dt.timedelta(days=i), kind=CalendarDay.Kind.HOLIDAY)
        for i in range(1, 9)  # 10-01 … 10-08, 国庆 and 中秋 together
    )
    assert deadline_after(local("2026-09-30 12:00"), 24, working_days=True) == local("2026-10-09 12:00")
    start = local("2026-12-04 10:00")
    CalendarDay.objects.bulk_create(
        CalendarDay(date=dt.date(2026, 12, 4) + dt.timedelta(days=i), kind=CalendarDay.Kind.HOLIDAY)
        for i in range(400)
        if (dt.date(2026, 12, 4) + dt.timedelta(days=i)).weekday() < 5
    )
    assert deadline_after(start, 8, working_days=True) == start + dt.timedelta(hours=8)


# --- the workflow on a working-day rule ---------------------------------------------------------


def test_a_working_day_rule_sets_the_deadline_and_the_tick_follows_it(w):
    w.rule.deadline_hours, w.rule.working_days = 72, True
    w.rule.save()
    friday = local("2026-12-04 10:00")
    with time_machine.travel(friday, tick=False):
        report = w.submit()
    a = report.assignment
    assert a.working_days and a.deadline_hours == 72
    assert a.deadline == local("2026-12-09 10:00") and a.sign_deadline == local("2026-12-04 12:00")
    event = report.events.get(action="dispatch")
    assert event.data["working_days"] is True
    # Round the clock it would be overdue on Monday; on working days it is not until Wednesday 10:00.
    with time_machine.travel(local("2026-12-08 23:00"), tick=False):
        assert wf.reports_tick()["overdue"] == 0
    with time_machine.travel(local("2026-12-09 10:00:01"), tick=False):
        assert wf.reports_tick()["overdue"] == 1


def test_extensions_and_reopens_run_on_the_stints_clock(w):
    w.rule.deadline_hours, w.rule.working_days = 8, True
    w.rule.save()
    with time_machine.travel(local("2026-12-04 09:00"), tick=False):  # Friday: due 17:00
        report = w.submit()
        wf.report_sign(report=report, by=w.staff)
        wf.report_request_extension(report=report, by=w.staff, hours=24, reason="需要协调")
        wf.report_decide_extension(report=report, by=w.ops, approve=True)
    report.refresh_from_db()
    # 7 h left of Friday, then Monday's first 17 h.
    assert report.assignment.deadline == local("2026-12-07 17:00") == report.deadline
    with time_machine.travel(local("2026-12-07 12:00"), tick=False):
        wf.report_resolve(report=report, by=w.staff, result="已清理")
    with time_machine.travel(local("2026-12-12 10:00"), tick=False):  # Saturday: reopened
        wf.report_rate(report=report, by=w.reporter, rating=Rating.UNSATISFIED, comment="又来了")
    report.refresh_from_db()
    # The rule's 8 hours again (not the extended span), from Monday 00:00.
    assert report.assignment.deadline == local("2026-12-14 08:00")


def test_round_the_clock_rules_are_unchanged(w):
    friday = local("2026-12-04 10:00")
    with time_machine.travel(friday, tick=False):
        report = w.submit()
    assert not report.assignment.working_days
    assert report.assignment.deadline == friday + dt.timedelta(hours=48)


# --- the centre keeps the calendar and the rules' clock -----------------------------------------


def test_the_centre_keeps_the_work_calendar_with_checks_in_chinese(w, client):
    url = reverse("governance:reports:calendar")
    for user in (w.staff, w.community, w.reporter):
        client.force_login(user)
        assert client.get(url).status_code == 404
        assert client.post(url, {"date": "2027-01-01", "kind": "holiday"}).status_code == 404
    client.force_login(w.ops)
    assert client.get(url).status_code == 200
    response = client.post(url, {"date": "2027-01-01", "kind": "holiday", "name": "元旦"})
    assert response.status_code == 302 and response["Location"].endswith("?year=2027")
    day = CalendarDay.objects.get(date=dt.date(2027, 1, 1))
    assert day.kind == "holiday" and day.name == "元旦" and day.updated_by == w.ops
    assert AuditLog.objects.filter(action="reports.calendar.save", object_id=str(day.pk)).exists()
    page = client.get(url, {"year": 2027}).content.decode()
    assert "元旦" in page and "节假日（休息）" in page

    # A make-up working day on a weekday, or a holiday on a weekend, is refused with a reason.
    bad = client.post(url, {"date": "2026-12-09", "kind": "workday"})
    assert bad.status_code == 200 and "调休上班日应是星期六或星期日" in bad.content.decode()
    bad = client.post(url, {"date": "2026-12-13", "kind": "holiday"})
    assert "周末本来就是休息日" in bad.content.decode()
    assert CalendarDay.objects.count() == 1
    # The same date again changes that day; removing it is audited.
    client.post(url, {"date": "2027-01-01", "kind": "holiday", "name": "元旦节"})
    assert CalendarDay.objects.get().name == "元旦节"
    delete = reverse("governance:reports:calendar_delete", args=[day.pk])
    client.force_login(w.staff)
    assert client.post(delete).status_code == 404
    client.force_login(w.ops)
    assert client.get(delete).status_code == 405
    assert client.post(delete).status_code == 302
    assert not CalendarDay.objects.exists()
    assert AuditLog.objects.filter(action="reports.calendar.delete").exists()
    assert client.get(url, {"year": "x"}).status_code == 200


def test_a_rule_is_set_to_working_days_on_its_page(w, client):
    client.force_login(w.ops)
    response = client.post(
        reverse("governance:reports:rule_edit", args=[w.rule.pk]),
        {
            "category": w.category.pk,
            "department": w.department.pk,
            "deadline_hours": 72,
            "sign_hours": 4,
            "working_days": "on",
            "priority": 1,
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    w.rule.refresh_from_db()
    assert w.rule.working_days
    assert "工作日" in client.get(reverse("governance:reports:rules")).content.decode()
    with time_machine.travel(local("2026-12-05 10:00"), tick=False):  # Saturday
        report = w.submit()
    assert report.assignment.deadline == local("2026-12-10 00:00")
    assert Notification.objects.filter(recipient=w.staff, title__contains="2026-12-10 00:00").exists()
