"""督办: an overdue report is escalated once to its department's supervisor (分管领导) and the centre,
on a controlled clock; the supervisor oversees the department's reports without handling them."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from django.urls import reverse
from django.utils import timezone

from core.models import Notification, Role
from core.tests.factories import make_user_with_role
from governance.reports import selectors
from governance.reports.models import Assignment, Rating, Report, ReportEvent
from governance.reports.routing import websocket_urlpatterns
from governance.reports.services import workflow as wf
from governance.reports.services.workflow import TransitionRefusedError

from .factories import World

pytestmark = pytest.mark.django_db

ESCALATED = "超期督办"
OVERDUE_FOR_STAFF = "请立即办理"


@pytest.fixture
def w():
    world = World()
    world.supervisor = make_user_with_role(Role.DEPARTMENT_SUPERVISOR, department=world.department)
    world.other_supervisor = make_user_with_role(Role.DEPARTMENT_SUPERVISOR, department=world.other_department)
    return world


def titles(user) -> list[str]:
    return list(Notification.objects.filter(recipient=user, kind="reports.report").values_list("title", flat=True))


def escalations(user) -> int:
    return sum(ESCALATED in t for t in titles(user))


def test_an_overdue_report_is_escalated_once_to_the_supervisor_and_the_centre(w, client):
    start = timezone.now().replace(microsecond=0)
    with time_machine.travel(start, tick=False):
        report = w.submit()  # 48 h from dispatch
    with time_machine.travel(start + dt.timedelta(hours=47, minutes=59), tick=False):
        assert wf.reports_tick()["overdue"] == 0
    assert escalations(w.supervisor) == escalations(w.ops) == 0

    with time_machine.travel(start + dt.timedelta(hours=48, seconds=1), tick=False):
        assert wf.reports_tick()["overdue"] == 1
    with time_machine.travel(start + dt.timedelta(hours=49), tick=False):
        assert wf.reports_tick()["overdue"] == 0  # the next tick, an hour on: nobody is told twice
        assert wf.reports_tick()["overdue"] == 0

    assert escalations(w.supervisor) == 1 and escalations(w.ops) == 1
    assert f"超期督办：{w.department.name} 的问题 {report.number} 已超期" in titles(w.supervisor)
    assert escalations(w.other_supervisor) == 0 and titles(w.other_supervisor) == []
    assert sum(OVERDUE_FOR_STAFF in t for t in titles(w.staff)) == 1 and escalations(w.staff) == 0
    assert titles(w.other_staff) == []

    report.refresh_from_db()
    escalate = report.events.get(action=ReportEvent.Action.ESCALATE)  # exactly one
    assert escalate.created_at == start + dt.timedelta(hours=48, seconds=1)
    assert escalate.data["supervisors"] == 1 and "分管领导" in escalate.note
    assert report.assignment.overdue and report.assignment.escalated_at == escalate.created_at
    assert report.status == Report.Status.DISPATCHED  # escalation flags it; the department still has to act
    client.force_login(w.supervisor)
    card = client.get(reverse("governance:reports:detail", args=[report.pk]), {"fragment": 1}).content.decode()
    assert '<span class="rp-flag">超期 · 督办</span>' in card


def test_two_ticks_racing_escalate_and_notify_once(w):
    start = timezone.now().replace(microsecond=0)
    with time_machine.travel(start, tick=False):
        report = w.submit()
    # Both ticks read the open assignment before either wrote: the claim lets one through.
    first, second = Assignment.objects.get(pk=report.assignment_id), Assignment.objects.get(pk=report.assignment_id)
    late = start + dt.timedelta(hours=49)
    with time_machine.travel(late, tick=False):
        assert wf._escalate(first, at=late) == 1
        assert wf._escalate(second, at=late) == 0
    assert escalations(w.supervisor) == 1 and escalations(w.ops) == 1
    assert report.events.filter(action=ReportEvent.Action.ESCALATE).count() == 1


def test_a_report_resolved_in_time_or_returned_is_never_escalated(w):
    start = timezone.now().replace(microsecond=0)
    with time_machine.travel(start, tick=False):
        resolved, returned = w.submit(), w.submit(key="second")
        wf.report_sign(report=resolved, by=w.staff)
        wf.report_resolve(report=resolved, by=w.staff, result="已清理")
        wf.report_return(report=returned, by=w.staff, reason="不属于本部门职责")
    with time_machine.travel(start + dt.timedelta(days=3), tick=False):
        assert wf.reports_tick()["overdue"] == 0
    assert escalations(w.supervisor) == 0 and escalations(w.ops) == 0


def test_the_supervisor_oversees_the_departments_reports_but_does_not_handle_them(w, client):
    mine, other = w.submit(anonymous=True), w.submit(category=w.unruled, key="other")
    wf.report_dispatch(report=other, by=w.ops, department=w.other_department)
    client.force_login(w.supervisor)
    page = client.get(reverse("governance:reports:detail", args=[mine.pk]))
    assert page.status_code == 200
    assert w.reporter.get_full_name() not in page.content.decode()  # anonymous towards the department
    sign_form = 'action="{}"'.format(reverse("governance:reports:act", args=[mine.pk, "sign"]))
    assert sign_form not in page.content.decode()
    assert client.get(reverse("governance:reports:detail", args=[other.pk])).status_code == 404
    assert client.get(reverse("governance:reports:detail", args=[10**6])).status_code == 404
    assert client.get(reverse("governance:reports:department")).status_code == 200
    assert client.get(reverse("governance:reports:review")).status_code == 200
    with pytest.raises(TransitionRefusedError):
        wf.report_sign(report=mine, by=w.supervisor)
    client.post(reverse("governance:reports:act", args=[mine.pk, "sign"]))
    assert Report.objects.get(pk=mine.pk).status == Report.Status.DISPATCHED
    client.force_login(w.staff)  # the staff, by contrast, are offered it
    assert sign_form in client.get(reverse("governance:reports:detail", args=[mine.pk])).content.decode()


def _overdue_tabs(department) -> tuple[bool, bool]:
    return (
        selectors.centre_queue("overdue").exists(),
        selectors.department_queue([department.pk], "overdue").exists(),
    )


def test_a_reopened_report_that_misses_its_new_deadline_is_escalated_again(w, client):
    start = timezone.now().replace(microsecond=0)
    with time_machine.travel(start, tick=False):
        report = w.submit()  # 48 h from dispatch
        wf.report_sign(report=report, by=w.staff)
    with time_machine.travel(start + dt.timedelta(hours=49), tick=False):
        assert wf.reports_tick()["overdue"] == 1  # the first deadline missed: 督办
        wf.report_resolve(report=report, by=w.staff, result="已清理")
    reopened_at = start + dt.timedelta(hours=50)
    with time_machine.travel(reopened_at, tick=False):
        wf.report_rate(report=report, by=w.reporter, rating=Rating.UNSATISFIED, comment="垃圾又堆回来了")
    report.refresh_from_db()
    a = report.assignment
    # Reopened with a fresh 48 h: no longer flagged overdue on screens, though the first stint's
    # overdue still counts in the figures.
    assert a.deadline == reopened_at + dt.timedelta(hours=48) and a.escalated_at is None and a.overdue
    assert _overdue_tabs(w.department) == (False, False)
    client.force_login(w.staff)
    card = client.get(reverse("governance:reports:detail", args=[report.pk]), {"fragment": 1}).content.decode()
    assert "rp-flag" not in card

    with time_machine.travel(reopened_at + dt.timedelta(hours=37), tick=False):  # the new deadline's reminder
        assert wf.reports_tick() == {"reminded": 1, "overdue": 0, "closed_unrated": 0}
    with time_machine.travel(reopened_at + dt.timedelta(hours=47, minutes=59), tick=False):
        assert wf.reports_tick()["overdue"] == 0
    assert escalations(w.supervisor) == 1 and escalations(w.ops) == 1
    with time_machine.travel(reopened_at + dt.timedelta(hours=48, seconds=1), tick=False):
        assert wf.reports_tick()["overdue"] == 1  # the new deadline missed too: 督办 again
        assert wf.reports_tick()["overdue"] == 0  # and once
    with time_machine.travel(reopened_at + dt.timedelta(hours=60), tick=False):
        assert wf.reports_tick()["overdue"] == 0
    assert escalations(w.supervisor) == 2 and escalations(w.ops) == 2
    assert sum(OVERDUE_FOR_STAFF in t for t in titles(w.staff)) == 2
    events = list(report.events.filter(action=ReportEvent.Action.ESCALATE).order_by("created_at"))
    assert [e.created_at for e in events] == [
        start + dt.timedelta(hours=49),
        reopened_at + dt.timedelta(hours=48, seconds=1),
    ]
    assert events[1].data["deadline"] == (reopened_at + dt.timedelta(hours=48)).isoformat()
    assert _overdue_tabs(w.department) == (True, True)
    card = client.get(reverse("governance:reports:detail", args=[report.pk]), {"fragment": 1}).content.decode()
    assert '<span class="rp-flag">超期 · 督办</span>' in card


def test_a_report_extended_after_its_escalation_is_escalated_again_when_the_extension_runs_out(w):
    start = timezone.now().replace(microsecond=0)
    with time_machine.travel(start, tick=False):
        report = w.submit()
        wf.report_sign(report=report, by=w.staff)
    with time_machine.travel(start + dt.timedelta(hours=49), tick=False):
        assert wf.reports_tick()["overdue"] == 1
        wf.report_request_extension(report=report, by=w.staff, hours=24, reason="需要协调物业")
        wf.report_decide_extension(report=report, by=w.ops, approve=True)
        assert _overdue_tabs(w.department) == (False, False)
    with time_machine.travel(start + dt.timedelta(hours=71, minutes=59), tick=False):
        assert wf.reports_tick()["overdue"] == 0
    with time_machine.travel(start + dt.timedelta(hours=72, seconds=1), tick=False):
        assert wf.reports_tick()["overdue"] == 1
        assert wf.reports_tick()["overdue"] == 0
    assert escalations(w.supervisor) == 2 and escalations(w.ops) == 2
    assert report.events.filter(action=ReportEvent.Action.ESCALATE).count() == 2


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
async def test_the_escalation_reaches_open_report_pages_live(w):
    from asgiref.sync import sync_to_async

    supervisor = await sync_to_async(make_user_with_role)(Role.DEPARTMENT_SUPERVISOR, department=w.department)
    report = await sync_to_async(w.submit)()
    communicator = WebsocketCommunicator(URLRouter(websocket_urlpatterns), f"/ws/reports/{report.pk}/?last=2")
    communicator.scope["user"] = supervisor
    connected, _ = await communicator.connect()
    assert connected
    assert (await communicator.receive_json_from())["type"] == "hello"
    late = report.deadline + dt.timedelta(minutes=1)
    assert (await sync_to_async(wf.reports_tick)(at=late))["overdue"] == 1
    assert await communicator.receive_json_from(timeout=5) == {"type": "changed", "seq": 3, "status": "dispatched"}
    assert (await sync_to_async(wf.reports_tick)(at=late + dt.timedelta(hours=1)))["overdue"] == 0
    assert await communicator.receive_nothing(timeout=0.5)
    await communicator.disconnect()
