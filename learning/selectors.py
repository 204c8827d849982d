"""Reads of the cloud classroom that are more than one line: listings, outlines, the learning record."""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass, field

from django.conf import settings
from django.core.paginator import Paginator
from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import TruncMonth
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from wagtail.models import Page

from core.models import PartyOrg, Role, User
from core.search import query_terms
from learning.access import course_filter, lesson_filter
from learning.models import (
    CoursePage,
    LearningDay,
    LessonKind,
    LessonPage,
    LessonProgress,
    MediaAsset,
    Topic,
    Visibility,
)
from learning.services.progress import min_read_seconds, progress_ticket
from learning.signing import feed_key, media_url

MAX_QUERY_LENGTH = 60


def search_filter(query: str) -> Q | None:
    """Every term of the query (Chinese bigrams, words) must be among the page's indexed terms."""
    terms = query_terms((query or "")[:MAX_QUERY_LENGTH]).split()
    if not terms:
        return None
    condition = Q()
    for term in terms[:12]:
        condition &= Q(search_terms__contains=f" {term} ")
    return condition


def course_list(user: User, *, topic: str | None = None, query: str = "") -> QuerySet[CoursePage]:
    courses = CoursePage.objects.live().filter(course_filter(user))
    if topic and topic in Topic.values:
        courses = courses.filter(topic=topic)
    if condition := search_filter(query):
        # A course is found by its own words or by those of one of its lessons.
        lesson_paths = LessonPage.objects.live().filter(condition).values_list("path", flat=True)[:500]
        parents = {p[: -Page.steplen] for p in lesson_paths}
        courses = courses.filter(condition | Q(path__in=parents))
    return courses.order_by("path")


def visible_lessons(user: User, course: CoursePage) -> QuerySet[LessonPage]:
    return LessonPage.objects.live().child_of(course).filter(lesson_filter(user)).order_by("path")


def poster_url(asset: MediaAsset | None) -> str | None:
    if asset is not None and asset.is_ready and asset.has_poster:
        return media_url(asset.storage_key, "poster.jpg")
    return None


@dataclass
class CourseCard:
    course: CoursePage
    lessons: int = 0
    completed: int = 0
    minutes: int = 0
    poster: str | None = None
    kinds: set[str] = field(default_factory=set)

    @property
    def percent(self) -> int:
        return round(100 * self.completed / self.lessons) if self.lessons else 0


def course_cards(user: User, courses: list[CoursePage]) -> list[CourseCard]:
    """Cards for a page of courses: lesson counts, the member's completions, a poster. Three queries."""
    cards = {c.path: CourseCard(course=c) for c in courses}
    if not cards:
        return []
    condition = Q()
    for path in cards:
        condition |= Q(path__startswith=path)
    lessons = (
        LessonPage.objects.live()
        .filter(condition, depth=courses[0].depth + 1)
        .filter(lesson_filter(user))
        .select_related("media")
        .order_by("path")
    )
    lesson_course: dict[int, str] = {}
    for lesson in lessons:
        card = cards.get(lesson.path[: -Page.steplen])
        if card is None:
            continue
        lesson_course[lesson.pk] = card.course.path
        card.lessons += 1
        card.kinds.add(lesson.kind)
        card.minutes += round(lesson.duration() / 60)
        if card.poster is None:
            card.poster = poster_url(lesson.media)
    if user.is_authenticated and lesson_course:
        done = LessonProgress.objects.filter(
            user=user, lesson_id__in=lesson_course, completed_at__isnull=False
        ).values_list("lesson_id", flat=True)
        for lesson_id in done:
            cards[lesson_course[lesson_id]].completed += 1
    return [cards[c.path] for c in courses]


@dataclass
class OutlineItem:
    lesson: LessonPage
    progress: LessonProgress | None

    @property
    def percent(self) -> int:
        if self.progress is None:
            return 0
        if self.progress.completed_at:
            return 100
        duration = self.lesson.duration()
        return min(99, round(100 * self.progress.watched_seconds / duration)) if duration else 0


def course_outline(user: User, course: CoursePage) -> list[OutlineItem]:
    lessons = list(visible_lessons(user, course).select_related("media"))
    progress: dict[int, LessonProgress] = {}
    if user.is_authenticated and lessons:
        progress = {p.lesson_id: p for p in LessonProgress.objects.filter(user=user, lesson__in=lessons)}
    return [OutlineItem(lesson=lesson, progress=progress.get(lesson.pk)) for lesson in lessons]


def lesson_progress(user: User, lesson: LessonPage) -> LessonProgress | None:
    if not user.is_authenticated:
        return None
    return LessonProgress.objects.filter(user=user, lesson=lesson).first()


def lesson_neighbours(
    user: User, course: CoursePage, lesson: LessonPage
) -> tuple[LessonPage | None, LessonPage | None]:
    """The lessons before and after this one that the user may see, in one query."""
    siblings = list(visible_lessons(user, course).only("id", "title", "path", "url_path", "depth"))
    paths = [s.path for s in siblings]
    try:
        at = paths.index(lesson.path)
    except ValueError:
        return None, None
    return (siblings[at - 1] if at > 0 else None), (siblings[at + 1] if at + 1 < len(siblings) else None)


# --- The learning record ------------------------------------------------------------------------


@dataclass
class RecordRow:
    label: str
    seconds: float = 0.0
    completed: int = 0
    key: object = None
    url: str = ""
    lessons: int = 0

    @property
    def hours(self) -> float:
        return round(self.seconds / 3600, 1)

    @property
    def minutes(self) -> int:
        return round(self.seconds / 60)


@dataclass
class LearningRecord:
    total_seconds: float
    completed: int
    months: list[RecordRow]
    courses: list[RecordRow]

    @property
    def total_hours(self) -> float:
        return round(self.total_seconds / 3600, 1)


def learning_record(user: User, *, months: int = 12) -> LearningRecord:
    """The member's own hours and completed lessons per month (last `months`) and per course."""
    today = timezone.localdate()
    by_month: dict[datetime.date, RecordRow] = {}
    cursor = today.replace(day=1)
    for _month in range(months):
        by_month[cursor] = RecordRow(label=f"{cursor:%Y-%m}", key=cursor)
        cursor = (cursor - datetime.timedelta(days=1)).replace(day=1)
    first_month = min(by_month)
    days = LearningDay.objects.filter(user=user)
    for row in days.filter(day__gte=first_month).annotate(m=TruncMonth("day")).values("m").annotate(s=Sum("seconds")):
        month = row["m"] if isinstance(row["m"], datetime.date) else row["m"].date()
        if month in by_month:
            by_month[month].seconds = row["s"] or 0.0
    done = LessonProgress.objects.filter(user=user, completed_at__isnull=False)
    tz = timezone.get_current_timezone()
    for row in (
        done.filter(completed_at__date__gte=first_month)
        .annotate(m=TruncMonth("completed_at", tzinfo=tz))
        .values("m")
        .annotate(n=Count("id"))
    ):
        month = row["m"].date() if isinstance(row["m"], datetime.datetime) else row["m"]
        if month in by_month:
            by_month[month].completed = row["n"]
    per_course: dict[int, RecordRow] = {}
    seconds = defaultdict(float, {r["course_id"]: r["s"] for r in days.values("course_id").annotate(s=Sum("seconds"))})
    completed = {r["course_id"]: r["n"] for r in done.values("course_id").annotate(n=Count("id"))}
    course_ids = set(seconds) | set(completed)
    for course in CoursePage.objects.filter(pk__in=course_ids).order_by("path"):
        per_course[course.pk] = RecordRow(
            label=course.title,
            seconds=seconds.get(course.pk, 0.0),
            completed=completed.get(course.pk, 0),
            key=course.pk,
            url=course.url or "",
        )
    totals = days.aggregate(s=Sum("seconds"))
    return LearningRecord(
        total_seconds=totals["s"] or 0.0,
        completed=done.count(),
        months=list(by_month.values()),
        courses=sorted(per_course.values(), key=lambda r: -r.seconds),
    )


def class_hours(seconds: float) -> float:
    """Seconds as 学时 (class hours of LEARNING_CLASS_HOUR_MINUTES), one decimal."""
    return round(seconds / (settings.LEARNING_CLASS_HOUR_MINUTES * 60), 1)


@dataclass
class YearProgress:
    """The member's own progress toward the yearly requirement: lessons plus live sessions attended."""

    year: int
    lesson_seconds: float
    live_seconds: float
    required_class_hours: int

    @property
    def seconds(self) -> float:
        return self.lesson_seconds + self.live_seconds

    @property
    def class_hours(self) -> float:
        return class_hours(self.seconds)

    @property
    def lesson_class_hours(self) -> float:
        return class_hours(self.lesson_seconds)

    @property
    def live_class_hours(self) -> float:
        return class_hours(self.live_seconds)

    @property
    def percent(self) -> int:
        if not self.required_class_hours:
            return 100
        return min(100, round(100 * self.class_hours / self.required_class_hours))

    @property
    def remaining_class_hours(self) -> float:
        return max(0.0, round(self.required_class_hours - self.class_hours, 1))

    @property
    def met(self) -> bool:
        return self.class_hours >= self.required_class_hours


def year_progress(user: User, *, live_seconds: float, today: datetime.date | None = None) -> YearProgress:
    """This calendar year's learning (LearningDay rows) with the live credit the caller read from
    streaming.selectors.learning_credits_for (the live app's public contract)."""
    today = today or timezone.localdate()
    lessons = LearningDay.objects.filter(user=user, day__year=today.year).aggregate(s=Sum("seconds"))["s"] or 0.0
    return YearProgress(
        year=today.year,
        lesson_seconds=lessons,
        live_seconds=live_seconds,
        required_class_hours=settings.LEARNING_YEARLY_CLASS_HOURS,
    )


@dataclass
class ChartBar:
    label: str
    value: float  # class hours
    x: int
    y: int
    height: int


CHART_HEIGHT = 120  # drawing units of the SVG bar chart (its viewBox), bars up to this tall
CHART_BAR = 40


def month_chart(months: list[RecordRow], *, peak: float) -> list[ChartBar]:
    """Bars of the month chart, oldest month first, in SVG units (no inline styles: CSP)."""
    bars = []
    for i, row in enumerate(reversed(months)):
        height = round(CHART_HEIGHT * row.seconds / peak) if peak else 0
        if row.seconds and height < 2:
            height = 2
        bars.append(
            ChartBar(
                label=f"{row.key.month}",
                value=class_hours(row.seconds),
                x=i * (CHART_BAR + 10) + 5,
                y=20 + CHART_HEIGHT - height,  # the axis is at 140
                height=height,
            )
        )
    return bars


# --- Organisers' aggregates ---------------------------------------------------------------------


@dataclass
class OrgFigures:
    org: PartyOrg
    members: int = 0
    learners_month: int = 0
    seconds_month: float = 0.0
    seconds_year: float = 0.0
    completed_year: int = 0

    @property
    def hours_month(self) -> float:
        return round(self.seconds_month / 3600, 1)

    @property
    def hours_year(self) -> float:
        return round(self.seconds_year / 3600, 1)

    @property
    def hours_per_member_year(self) -> float:
        return round(self.seconds_year / 3600 / self.members, 1) if self.members else 0.0

    @property
    def learners_percent(self) -> int:
        return round(100 * self.learners_month / self.members) if self.members else 0


def _member_ids(orgs: list[PartyOrg]) -> dict[int, set[int]]:
    """Party members of each organisation and of every organisation under it."""
    from core.models import Membership

    by_path = {org.path: org.pk for org in orgs}
    members: dict[int, set[int]] = defaultdict(set)
    if not by_path:
        return members
    condition = Q()
    for path in by_path:
        condition |= Q(party_org__path__startswith=path)
    rows = Membership.objects.filter(condition, role=Role.MEMBER).values_list("user_id", "party_org__path")
    for user_id, path in rows:
        parts = path.strip("/").split("/")
        for i in range(len(parts)):
            org_id = by_path.get("/" + "/".join(parts[: i + 1]) + "/")
            if org_id is not None:
                members[org_id].add(user_id)
    return members


def org_figures(orgs: list[PartyOrg]) -> list[OrgFigures]:
    """Aggregates per organisation: never a name, never a ranking of people."""
    today = timezone.localdate()
    month_start, year_start = today.replace(day=1), today.replace(month=1, day=1)
    members = _member_ids(orgs)
    user_org: dict[int, list[int]] = defaultdict(list)
    for org_id, users in members.items():
        for user_id in users:
            user_org[user_id].append(org_id)
    figures = {org.pk: OrgFigures(org=org, members=len(members.get(org.pk, ()))) for org in orgs}
    if user_org:
        learners: dict[int, set[int]] = defaultdict(set)
        rows = (
            LearningDay.objects.filter(user_id__in=user_org, day__gte=year_start)
            .values("user_id")
            .annotate(year=Sum("seconds"), month=Sum("seconds", filter=Q(day__gte=month_start)))
        )
        for row in rows:
            for org_id in user_org[row["user_id"]]:
                fig = figures[org_id]
                fig.seconds_year += row["year"] or 0.0
                fig.seconds_month += row["month"] or 0.0
                if row["month"]:
                    learners[org_id].add(row["user_id"])
        for org_id, users in learners.items():
            figures[org_id].learners_month = len(users)
        completed = (
            LessonProgress.objects.filter(user_id__in=user_org, completed_at__date__gte=year_start)
            .values("user_id")
            .annotate(n=Count("id"))
        )
        for row in completed:
            for org_id in user_org[row["user_id"]]:
                figures[org_id].completed_year += row["n"]
    return [figures[org.pk] for org in orgs]


@dataclass
class CourseCompletion:
    course: CoursePage
    lessons: int
    started: int
    completed: int
    members: int
    seconds: float

    @property
    def completion_percent(self) -> int:
        return round(100 * self.completed / self.members) if self.members else 0

    @property
    def started_percent(self) -> int:
        return round(100 * self.started / self.members) if self.members else 0

    @property
    def hours(self) -> float:
        return round(self.seconds / 3600, 1)


def org_course_completion(org: PartyOrg) -> list[CourseCompletion]:
    """For each course the members of the organisation (and those under it) have started: how many
    started, how many finished every lesson, and the hours — as counts and rates, never as names."""
    member_ids = _member_ids([org]).get(org.pk, set())
    if not member_ids:
        return []
    started = defaultdict(set)
    done_counts: dict[tuple[int, int], int] = {}
    for row in (
        LessonProgress.objects.filter(user_id__in=member_ids)
        .values("course_id", "user_id")
        .annotate(n=Count("id", filter=Q(completed_at__isnull=False)))
    ):
        started[row["course_id"]].add(row["user_id"])
        done_counts[(row["course_id"], row["user_id"])] = row["n"]
    if not started:
        return []
    seconds = {
        r["course_id"]: r["s"]
        for r in LearningDay.objects.filter(user_id__in=member_ids, course_id__in=started)
        .values("course_id")
        .annotate(s=Sum("seconds"))
    }
    courses = list(CoursePage.objects.filter(pk__in=started).order_by("path"))
    lesson_counts: dict[str, int] = defaultdict(int)
    condition = Q()
    for course in courses:
        condition |= Q(path__startswith=course.path)
    for path in LessonPage.objects.live().filter(condition).values_list("path", flat=True):
        lesson_counts[path[: -Page.steplen]] += 1
    result = []
    for course in courses:
        total = lesson_counts.get(course.path, 0)
        finished = sum(
            1 for user_id in started[course.pk] if total and done_counts.get((course.pk, user_id), 0) >= total
        )
        result.append(
            CourseCompletion(
                course=course,
                lessons=total,
                started=len(started[course.pk]),
                completed=finished,
                members=len(member_ids),
                seconds=seconds.get(course.pk, 0.0),
            )
        )
    return result


def podcast_lessons(user: User | None, course: CoursePage) -> list[LessonPage]:
    """Lessons of the course with a downloadable audio file, newest first (as podcast apps expect)."""
    lessons = (
        LessonPage.objects.live()
        .child_of(course)
        .filter(
            kind__in=[LessonKind.VIDEO, LessonKind.AUDIO],
            media__status=MediaAsset.Status.READY,
            media__has_audio_file=True,
        )
    )
    # Without a user (the public feed) only lessons as open as their course.
    lessons = lessons.filter(lesson_filter(user)) if user is not None else lessons.filter(visibility="course")
    return list(lessons.select_related("media").order_by("-first_published_at", "-path"))


# --- Page contexts ---------------------------------------------------------------------------
# What the course index, course and lesson pages render. Wagtail's page models (get_context) and
# the views both call these, so they sit below both.

COURSES_PER_PAGE = 12


def course_index_context(request: HttpRequest) -> dict:
    topic = request.GET.get("topic") or ""
    query = " ".join((request.GET.get("q") or "").split())[:60]
    courses = course_list(request.user, topic=topic, query=query)
    page = Paginator(courses, COURSES_PER_PAGE).get_page(request.GET.get("page"))
    return {
        "topics": Topic.choices,
        "topic": topic if topic in Topic.values else "",
        "query": query,
        "courses_page": page,
        "cards": course_cards(request.user, list(page.object_list)),
        "show_sign_in_hint": not request.user.is_authenticated,
        "base_qs": _query_without_page(request),
    }


def _query_without_page(request: HttpRequest) -> str:
    params = request.GET.copy()
    params.pop("page", None)
    encoded = params.urlencode()
    return f"{encoded}&" if encoded else ""


def course_page_context(request: HttpRequest, course: CoursePage) -> dict:
    outline = course_outline(request.user, course)
    completed = sum(1 for item in outline if item.progress and item.progress.completed_at)
    resume = next((item for item in outline if not (item.progress and item.progress.completed_at)), None)
    has_audio = any(item.lesson.is_media and item.lesson.media_id for item in outline)
    return {
        "outline": outline,
        "completed": completed,
        "percent": round(100 * completed / len(outline)) if outline else 0,
        "resume": resume,
        "podcast_url": podcast_url_for(request, course) if has_audio else None,
        "is_public": course.visibility == Visibility.PUBLIC,
    }


def podcast_url_for(request: HttpRequest, course: CoursePage) -> str | None:
    """The feed URL to give this visitor: the public one, or their own secret one (made on first use)."""
    if course.visibility == Visibility.PUBLIC:
        return request.build_absolute_uri(reverse("learning:podcast_public", args=[course.pk]))
    if not request.user.is_authenticated:
        return None
    token = getattr(request.user, "learning_feed", None)  # None when the member has no key yet
    if token is None or not token.active:
        return None
    key = feed_key(request.user.pk, token.generation)
    return request.build_absolute_uri(reverse("learning:podcast_private", args=[key, course.pk]))


def _player_config(request: HttpRequest, lesson: LessonPage, progress) -> dict:
    asset = lesson.media
    config = {
        "lesson": lesson.pk,
        "kind": lesson.kind,
        "duration": asset.duration,
        "position": progress.position if progress and not progress.completed_at else 0,
        "watched": progress.watched_seconds if progress else 0,
        "completed": bool(progress and progress.completed_at),
        "master": media_url(asset.storage_key, "master.m3u8"),
        "audio": media_url(asset.storage_key, asset.audio_playlist) if asset.audio_playlist else None,
        "poster": poster_url(asset),
        "renditions": [{"name": r["name"], "height": r["height"], "width": r["width"]} for r in asset.renditions],
        "ticket": progress_ticket(user=request.user, lesson=lesson) if request.user.is_authenticated else None,
        "progressUrl": reverse("api:learning_progress_report", kwargs={"lesson_id": lesson.pk}),
        "refreshUrl": reverse("api:learning_lesson_detail", kwargs={"lesson_id": lesson.pk}),
        "signedIn": request.user.is_authenticated,
        "audioOnly": lesson.kind == LessonKind.AUDIO or not asset.renditions,
    }
    return config


def player_strings() -> dict:
    return {
        "resumed": _("Resumed at %(time)s where you stopped."),
        "saved": _("Progress saved."),
        "completed": _("Lesson completed."),
        "offline": _("Could not save your progress (no connection?). It will be sent again."),
        "expired": _("This page has expired. Reload it to go on recording your progress."),
        "unsupported": _("This browser cannot play the video. Try another browser or update it."),
        "mediaError": _("The video could not be loaded. Check your connection and reload the page."),
        "audioMode": _("Audio only: the picture is off to save data."),
        "videoMode": _("Back to video."),
        "watched": _("Watched %(watched)s of %(total)s"),
    }


def lesson_page_context(request: HttpRequest, lesson: LessonPage) -> dict:
    course = lesson.course_page()
    progress = lesson_progress(request.user, lesson)
    previous, following = lesson_neighbours(request.user, course, lesson)
    context = {
        "course": course,
        "progress": progress,
        "previous_lesson": previous,
        "next_lesson": following,
        "media_ready": bool(lesson.is_media and lesson.media_id and lesson.media.is_ready),
    }
    if context["media_ready"]:
        context["player_config"] = _player_config(request, lesson, progress)
        context["player_strings"] = player_strings()
        if lesson.media.has_audio_file:
            context["download_url"] = media_url(lesson.media.storage_key, "audio.m4a")
    if lesson.kind == LessonKind.ARTICLE and request.user.is_authenticated:
        context["article_config"] = {
            "ticket": progress_ticket(user=request.user, lesson=lesson),
            "readUrl": reverse("api:learning_lesson_done", kwargs={"lesson_id": lesson.pk}),
            "minSeconds": min_read_seconds(lesson),
            "completed": bool(progress and progress.completed_at),
        }
    return context
