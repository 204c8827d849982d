"""Who may see which course and lesson: the only way from a user-supplied id to a course row.

A course is public, for members only, or for chosen party organisations (and everything under
them). A lesson is at most as visible as its course and may narrow it. "Members" are
core.access.is_member_audience, as for live events (any role other than resident); editors, reviewers and
the city-wide roles see every course, as they do in the admin anyway. A course or lesson someone
may not see answers 404, like one that does not exist — its media, podcast feed and API too.

Organisers — people whose area roles let them see party organisations (core.access), or the
city-wide roles — see aggregate learning figures of the members of those organisations.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.http import Http404

from core.access import (
    AREA_ROLES,
    AnyUser,
    has_role,
    is_city_wide,
    is_member_audience,
    memberships_of,
    party_orgs_visible_to,
)
from core.models import PartyOrg, Role, User
from learning.models import CoursePage, LessonPage, LessonVisibility, Visibility


def sees_all_courses(user: AnyUser) -> bool:
    return is_city_wide(user) or has_role(user, Role.EDITOR, Role.REVIEWER)


def org_paths_of(user: AnyUser) -> frozenset[str]:
    """Paths of the party organisations the user belongs to or looks after, and of all their ancestors:
    a course for a committee is for every branch under it. Cached on the user object."""
    cached = getattr(user, "_learning_org_paths", None)
    if cached is not None:
        return cached
    paths: set[str] = set()
    if user.is_authenticated and user.is_active and memberships_of(user):
        for path in party_orgs_visible_to(user).values_list("path", flat=True):
            parts = path.strip("/").split("/")
            paths.update("/" + "/".join(parts[: i + 1]) + "/" for i in range(len(parts)))
    cached = frozenset(paths)
    user.__dict__["_learning_org_paths"] = cached
    return cached


def _visibility_filter(user: AnyUser, *, open_value: str, through, owner_column: str) -> Q:
    """Courses and lessons share the rule: open (public / as the course), members, chosen orgs."""
    if sees_all_courses(user):
        return Q()
    condition = Q(visibility=open_value)
    if is_member_audience(user):
        condition |= Q(visibility=Visibility.MEMBERS)
    paths = org_paths_of(user)
    if paths:
        chosen = through.objects.filter(partyorg__path__in=paths).values(owner_column)
        condition |= Q(visibility=Visibility.ORGS, pk__in=chosen)
    return condition


def course_filter(user: AnyUser) -> Q:
    """A condition on CoursePage for the courses the user may see (liveness not included)."""
    return _visibility_filter(
        user, open_value=Visibility.PUBLIC, through=CoursePage.orgs.through, owner_column="coursepage_id"
    )


def lesson_filter(user: AnyUser) -> Q:
    """The lesson's own narrowing; the course's visibility is checked separately."""
    return _visibility_filter(
        user, open_value=LessonVisibility.COURSE, through=LessonPage.orgs.through, owner_column="lessonpage_id"
    )


def _orgs_allow(user: AnyUser, orgs) -> bool:
    paths = org_paths_of(user)
    return bool(paths) and any(org.path in paths for org in orgs.all())


def can_view_course(user: AnyUser, course: CoursePage) -> bool:
    if sees_all_courses(user) or course.visibility == Visibility.PUBLIC:
        return True
    if course.visibility == Visibility.MEMBERS:
        return is_member_audience(user)
    return _orgs_allow(user, course.orgs)


def can_view_lesson_itself(user: AnyUser, lesson: LessonPage) -> bool:
    if sees_all_courses(user) or lesson.visibility == LessonVisibility.COURSE:
        return True
    if lesson.visibility == LessonVisibility.MEMBERS:
        return is_member_audience(user)
    return _orgs_allow(user, lesson.orgs)


def require_course_visible(user: AnyUser, course: CoursePage) -> None:
    if not can_view_course(user, course):
        raise Http404


def lesson_visible_to(user: AnyUser, lesson: LessonPage) -> bool:
    """Whether the user may open the lesson: its course is live and both allow the user."""
    try:
        course = lesson.course_page()
    except CoursePage.DoesNotExist:
        return False
    return course.live and can_view_course(user, course) and can_view_lesson_itself(user, lesson)


def require_lesson_visible(user: AnyUser, lesson: LessonPage) -> None:
    if not lesson_visible_to(user, lesson):
        raise Http404


def visible_courses(user: AnyUser) -> QuerySet[CoursePage]:
    return CoursePage.objects.live().filter(course_filter(user))


def access_course_by_id(user: AnyUser, course_id: int | str) -> CoursePage:
    try:
        return visible_courses(user).get(pk=int(course_id))
    except (CoursePage.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def access_lesson_by_id(user: AnyUser, lesson_id: int | str) -> LessonPage:
    try:
        lesson = LessonPage.objects.live().select_related("media").get(pk=int(lesson_id))
    except (LessonPage.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
    require_lesson_visible(user, lesson)
    return lesson


# --- Organisers -----------------------------------------------------------------------------


def organiser_orgs(user: AnyUser) -> QuerySet[PartyOrg]:
    """Organisations whose members' aggregate figures the user may see: those in the areas their
    area roles cover (through core.access), or all for the city-wide roles. Plain members and
    branch-venue operators are not organisers, even of their own branch."""
    if is_city_wide(user):
        return PartyOrg.objects.all()
    area_paths = [m.area.path for m in memberships_of(user) if m.role in AREA_ROLES and m.area is not None]
    if not area_paths:
        return PartyOrg.objects.none()
    in_areas = Q()
    for path in area_paths:
        in_areas |= Q(area__path__startswith=path)
    return party_orgs_visible_to(user).filter(in_areas)


def is_organiser(user: AnyUser) -> bool:
    return is_city_wide(user) or any(m.role in AREA_ROLES and m.area_id for m in memberships_of(user))


def access_organiser_org_by_id(user: AnyUser, org_id: int | str) -> PartyOrg:
    try:
        return organiser_orgs(user).get(pk=int(org_id))
    except (PartyOrg.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


# --- Podcast feeds ----------------------------------------------------------------------------


def access_feed_user(key: str) -> User:
    """The member a secret feed key belongs to, if the key is current; else 404."""
    from learning.models import FeedToken
    from learning.signing import feed_key_user_id, feed_key_valid

    user_id = feed_key_user_id(key)
    if user_id is None:
        raise Http404
    token = FeedToken.objects.select_related("user").filter(user_id=user_id, active=True).first()
    if token is None or not token.user.is_active or not feed_key_valid(key, token.generation):
        raise Http404
    return token.user
