"""Progress accounting: what counts as watched, seeks, two devices, the wall-clock budget, completion."""

from __future__ import annotations

import time

import pytest
from django.utils import timezone

from learning.models import LearningDay, LessonKind, LessonProgress
from learning.selectors import learning_record
from learning.services.courses import lesson_create
from learning.services.progress import (
    ProgressError,
    covered_seconds,
    lesson_mark_done,
    merge_intervals,
    progress_report,
    progress_ticket,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def setup(world):
    member = world.people["member_a1"]
    lesson = world.lessons["members"]  # 120 s of video
    return member, lesson


def ticket_from(member, lesson, seconds_ago: float, device: str = "phone") -> str:
    return progress_ticket(user=member, lesson=lesson, issued_at=time.time() - seconds_ago, device=device)


def test_merge_and_coverage():
    assert merge_intervals([[10, 20], [0, 5], [4, 8], [20.02, 30]]) == [[0, 8], [10, 30]]
    assert covered_seconds([[0, 8], [10, 30]]) == 28


def test_seeking_ahead_does_not_count_as_watching(setup):
    member, lesson = setup
    ticket = ticket_from(member, lesson, 60)
    # Watched 0–20 s, jumped to 100 s and watched to 110 s: 30 s watched, not 110.
    progress = progress_report(user=member, lesson=lesson, ticket=ticket, intervals=[[0, 20], [100, 110]], position=110)
    assert progress.watched_seconds == 30 and progress.position == 110 and progress.completed_at is None
    assert LearningDay.objects.get(user=member, lesson=lesson).seconds == 30


def test_two_devices_merge_and_rewatching_adds_nothing(setup):
    member, lesson = setup
    phone = ticket_from(member, lesson, 100, device="phone")
    laptop = ticket_from(member, lesson, 100, device="laptop")
    progress_report(user=member, lesson=lesson, ticket=phone, intervals=[[0, 60]], position=60)
    progress = progress_report(user=member, lesson=lesson, ticket=laptop, intervals=[[40, 100]], position=100)
    assert progress.intervals == [[0, 100]] and progress.watched_seconds == 100
    # The phone plays 20–40 s again: nothing new, no extra learning time.
    progress = progress_report(
        user=member, lesson=lesson, ticket=phone, intervals=[[20, 40]], position=40, now=time.time() + 20
    )
    assert progress.watched_seconds == 100 and progress.position == 40  # the latest position wins
    assert LearningDay.objects.get(user=member, lesson=lesson).seconds == 100
    assert set(progress.devices) == {"phone", "laptop"}


def test_completion_at_ninety_percent_and_it_stays_complete(setup):
    member, lesson = setup
    ticket = ticket_from(member, lesson, 200)
    progress = progress_report(user=member, lesson=lesson, ticket=ticket, intervals=[[0, 107]])
    assert progress.completed_at is None  # 107 of 120 s is 89 %
    progress = progress_report(user=member, lesson=lesson, ticket=ticket, intervals=[[107, 108]])
    assert progress.completed_at is not None  # 108 s is 90 %
    first = progress.completed_at
    progress = progress_report(user=member, lesson=lesson, ticket=ticket, intervals=[[110, 120]], now=time.time() + 10)
    assert progress.completed_at == first and progress.watched_seconds == 118


def test_a_report_cannot_claim_more_than_the_wall_clock_allows(setup):
    member, lesson = setup
    # The page was opened 10 s ago: at 2× speed at most 20 s (+ slack) can have been played.
    fresh = ticket_from(member, lesson, 10)
    with pytest.raises(ProgressError) as rejected:
        progress_report(user=member, lesson=lesson, ticket=fresh, intervals=[[0, 60]])
    assert rejected.value.code == "over_budget"
    assert not LessonProgress.objects.filter(user=member, lesson=lesson, watched_seconds__gt=0).exists()
    progress = progress_report(user=member, lesson=lesson, ticket=fresh, intervals=[[0, 20]])
    assert progress.watched_seconds == 20
    # The next report is measured from this one, not from when the page was opened.
    with pytest.raises(ProgressError):
        progress_report(user=member, lesson=lesson, ticket=fresh, intervals=[[20, 40]])
    later = time.time() + 15
    progress = progress_report(user=member, lesson=lesson, ticket=fresh, intervals=[[20, 40]], now=later)
    assert progress.watched_seconds == 40


@pytest.mark.parametrize(
    ("intervals", "code"),
    [
        ([[0, 10]] * 51, "invalid"),  # too many pieces
        ([[0, 130]], "invalid"),  # past the end of a 120 s lesson
        ([[-5, 10]], "invalid"),
        ([[10, 5]], "invalid"),
        ([["a", 5]], "invalid"),
        ("0-10", "invalid"),
        ([[0, float("nan")]], "invalid"),
    ],
)
def test_malformed_reports_are_refused(setup, intervals, code):
    member, lesson = setup
    with pytest.raises(ProgressError) as rejected:
        progress_report(user=member, lesson=lesson, ticket=ticket_from(member, lesson, 600), intervals=intervals)
    assert rejected.value.code == code


def test_tickets_belong_to_one_member_one_lesson_and_expire(setup, world):
    member, lesson = setup
    other = world.people["member_a2"]
    ticket = ticket_from(member, lesson, 60)
    for user, target, token in (
        (other, lesson, ticket),  # someone else's ticket
        (member, world.lessons["public"], ticket),  # another lesson's ticket
        (member, lesson, ticket + "x"),  # tampered
        (member, lesson, ticket_from(member, lesson, 25 * 3600)),  # older than a day
    ):
        with pytest.raises(ProgressError) as rejected:
            progress_report(user=user, lesson=target, ticket=token, intervals=[[0, 10]])
        assert rejected.value.code == "expired"


def test_articles_complete_when_read_and_links_when_opened(world):
    member = world.people["member_a1"]
    course = world.courses["members"]
    article = lesson_create(
        course=course, title="学习笔记", kind=LessonKind.ARTICLE, body="<p>正文</p>", study_minutes=10
    )
    link = lesson_create(
        course=course,
        title="学习强国专题",
        kind=LessonKind.LINK,
        external_url="https://www.xuexi.cn/",
        study_minutes=20,
    )
    with pytest.raises(ProgressError) as rejected:  # opened two seconds ago: not read yet
        lesson_mark_done(user=member, lesson=article, ticket=ticket_from(member, article, 2))
    assert rejected.value.code == "too_soon"
    done = lesson_mark_done(user=member, lesson=article, ticket=ticket_from(member, article, 40))
    assert done.completed_at is not None and done.watched_seconds == 600
    again = lesson_mark_done(user=member, lesson=article, ticket=ticket_from(member, article, 60))
    assert again.completed_at == done.completed_at
    assert lesson_mark_done(user=member, lesson=link).completed_at is not None
    assert LearningDay.objects.filter(user=member, lesson=article).get().seconds == 600  # credited once
    with pytest.raises(ProgressError):
        progress_report(user=member, lesson=article, ticket=ticket_from(member, article, 60), intervals=[[0, 1]])


def test_the_learning_record_sums_per_month_and_course(setup, world):
    member, lesson = setup
    ticket = ticket_from(member, lesson, 3600)
    progress_report(user=member, lesson=lesson, ticket=ticket, intervals=[[0, 110]])
    link = lesson_create(
        course=world.courses["public"],
        title="外部课程",
        kind=LessonKind.LINK,
        external_url="https://example.org/",
        study_minutes=30,
    )
    lesson_mark_done(user=member, lesson=link)
    # Last month's learning, recorded then.
    last_month = timezone.localdate().replace(day=1) - timezone.timedelta(days=3)
    LearningDay.objects.create(
        user=member, lesson=world.lessons["public"], course=world.courses["public"], day=last_month, seconds=1800
    )
    record = learning_record(member)
    assert record.total_seconds == 110 + 1800 + 1800 and record.completed == 2
    this, previous = record.months[0], record.months[1]
    assert (this.seconds, this.completed) == (110 + 1800, 2)
    assert (previous.label, previous.seconds, previous.completed) == (f"{last_month:%Y-%m}", 1800, 0)
    by_course = {row.label: (row.seconds, row.completed) for row in record.courses}
    assert by_course == {"党章党规逐条学": (110, 1), "党史学习公开课": (3600, 1)}
    # Another member's record is their own.
    assert learning_record(world.people["member_b"]).total_seconds == 0
