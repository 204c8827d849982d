"""Learning (云课堂): hours and completed lessons of party members, by organisation, month and topic."""

from __future__ import annotations

import datetime

from django.db.models import Count, Sum
from django.utils.translation import gettext_lazy as _

from dashboards.models import Tree
from dashboards.registry import Chart, Dashboard, Metric, register, where_q
from dashboards.sources.common import date_range, member_org_subquery, period_of, under_party
from learning.models import LearningDay, LessonProgress, Topic

SECONDS = "learning.seconds"
COMPLETIONS = "learning.completions"


def _topics() -> dict[str, str]:
    return {value: str(label) for value, label in Topic.choices}


def seconds_rows(*, under=None, start=None, end=None, by_month=False, where=None):
    qs = LearningDay.objects.filter(where_q(where)).annotate(org=member_org_subquery()).filter(org__isnull=False)
    qs = date_range(under_party(qs, "org", under), "day", start, end, is_datetime=False)
    return (
        qs.annotate(period=period_of("day", by_month=by_month, is_datetime=False))
        .values("org", "period", "course__topic")
        .annotate(value=Sum("seconds"))
        .values_list("org", "period", "course__topic", "value")
    )


def completion_rows(*, under=None, start=None, end=None, by_month=False, where=None):
    qs = (
        LessonProgress.objects.filter(where_q(where), completed_at__isnull=False)
        .annotate(org=member_org_subquery())
        .filter(org__isnull=False)
    )
    qs = date_range(under_party(qs, "org", under), "completed_at", start, end, is_datetime=True)
    return (
        qs.annotate(period=period_of("completed_at", by_month=by_month, is_datetime=True))
        .values("org", "period", "course__topic")
        .annotate(value=Count("pk"))
        .values_list("org", "period", "course__topic", "value")
    )


def learning_records(*, user, node, start: datetime.date, end: datetime.date) -> list:
    """The courses the organisation's members learned in during the period, those `user` may open."""
    from learning.access import visible_courses

    qs = LearningDay.objects.annotate(org=member_org_subquery())
    qs = date_range(under_party(qs, "org", node.path), "day", start, end, is_datetime=False)
    totals = {row["course_id"]: row for row in qs.values("course_id").annotate(seconds=Sum("seconds"))}
    courses = visible_courses(user).filter(pk__in=list(totals)).order_by("title")
    return [
        {
            "title": course.title,
            "detail": _("%(hours).1f hours") % {"hours": (totals[course.pk]["seconds"] or 0) / 3600},
            "url": course.url,
            "date": None,
        }
        for course in courses
    ]


DASHBOARD = register(
    Dashboard(
        key="learning",
        order=40,
        title=_("Learning"),
        description=_("Hours of learning and lessons completed by party members, by organisation and month."),
        tree=Tree.PARTY,
        metrics=(
            Metric(
                key=SECONDS,
                tree=Tree.PARTY,
                label=_("Learning hours"),
                counts=_("Hours of video and audio actually played, and the study time of articles and links read."),
                records=_("Members' daily learning records (learning days), under each member's party organisation."),
                rows=seconds_rows,
                scale=1 / 3600,
                decimals=1,
                unit=_("hours"),
                key_labels=_topics,
            ),
            Metric(
                key=COMPLETIONS,
                tree=Tree.PARTY,
                label=_("Lessons completed"),
                counts=_("Lessons a member finished (90 % played, or read to the end), on the day they finished."),
                records=_("Members' lesson progress records, under each member's party organisation."),
                rows=completion_rows,
                unit=_("lessons"),
                key_labels=_topics,
            ),
        ),
        charts=(
            Chart("trend", _("Hours and completed lessons by month"), "line", (SECONDS, COMPLETIONS), "month"),
            Chart("hours_by_org", _("Learning hours by organisation"), "bar", (SECONDS,), "child"),
            Chart("completions_by_org", _("Lessons completed by organisation"), "bar", (COMPLETIONS,), "child"),
            Chart("hours_by_topic", _("Learning hours by topic"), "pie", (SECONDS,), "key"),
        ),
        records=learning_records,
    )
)
