"""The cloud classroom's demo data: the catalogue, real media through the pipeline, idempotence."""

from __future__ import annotations

import re

import pytest
from django.core.files.storage import default_storage

from core.demo.registry import DemoContext, discover, run_step
from learning.demo import catalogue
from learning.demo.steps import MEDIA, SMALL_SCALE_MEDIA
from learning.models import CoursePage, LearningDay, LessonKind, LessonPage, LessonProgress, MediaAsset, Topic
from learning.signing import SAFE_MEDIA_PATH

CJK = re.compile(r"[\u4e00-\u9fff]")


def test_the_catalogue_is_large_enough_and_chinese():
    assert len(catalogue.COURSES) >= 20
    assert sum(len(subjects) for *_, subjects in catalogue.COURSES) >= 150
    slugs = [c[0] for c in catalogue.COURSES]
    assert len(set(slugs)) == len(slugs)
    topics = {c[2] for c in catalogue.COURSES}
    assert topics <= set(Topic.values) and len(topics) >= 6
    for _slug, title, _topic, visibility, unit, summary, subjects in catalogue.COURSES:
        assert visibility in {"public", "members", "riders", "town"}
        assert CJK.search(title) and CJK.search(unit) and CJK.search(summary)
        assert all(CJK.search(s) for s in subjects) and len(subjects) >= 5
        assert "lorem" not in (title + summary).lower()


def seed(scale: float, *, apps: tuple[str, ...] = ("core", "learning")) -> list[str]:
    ctx = DemoContext(scale=scale, password="Demo-2026!", log=lambda _msg: None)
    statuses = []
    for step in discover():
        if step.name.split(".")[0] in apps and step.name != "core.seed_residents":
            statuses.append(f"{step.name}: {run_step(step, ctx)}")
    return statuses


@pytest.mark.django_db
def test_seeding_makes_courses_real_media_and_progress_and_a_second_run_only_reads(
    media_root, django_assert_max_num_queries
):
    seed(0.02)
    courses = list(CoursePage.objects.all())
    assert len(courses) == 6 and all(CJK.search(c.title) for c in courses)
    assert LessonPage.objects.count() == 6 * 3
    restricted = CoursePage.objects.get(slug="branch-affairs")
    assert restricted.visibility == "orgs" and restricted.orgs.count() == 1
    assets = list(MediaAsset.objects.all())
    assert {a.title for a in assets} == {m[1] for m in MEDIA if m[0] in SMALL_SCALE_MEDIA}
    for asset in assets:
        assert asset.is_ready and SAFE_MEDIA_PATH.match(asset.audio_playlist)
        assert default_storage.exists(asset.storage_path("master.m3u8"))
        assert default_storage.exists(asset.storage_path("audio.m4a"))
    video = MediaAsset.objects.get(kind="video")
    assert [r["name"] for r in video.renditions] == ["480p", "360p"] and video.has_poster
    kinds = set(LessonPage.objects.values_list("kind", flat=True))
    assert {LessonKind.VIDEO, LessonKind.AUDIO} <= kinds
    assert LessonProgress.objects.filter(user__username="demo_member").exists()
    assert LearningDay.objects.filter(user__username="demo_member").exists()

    counts = (
        CoursePage.objects.count(),
        LessonPage.objects.count(),
        MediaAsset.objects.count(),
        LessonProgress.objects.count(),
    )
    seed(0.02, apps=("core",))
    with django_assert_max_num_queries(12):  # our three steps finding their rows (and their savepoints)
        statuses = seed(0.02, apps=("learning",))
    assert all("skipped" in s for s in statuses if s.startswith("learning")), statuses
    assert (
        CoursePage.objects.count(),
        LessonPage.objects.count(),
        MediaAsset.objects.count(),
        LessonProgress.objects.count(),
    ) == counts


@pytest.mark.django_db
def test_demo_media_packages_are_reused_from_storage(media_root):
    """A fresh database on the same media root (the test suite's seeds) adds rows, not transcodes."""
    from learning.demo.steps import demo_asset

    spec = next(m for m in MEDIA if m[0] == "audio")
    first = demo_asset(spec)
    files = sorted(default_storage.listdir(first.storage_path().rstrip("/"))[1])
    MediaAsset.objects.all().delete()
    again = demo_asset(spec)
    assert again.pk != first.pk and again.storage_key == first.storage_key
    assert again.duration == first.duration and again.audio_playlist == first.audio_playlist
    assert sorted(default_storage.listdir(again.storage_path().rstrip("/"))[1]) == files
