"""The party demo at a small scale: branches that studied a course together show it in their
organisational life, linked by the same service the receivers use, with the members who really
completed every lesson."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone, translation
from wagtail.models import Page

from core.models import User
from learning.models import CoursePage, LessonPage, LessonProgress
from party.models import Meeting, MemberRecord

SCALE = 0.02

pytestmark = pytest.mark.xdist_group("party-demo")


@pytest.fixture
def seeded(demo_seeded, db):
    """The module's demo; changes a test makes are rolled back after it."""


def test_course_meetings_are_real_completions(seeded):
    meetings = list(Meeting.objects.filter(source=Meeting.Source.COURSE).select_related("org"))
    assert len(meetings) >= 3
    for meeting in meetings:
        course = CoursePage.objects.get(pk=meeting.course_id)
        lessons = set(LessonPage.objects.live().child_of(Page.objects.get(pk=course.pk)).values_list("pk", flat=True))
        attendees = list(meeting.attendees.all())
        assert attendees and meeting.present == len(attendees)
        last = None
        for record in attendees:
            assert record.branch_id == meeting.org_id and record.state == MemberRecord.State.ACTIVE
            done = LessonProgress.objects.filter(user_id=record.user_id, course=course, completed_at__isnull=False)
            assert set(done.values_list("lesson_id", flat=True)) >= lessons
            latest = max(done.values_list("completed_at", flat=True))
            last = latest if last is None or latest > last else last
        assert meeting.held_on == timezone.localdate(last)


def test_the_demo_secretary_sees_a_course_in_the_branch_life(client, seeded):
    secretary = User.objects.get(username="demo_secretary")
    client.force_login(secretary)
    branch = secretary.party_roles.get().party_org
    meeting = Meeting.objects.filter(org=branch, source=Meeting.Source.COURSE).order_by("-held_on").first()
    assert meeting is not None
    with translation.override("zh-hans"):
        label = str(Meeting.Source.COURSE.label)
    page = client.get(reverse("party:org_life", args=[branch.pk]), {"year": meeting.held_on.year}).content.decode()
    table = page.split('id="meetings"')[1].split("</table>")[0]
    assert meeting.topic in table and label in table
