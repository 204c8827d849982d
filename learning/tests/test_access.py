"""Role × scope matrices: who sees which course (pages, API, search, media, feeds), who organises what."""

from __future__ import annotations

import pytest
from django.test import Client

from core.tests.factories import DEFAULT_PASSWORD
from learning.access import (
    access_course_by_id,
    access_lesson_by_id,
    access_organiser_org_by_id,
    organiser_orgs,
    visible_courses,
)
from learning.models import LessonVisibility
from learning.search import search_courses
from learning.services.courses import lesson_create

pytestmark = pytest.mark.django_db

ALL = {"public", "members", "branch_a1", "committee_a"}
MEMBERS = {"public", "members"}
EXPECTED_COURSES = {
    "anonymous": {"public"},
    "no_role": {"public"},
    "resident": {"public"},
    "member_a1": ALL,  # its own branch, and the committee above it
    "member_a2": {"public", "members", "committee_a"},  # the committee's course, not the sister branch's
    "member_b": MEMBERS,
    "venue_a1": ALL,
    "grid_a": MEMBERS,  # no party organisation sits in that grid
    "community_a": ALL,  # the village's branches
    "town_a": ALL,
    "town_b": MEMBERS,
    "department": MEMBERS,
    "editor": ALL,
    "reviewer": ALL,
    "ops": ALL,
    "superuser": ALL,
}
EXPECTED_ORGANISED = {
    "anonymous": set(),
    "no_role": set(),
    "resident": set(),
    "member_a1": set(),  # a member is not an organiser, not even of their own branch
    "member_a2": set(),
    "member_b": set(),
    "venue_a1": set(),
    "grid_a": set(),
    "community_a": {"branch_a1", "branch_a2"},
    "town_a": {"committee_a", "branch_a1", "branch_a2"},
    "town_b": {"committee_b", "branch_b"},
    "department": set(),
    "editor": set(),
    "reviewer": set(),
    "ops": {"committee_a", "committee_b", "branch_a1", "branch_a2", "branch_b"},
    "superuser": {"committee_a", "committee_b", "branch_a1", "branch_a2", "branch_b"},
}


def client_for(world, who: str) -> Client:
    client = Client()
    if who != "anonymous":
        assert client.login(username=world.people[who].username, password=DEFAULT_PASSWORD)
    return client


@pytest.mark.parametrize("who", EXPECTED_COURSES)
def test_course_visibility_matrix(world, who):
    user = world.people[who]
    expected = EXPECTED_COURSES[who]
    key_of = {course.pk: key for key, course in world.courses.items()}
    assert {key_of[c.pk] for c in visible_courses(user)} == expected
    client = client_for(world, who)
    for key, course in world.courses.items():
        lesson = world.lessons[key]
        status = 200 if key in expected else 404
        assert client.get(course.url).status_code == status, (who, key, "course page")
        assert client.get(lesson.url).status_code == status, (who, key, "lesson page")
        assert client.get(f"/api/learning/courses/{course.pk}").status_code == status, (who, key, "API course")
        assert client.get(f"/api/learning/lessons/{lesson.pk}").status_code == status, (who, key, "API lesson")
        if key in expected:
            assert access_course_by_id(user, course.pk) == course
            assert access_lesson_by_id(user, lesson.pk) == lesson
    listed = {c["id"] for c in client.get("/api/learning/courses").json()}
    assert listed == {world.courses[k].pk for k in expected}
    index = client.get("/courses/").content.decode()
    assert {k for k, c in world.courses.items() if c.title in index} == expected
    found = {hit.title for hit in search_courses(user=user, query="第一讲")}
    assert found == {world.lessons[k].title for k in expected}


@pytest.mark.parametrize("who", EXPECTED_ORGANISED)
def test_organiser_matrix(world, who):
    user = world.people[who]
    expected = EXPECTED_ORGANISED[who]
    key_of = {org.pk: key for key, org in world.orgs.items()}
    assert {key_of[o.pk] for o in organiser_orgs(user)} == expected
    client = client_for(world, who)
    overview = client.get("/learning/record/organisations/")
    if who == "anonymous":
        assert overview.status_code == 302
    else:
        assert overview.status_code == (200 if expected else 404)
    for key, org in world.orgs.items():
        detail = client.get(f"/learning/record/organisations/{org.pk}/")
        if who == "anonymous":
            assert detail.status_code == 302
            continue
        assert detail.status_code == (200 if key in expected else 404), (who, key)
        if key in expected:
            assert access_organiser_org_by_id(user, org.pk) == org


def test_a_lesson_can_narrow_its_course(world):
    course = world.courses["public"]
    narrow = lesson_create(
        course=course,
        title="甲村第二党支部内部学习",
        kind="video",
        media=world.asset,
        visibility=LessonVisibility.ORGS,
        orgs=[world.orgs["branch_a2"]],
    )
    members_only = lesson_create(
        course=course, title="党员专享讲座", kind="video", media=world.asset, visibility=LessonVisibility.MEMBERS
    )
    for who, sees_narrow, sees_members in (
        ("anonymous", False, False),
        ("resident", False, False),
        ("member_b", False, True),
        ("member_a2", True, True),
        ("town_a", True, True),
    ):
        client = client_for(world, who)
        assert client.get(course.url).status_code == 200
        assert client.get(narrow.url).status_code == (200 if sees_narrow else 404), who
        assert client.get(members_only.url).status_code == (200 if sees_members else 404), who
        outline = client.get(f"/api/learning/courses/{course.pk}").json()["lesson_list"]
        titles = {item["title"] for item in outline}
        assert (narrow.title in titles, members_only.title in titles) == (sees_narrow, sees_members), who
        found = {hit.title for hit in search_courses(user=world.people[who], query="学习")}
        assert (narrow.title in found) == sees_narrow, who


def test_unpublished_courses_and_lessons_are_404_for_everyone(world):
    course = world.courses["public"]
    lesson = world.lessons["public"]
    lesson.unpublish()
    client = client_for(world, "superuser")
    assert client.get(f"/api/learning/lessons/{lesson.pk}").status_code == 404
    course.unpublish()
    assert client.get(f"/api/learning/courses/{course.pk}").status_code == 404
    assert client.get(course.url or "/courses/dangshi/").status_code == 404
    assert client.get("/api/learning/courses/abc").status_code in (404, 422)
