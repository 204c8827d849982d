"""A small world for the cloud classroom's tests: organisations, people of every role, courses."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field

from django.contrib.auth.models import AnonymousUser, Group, Permission
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from core.models import PartyOrg, Role, User
from core.tests.factories import UserFactory, make_department, make_party_org, make_tree, make_user_with_role
from learning.models import CourseIndexPage, CoursePage, LessonKind, LessonPage, MediaAsset, Topic, Visibility
from learning.services.courses import course_create, course_index_get_or_create, lesson_create

MEDIA_EDITOR_PERMISSIONS = ("add_mediaasset", "change_mediaasset", "view_mediaasset")


def make_media_editor(*codenames: str) -> User:
    """An editor with Wagtail admin access and the given media permissions (add, change, view unless named)."""
    user = make_user_with_role(Role.EDITOR)
    group = Group.objects.create(name=f"媒体编辑{user.pk}")
    group.permissions.add(Permission.objects.get(content_type__app_label="wagtailadmin", codename="access_admin"))
    group.permissions.add(
        *Permission.objects.filter(
            content_type__app_label="learning", codename__in=codenames or MEDIA_EDITOR_PERMISSIONS
        )
    )
    user.groups.add(group)
    return user


MASTER = (
    "#EXTM3U\n#EXT-X-VERSION:3\n"
    '#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="group_aud",NAME="audio_0",DEFAULT=YES,URI="audio/index.m3u8"\n'
    '#EXT-X-STREAM-INF:BANDWIDTH=1020800,RESOLUTION=640x360,CODECS="avc1.4d401e,mp4a.40.2",AUDIO="group_aud"\n'
    "360p/index.m3u8\n"
)


def make_ready_asset(
    *, duration: float = 120.0, title: str = "测试视频", with_files: bool = True, kind: str = "video"
) -> MediaAsset:
    """A MediaAsset as the pipeline leaves it, with a small stand-in package in storage."""
    key = secrets.token_hex(16)
    asset = MediaAsset.objects.create(
        title=title,
        kind=kind,
        status=MediaAsset.Status.READY,
        progress=1.0,
        duration=duration,
        storage_key=key,
        renditions=[{"name": "360p", "width": 640, "height": 360, "bandwidth": 800000, "playlist": "360p/index.m3u8"}]
        if kind == "video"
        else [],
        audio_playlist="audio/index.m3u8",
        has_audio_file=True,
        audio_file_size=4096,
        has_poster=kind == "video",
    )
    if with_files:
        default_storage.save(asset.storage_path("master.m3u8"), ContentFile(MASTER.encode()))
        default_storage.save(asset.storage_path("audio.m4a"), ContentFile(bytes(range(256)) * 16))
        default_storage.save(asset.storage_path("poster.jpg"), ContentFile(b"\xff\xd8\xff\xe0fakejpeg"))
    return asset


@dataclass
class CourseWorld:
    tree: dict
    orgs: dict[str, PartyOrg]
    people: dict[str, User | AnonymousUser]
    index: CourseIndexPage
    courses: dict[str, CoursePage]
    lessons: dict[str, LessonPage] = field(default_factory=dict)
    asset: MediaAsset | None = None


def make_people(tree: dict, orgs: dict[str, PartyOrg]) -> dict[str, User | AnonymousUser]:
    department = make_department(tree["city"])
    superuser = UserFactory(is_superuser=True, is_staff=True)
    return {
        "anonymous": AnonymousUser(),
        "no_role": UserFactory(),
        "resident": make_user_with_role(Role.RESIDENT, area=tree["grid_a"]),
        "member_a1": make_user_with_role(Role.MEMBER, party_org=orgs["branch_a1"]),
        "member_a2": make_user_with_role(Role.MEMBER, party_org=orgs["branch_a2"]),
        "member_b": make_user_with_role(Role.MEMBER, party_org=orgs["branch_b"]),
        "venue_a1": make_user_with_role(Role.VENUE_OPERATOR, party_org=orgs["branch_a1"]),
        "grid_a": make_user_with_role(Role.GRID_WORKER, area=tree["grid_a"]),
        "community_a": make_user_with_role(Role.COMMUNITY_STAFF, area=tree["village_a"]),
        "town_a": make_user_with_role(Role.TOWN_STAFF, area=tree["town_a"]),
        "town_b": make_user_with_role(Role.TOWN_STAFF, area=tree["town_b"]),
        "department": make_user_with_role(Role.DEPARTMENT_STAFF, department=department),
        "editor": make_user_with_role(Role.EDITOR),
        "reviewer": make_user_with_role(Role.REVIEWER),
        "ops": make_user_with_role(Role.OPS_ADMIN),
        "superuser": superuser,
    }


def make_orgs(tree: dict) -> dict[str, PartyOrg]:
    committee_a = make_party_org(PartyOrg.Kind.COMMITTEE, area=tree["town_a"], name="甲镇党委")
    committee_b = make_party_org(PartyOrg.Kind.COMMITTEE, area=tree["town_b"], name="乙街道党工委")
    return {
        "committee_a": committee_a,
        "committee_b": committee_b,
        "branch_a1": make_party_org(parent=committee_a, area=tree["village_a"], name="甲村第一党支部"),
        "branch_a2": make_party_org(parent=committee_a, area=tree["village_a"], name="甲村第二党支部"),
        "branch_b": make_party_org(parent=committee_b, area=tree["village_b"], name="乙社区党支部"),
    }


def make_world(*, with_files: bool = True) -> CourseWorld:
    tree = make_tree()
    orgs = make_orgs(tree)
    people = make_people(tree, orgs)
    index = course_index_get_or_create()
    asset = make_ready_asset(with_files=with_files)
    courses = {
        "public": course_create(
            index=index,
            title="党史学习公开课",
            topic=Topic.PARTY_HISTORY,
            visibility=Visibility.PUBLIC,
            summary="百年党史中的东港故事",
        ),
        "members": course_create(
            index=index, title="党章党规逐条学", topic=Topic.CONSTITUTION, visibility=Visibility.MEMBERS
        ),
        "branch_a1": course_create(
            index=index,
            title="甲村第一党支部专题党课",
            topic=Topic.THEORY,
            visibility=Visibility.ORGS,
            orgs=[orgs["branch_a1"]],
        ),
        "committee_a": course_create(
            index=index,
            title="甲镇乡村振兴实务",
            topic=Topic.RURAL,
            visibility=Visibility.ORGS,
            orgs=[orgs["committee_a"]],
        ),
    }
    world = CourseWorld(tree=tree, orgs=orgs, people=people, index=index, courses=courses, asset=asset)
    for key, course in courses.items():
        world.lessons[key] = lesson_create(
            course=course, title=f"{course.title}·第一讲", kind=LessonKind.VIDEO, media=asset, summary="视频课"
        )
    return world


__all__ = ["CourseWorld", "make_people", "make_orgs", "make_ready_asset", "make_world"]
