"""The member's own learning record: the yearly requirement in class hours, live sessions credited,
units on every figure, and an Excel export of the person's own record only."""

from __future__ import annotations

import datetime
import io

import pytest
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from learning.models import LearningDay
from learning.templatetags.learning_tags import learning_time
from learning.tests.factories import make_world
from streaming.models import LiveEvent, MemberAttendance
from streaming.tests.factories import make_event

pytestmark = pytest.mark.django_db


@pytest.fixture
def learner():
    world = make_world(with_files=False)
    member = world.people["member_a1"]
    lesson = world.lessons["public"]
    course = world.courses["public"]
    today = timezone.localdate()
    # 90 minutes of lessons this year, and a long-ago day that does not count toward this year.
    LearningDay.objects.create(user=member, lesson=lesson, course=course, day=today, seconds=5400)
    LearningDay.objects.create(
        user=member, lesson=lesson, course=course, day=today.replace(year=today.year - 1), seconds=7200
    )
    event = make_event(
        organiser=world.people["ops"], state=LiveEvent.State.ENDED, start_in=datetime.timedelta(hours=-3)
    )
    LiveEvent.objects.filter(pk=event.pk).update(started_at=timezone.now() - datetime.timedelta(hours=3))
    MemberAttendance.objects.create(event=event, user=member, seconds=2700)  # 45 minutes watched on their own
    return world, member, event


@override_settings(LEARNING_YEARLY_CLASS_HOURS=32, LEARNING_CLASS_HOUR_MINUTES=45)
def test_record_shows_the_yearly_requirement_with_lessons_and_live_sessions(client, learner):
    world, member, event = learner
    client.force_login(member)
    html = client.get(reverse("learning:record")).content.decode()
    # 90 min of lessons = 2.0 class hours, 45 min live = 1.0: 3.0 of 32 this year.
    assert "<b>3.0</b> / 32 学时" in html
    assert "还差 29.0 学时" in html and "课程学习 2.0 学时" in html and "直播学习 1.0 学时" in html
    assert event.title in html and "个人观看" in html
    assert '<progress max="100" value="9"' in html
    assert "style=" not in html[html.index("<main") :]  # the chart is SVG attributes, not inline styles


def test_no_zero_minutes_beside_finished_work():
    assert learning_time(0) == "—"
    assert learning_time(5400) == "1 小时 30 分钟 · 2.0 学时"


def test_export_is_the_members_own_record(client, learner):
    world, member, event = learner
    other = world.people["member_b"]
    LearningDay.objects.create(
        user=other, lesson=world.lessons["public"], course=world.courses["public"], day=timezone.localdate(), seconds=60
    )
    client.force_login(member)
    response = client.get(reverse("learning:record_xlsx"))
    assert response.status_code == 200 and response["Content-Type"].startswith("application/vnd.openxml")
    book = load_workbook(io.BytesIO(response.content))
    summary = {row[0]: row[1] for row in book.worksheets[0].iter_rows(values_only=True)}
    assert summary["姓名"] == member.get_full_name() and summary["本年度已学（学时）"] == 3.0
    live = list(book.worksheets[3].iter_rows(values_only=True))
    assert live[1][0] == event.title
    assert other.get_full_name() not in str([list(ws.values) for ws in book.worksheets])


def test_export_needs_sign_in(client):
    response = client.get(reverse("learning:record_xlsx"))
    assert response.status_code == 302
