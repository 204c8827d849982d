"""The cloud classroom in the JSON API (/api/learning/…): courses, lessons, progress, my record.

The same access layer as the site decides what each caller sees; a course or lesson the caller may
not see is a 404. Progress reports need the session (and its CSRF token, as every POST does).
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router, Schema, Status
from ninja.security import django_auth

from core import ratelimit
from learning.access import access_course_by_id, access_lesson_by_id
from learning.models import LessonKind, LessonPage, Topic
from learning.selectors import course_cards, course_list, course_outline, learning_record, lesson_progress, poster_url
from learning.services.progress import ProgressError, lesson_mark_done, progress_report, progress_ticket
from learning.signing import media_url

router = Router(tags=["learning"])
PAGE_SIZE = 20


class CourseOut(Schema):
    id: int
    title: str
    topic: str
    topic_label: str
    summary: str
    teacher: str
    visibility: str
    url: str
    lessons: int
    completed: int
    poster: str | None = None


class LessonBrief(Schema):
    id: int
    title: str
    kind: str
    url: str
    duration: float
    watched: float = 0
    completed: bool = False


class CourseDetailOut(CourseOut):
    description_html: str
    lesson_list: list[LessonBrief]


class MediaOut(Schema):
    status: str
    master: str | None = None
    audio: str | None = None
    audio_file: str | None = None
    poster: str | None = None
    renditions: list[dict] = []


class LessonOut(Schema):
    id: int
    course_id: int
    title: str
    kind: str
    summary: str
    url: str
    duration: float
    body_html: str = ""
    external_url: str = ""
    media: MediaOut | None = None
    position: float = 0
    watched: float = 0
    completed: bool = False
    ticket: str | None = None


class ProgressIn(Schema):
    ticket: str = ""
    intervals: list[Any] = []
    position: float | None = None


class DoneIn(Schema):
    ticket: str = ""


class ProgressOut(Schema):
    lesson_id: int
    watched: float
    duration: float
    position: float
    completed: bool


class ErrorOut(Schema):
    detail: str
    code: str


class MonthOut(Schema):
    month: str
    hours: float
    completed: int


class CourseRecordOut(Schema):
    course_id: int
    title: str
    hours: float
    completed: int


class RecordOut(Schema):
    total_hours: float
    completed: int
    months: list[MonthOut]
    courses: list[CourseRecordOut]


def _course_out(card) -> dict:
    course = card.course
    return {
        "id": course.pk,
        "title": course.title,
        "topic": course.topic,
        "topic_label": str(Topic(course.topic).label),
        "summary": course.summary,
        "teacher": course.teacher,
        "visibility": course.visibility,
        "url": course.url or "",
        "lessons": card.lessons,
        "completed": card.completed,
        "poster": card.poster,
    }


@router.get("/courses", response=list[CourseOut], url_name="learning_courses", summary="Courses the caller may see")
def courses(request: HttpRequest, topic: str = "", q: str = "", page: int = 1):
    items = list(course_list(request.user, topic=topic, query=q)[max(0, page - 1) * PAGE_SIZE :][:PAGE_SIZE])
    return [_course_out(card) for card in course_cards(request.user, items)]


@router.get(
    "/courses/{course_id}",
    response=CourseDetailOut,
    url_name="learning_course_detail",
    summary="One course with its lessons and the caller's progress",
)
def course_detail(request: HttpRequest, course_id: int):
    course = access_course_by_id(request.user, course_id)
    card = course_cards(request.user, [course])[0]
    lessons = [
        {
            "id": item.lesson.pk,
            "title": item.lesson.title,
            "kind": item.lesson.kind,
            "url": item.lesson.url or "",
            "duration": item.lesson.duration(),
            "watched": item.progress.watched_seconds if item.progress else 0,
            "completed": bool(item.progress and item.progress.completed_at),
        }
        for item in course_outline(request.user, course)
    ]
    return {**_course_out(card), "description_html": course.description, "lesson_list": lessons}


def _lesson_out(request: HttpRequest, lesson: LessonPage) -> dict:
    progress = lesson_progress(request.user, lesson)
    media = None
    if lesson.is_media and lesson.media_id:
        asset = lesson.media
        media = {"status": asset.status}
        if asset.is_ready:
            media.update(
                master=media_url(asset.storage_key, "master.m3u8"),
                audio=media_url(asset.storage_key, asset.audio_playlist) if asset.audio_playlist else None,
                audio_file=media_url(asset.storage_key, "audio.m4a") if asset.has_audio_file else None,
                poster=poster_url(asset),
                renditions=[{"name": r["name"], "width": r["width"], "height": r["height"]} for r in asset.renditions],
            )
    return {
        "id": lesson.pk,
        "course_id": lesson.course_page().pk,
        "title": lesson.title,
        "kind": lesson.kind,
        "summary": lesson.summary,
        "url": lesson.url or "",
        "duration": lesson.duration(),
        "body_html": lesson.body if lesson.kind == LessonKind.ARTICLE else "",
        # Opening it counts once the client reports it (POST …/done), as the site's link-out does.
        "external_url": lesson.external_url if lesson.kind == LessonKind.LINK else "",
        "media": media,
        "position": progress.position if progress else 0,
        "watched": progress.watched_seconds if progress else 0,
        "completed": bool(progress and progress.completed_at),
        "ticket": progress_ticket(user=request.user, lesson=lesson) if request.user.is_authenticated else None,
    }


@router.get(
    "/lessons/{lesson_id}",
    response=LessonOut,
    url_name="learning_lesson_detail",
    summary="One lesson: signed media URLs, the caller's position, and a progress ticket",
)
def lesson_detail(request: HttpRequest, lesson_id: int):
    return _lesson_out(request, access_lesson_by_id(request.user, lesson_id))


def _progress_out(lesson: LessonPage, progress) -> dict:
    return {
        "lesson_id": lesson.pk,
        "watched": progress.watched_seconds,
        "duration": lesson.duration(),
        "position": progress.position,
        "completed": progress.completed_at is not None,
    }


# A player reports every 15 s and on pauses; this is far above that and stops a client hammering.
PROGRESS_REPORTS_PER_MINUTE = 60


@router.post(
    "/lessons/{lesson_id}/progress",
    auth=django_auth,
    response={200: ProgressOut, 400: ErrorOut, 429: ErrorOut},
    url_name="learning_progress_report",
    summary="Report the intervals played since the last report",
)
def report_progress(request: HttpRequest, lesson_id: int, payload: ProgressIn):
    if ratelimit.hit("learning.progress", str(request.user.pk), window=60) > PROGRESS_REPORTS_PER_MINUTE:
        return Status(429, {"detail": _("Too many progress reports; wait a moment."), "code": "rate_limited"})
    lesson = access_lesson_by_id(request.user, lesson_id)
    try:
        progress = progress_report(
            user=request.user,
            lesson=lesson,
            ticket=payload.ticket,
            intervals=payload.intervals,
            position=payload.position,
        )
    except ProgressError as exc:
        return Status(400, {"detail": str(exc), "code": exc.code})
    return _progress_out(lesson, progress)


@router.post(
    "/lessons/{lesson_id}/done",
    auth=django_auth,
    response={200: ProgressOut, 400: ErrorOut},
    url_name="learning_lesson_done",
    summary="An article read to its end, or a link opened",
)
def lesson_done(request: HttpRequest, lesson_id: int, payload: DoneIn):
    lesson = access_lesson_by_id(request.user, lesson_id)
    try:
        progress = lesson_mark_done(user=request.user, lesson=lesson, ticket=payload.ticket)
    except ProgressError as exc:
        return Status(400, {"detail": str(exc), "code": exc.code})
    return _progress_out(lesson, progress)


@router.get(
    "/me/record",
    auth=django_auth,
    response=RecordOut,
    url_name="learning_my_record",
    summary="The caller's learning record: hours and completed lessons per month and course",
)
def my_record(request: HttpRequest):
    data = learning_record(request.user)
    return {
        "total_hours": data.total_hours,
        "completed": data.completed,
        "months": [{"month": row.label, "hours": row.hours, "completed": row.completed} for row in data.months],
        "courses": [
            {"course_id": row.key, "title": row.label, "hours": row.hours, "completed": row.completed}
            for row in data.courses
        ],
    }
