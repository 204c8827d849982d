"""Creating course pages from code (the demo data, live replays): the same tree the admin builds."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction
from django.utils.text import slugify
from wagtail.models import Page, Site

from core.models import PartyOrg, User
from learning.models import CourseIndexPage, CoursePage, LessonPage


def _site_root() -> Page:
    site = Site.objects.filter(is_default_site=True).select_related("root_page").first()
    if site is not None:
        return site.root_page.specific
    root = Page.objects.filter(depth=2).order_by("path").first()
    if root is None:
        raise RuntimeError("there is no site root page to put the course index under")
    return root.specific


def course_index_get_or_create(*, title: str = "云课堂", intro: str = "") -> CourseIndexPage:
    """The /courses/ page, made under the default site's home page if there is none yet."""
    index = CourseIndexPage.objects.order_by("path").first()
    if index is not None:
        return index
    home = _site_root()
    index = CourseIndexPage(title=title, slug=unique_slug(home, "courses"), intro=intro)
    home.add_child(instance=index)
    return index


def unique_slug(parent: Page, base: str) -> str:
    """A slug free among the parent's children: base, base-2, base-3 …"""
    base = slugify(base, allow_unicode=True)[:70] or "page"
    taken = set(Page.objects.child_of(parent).filter(slug__startswith=base).values_list("slug", flat=True))
    if base not in taken:
        return base
    n = 2
    while f"{base}-{n}" in taken:
        n += 1
    return f"{base}-{n}"


def course_create(
    *,
    index: CourseIndexPage,
    title: str,
    topic: str,
    visibility: str,
    orgs: Iterable[PartyOrg] = (),
    summary: str = "",
    description: str = "",
    teacher: str = "",
    slug: str | None = None,
    owner: User | None = None,
) -> CoursePage:
    course = CoursePage(
        title=title,
        slug=slug or unique_slug(index, title),
        topic=topic,
        visibility=visibility,
        summary=summary[:300],
        description=description,
        teacher=teacher,
        owner=owner,
    )
    course.orgs = list(orgs)
    index.add_child(instance=course)
    return course


def lesson_create(
    *,
    course: CoursePage,
    title: str,
    owner: User | None = None,
    slug: str | None = None,
    orgs: Iterable[PartyOrg] = (),
    log_revision: bool = False,
    **fields,
) -> LessonPage:
    """A published lesson under the course. With log_revision the publication is a revision by
    `owner` in the page history, as when an editor publishes it."""
    with transaction.atomic():
        lesson = LessonPage(title=title, slug=slug or unique_slug(course, title), owner=owner, **fields)
        lesson.orgs = list(orgs)
        course.add_child(instance=lesson)
        if log_revision:
            # The caller decided who may publish (e.g. the live session's host ending their event);
            # that person need not hold Wagtail page permissions.
            lesson.save_revision(user=owner, log_action=True).publish(user=owner, skip_permission_checks=True)
    return lesson
