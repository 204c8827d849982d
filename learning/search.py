"""The cloud classroom's site-search provider: courses and lessons the searcher may see.

Registered with core.search in LearningConfig.ready(); the CMS's site search merges every
provider's hits. Visibility is applied here, through learning.access, exactly as on the pages.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from wagtail.models import Page

from core.search import CJK_RUN, WORD, SearchHit
from learning.access import course_filter, lesson_filter
from learning.models import CoursePage, LessonPage
from learning.selectors import search_filter

SNIPPET_LENGTH = 90


def _score(title: str, query: str, position: int, weight: float) -> float:
    """In [0, 1] like the other providers: the whole query in the title, then all its words."""
    needles = [*CJK_RUN.findall(query), *(w.lower() for w in WORD.findall(query))]
    lowered = title.lower()
    if query.strip().lower() in lowered:
        base = 1.0
    elif needles and all(n in lowered for n in needles):
        base = 0.8
    else:
        base = 0.5
    return max(0.0, base * weight - min(position, 999) / 10000)


def search_courses(*, user, query: str, limit: int = 100) -> list:
    condition = search_filter(query)
    if condition is None:
        return []
    hits: list[SearchHit] = []
    visible = CoursePage.objects.live().filter(course_filter(user))
    for position, course in enumerate(visible.filter(condition).order_by("-last_published_at")[:limit]):
        hits.append(
            SearchHit(
                kind="course",
                kind_label=_("Course"),
                title=course.title,
                url=course.url or "",
                snippet=(course.summary or "")[:SNIPPET_LENGTH],
                date=course.last_published_at,
                score=_score(course.title, query, position, 1.0),
            )
        )
    course_titles = dict(visible.values_list("path", "title"))
    lessons = (
        LessonPage.objects.live()
        .filter(condition)
        .filter(lesson_filter(user))
        .order_by("-last_published_at")[: limit * 3]
    )
    position = 0
    for lesson in lessons:
        course_title = course_titles.get(lesson.path[: -Page.steplen])
        if course_title is None:  # its course is not visible to this searcher
            continue
        snippet = f"{course_title} · {lesson.summary}" if lesson.summary else course_title
        hits.append(
            SearchHit(
                kind="course",
                kind_label=_("Lesson"),
                title=lesson.title,
                url=lesson.url or "",
                snippet=snippet[:SNIPPET_LENGTH],
                date=lesson.last_published_at,
                score=_score(lesson.title, query, position, 0.95),
            )
        )
        position += 1
        if position >= limit:
            break
    return hits
