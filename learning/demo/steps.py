"""The cloud classroom's demo data: real media made locally, 20+ courses, 150+ lessons, progress.

Media: a few seconds of ffmpeg test sources (testsrc2, smptebars, a phone-style rotated clip, a
tone), nothing downloaded, put through the pipeline's own probe and transcode. The packages are
content-addressed (the storage key is a hash of how the clip is made), so a second seed — or the
test suite's seeds on the same media root — finds them in storage and only adds the rows.

Courses come from learning/demo/catalogue.py; at small scales (the tests' 0.02) fewer courses and
lessons are made so the seed stays quick. Every step returns early when its rows are there.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import logging
import shutil
import subprocess
import tempfile
from pathlib import Path

from django.core.files import File
from django.core.files.storage import default_storage
from django.utils import timezone
from wagtail.models import Page

from core.demo.registry import DemoContext, demo_step
from core.ffmpeg import ffmpeg_binary
from core.models import Membership, PartyOrg, Role, User
from learning.demo import catalogue
from learning.demo.slides import make_slide_video
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
from learning.services.courses import course_create, course_index_get_or_create, lesson_create
from learning.services.errors import MediaError
from learning.services.media import MEDIA_ROOT_PREFIX, storage_save_tree
from learning.services.probe import probe_media
from learning.services.transcode import transcode_package

logger = logging.getLogger(__name__)

# (name, title, slide deck or None for audio, size, seconds, tone Hz, rotated). Minutes long, so that
# resuming and learning hours show; small and at 2 fps, so that making and transcoding them stays fast.
# Bump VERSION to remake them.
VERSION = "2"
MEDIA = [
    ("lecture", "专题辅导课件（演示）", "lecture", "640x360", 240, 196, False),
    ("guide", "党务知识微课（演示）", "guide", "854x480", 150, 220, False),
    ("phone", "一线微党课·手机竖屏拍摄（演示）", "phone", "640x360", 60, 247, True),
    ("audio", "党课随身听演示音频", None, "", 180, 175, False),
]
SMALL_SCALE_MEDIA = ("guide", "audio")
SMALL_SCALE_SECONDS = 12  # tests seed at small scale: the same clips, seconds long
SLIDE_DECKS = {
    "lecture": (
        "云课堂 · 专题辅导",
        [
            ("学习目标", ["把握主要精神和核心要义", "联系本单位工作实际", "明确学习后的行动清单"]),
            ("一、背景与意义", ["形势与任务", "为什么要学、学什么", "与基层工作的关系"]),
            ("二、主要内容", ["重要论述摘编", "重点任务分解", "政策要点解读"]),
            ("三、案例分析", ["东港市社区治理实践", "网格化服务典型经验", "群众满意度提升做法"]),
            ("四、讨论与思考", ["本支部可以做什么", "党员个人怎样落实", "需要哪些支持"]),
            ("小结", ["学思践悟、知行合一", "课后完成学习心得", "下次课：专题研讨"]),
        ],
    ),
    "guide": (
        "云课堂 · 党务知识微课",
        [
            ("什么是“三会一课”", ["支部党员大会", "支部委员会、党小组会", "按时上好党课"]),
            ("支部党员大会", ["一般每季度召开一次", "讨论决定支部重要事项", "做好会议记录"]),
            ("党小组会", ["一般每月召开一次", "组织党员学习", "开展批评与自我批评"]),
            ("上好党课", ["党员每年至少讲一次党课", "书记带头讲", "线上线下相结合"]),
        ],
    ),
    "phone": (
        "一线微党课",
        [
            ("在网格里讲党课", ["走进小区楼栋", "讲身边的故事"]),
            ("红色骑手说", ["送餐路上随手拍", "发现问题及时报"]),
            ("我们的承诺", ["有事找网格员", "小事不出网格"]),
        ],
    ),
}


def _key(spec: tuple) -> str:
    return hashlib.sha256(f"{VERSION}|{spec!r}".encode()).hexdigest()[:32]


def _make_source(spec: tuple, target: Path) -> None:
    _name, _title, deck, size, seconds, tone, rotated = spec
    binary = ffmpeg_binary()
    if deck:
        series, slides = SLIDE_DECKS[deck]
        width, height = (int(n) for n in size.split("x"))
        make_slide_video(
            binary=binary,
            slides=slides,
            series=series,
            size=(width, height),
            seconds=seconds,
            tone=tone,
            target=target,
            rotated=rotated,
        )
        if rotated:
            _rotate_like_a_phone(target)
        return
    args = [binary, "-hide_banner", "-nostdin", "-y", "-v", "error"]
    args += ["-f", "lavfi", "-i", f"sine=frequency={tone}:sample_rate=44100", "-t", str(seconds)]
    args += ["-af", "volume=0.06", "-c:a", "aac", "-b:a", "64k", str(target)]
    subprocess.run(args, check=True, capture_output=True, timeout=120)


def _rotate_like_a_phone(target: Path) -> None:
    """Store the file as a phone filming upright does: the same pixels plus a display rotation."""
    binary = ffmpeg_binary()
    turned = target.with_name("turned" + target.suffix)
    try:
        subprocess.run(
            [
                binary,
                "-v",
                "error",
                "-y",
                "-display_rotation:v:0",
                "90",
                "-i",
                str(target),
                "-c",
                "copy",
                str(turned),
            ],
            check=True,
            capture_output=True,
            timeout=60,
        )
    except subprocess.CalledProcessError:
        subprocess.run(
            [
                binary,
                "-v",
                "error",
                "-y",
                "-i",
                str(target),
                "-c",
                "copy",
                "-metadata:s:v:0",
                "rotate=90",
                str(turned),
            ],
            check=True,
            capture_output=True,
            timeout=60,
        )
    turned.replace(target)


def demo_asset(spec: tuple) -> MediaAsset | None:
    """The asset of one demo clip: reused from storage when it was made before, else made now."""
    key = _key(spec)
    existing = MediaAsset.objects.filter(storage_key=key).first()
    if existing is not None:
        return existing
    meta_name = f"{MEDIA_ROOT_PREFIX}/{key}/demo.json"
    source_name = f"learning/sources/demo-{key}.{'m4a' if spec[2] is None else 'mp4'}"
    if not default_storage.exists(meta_name):
        if not ffmpeg_binary():
            return None
        work = Path(tempfile.mkdtemp(prefix="learning-demo-"))
        try:
            source = work / ("source.m4a" if spec[2] is None else "source.mp4")
            _make_source(spec, source)
            probe = probe_media(source)
            out = work / "out"
            out.mkdir()
            package = transcode_package(source=source, out_dir=out, probe=probe, work_dir=work)
            width, height = probe.video.display_size if probe.video else (None, None)
            meta = {
                "kind": probe.kind,
                "duration": probe.duration,
                "width": width,
                "height": height,
                "probe": probe.as_json(),
                "renditions": [r.as_json() for r in package.renditions],
                "audio_playlist": "audio/index.m3u8" if package.has_audio else "",
                "has_audio_file": bool(package.audio_file),
                "has_poster": bool(package.poster),
                "audio_file_size": (out / package.audio_file).stat().st_size if package.audio_file else 0,
            }
            (out / "demo.json").write_text(json.dumps(meta, ensure_ascii=False))
            if not default_storage.exists(source_name):
                with open(source, "rb") as handle:
                    default_storage.save(source_name, File(handle))
            storage_save_tree(out, f"{MEDIA_ROOT_PREFIX}/{key}")
        except (MediaError, subprocess.SubprocessError, OSError) as exc:
            logger.warning("demo media %s could not be made: %s", spec[0], exc)
            return None
        finally:
            shutil.rmtree(work, ignore_errors=True)
    with default_storage.open(meta_name) as handle:
        meta = json.loads(handle.read())
    now = timezone.now()
    return MediaAsset.objects.create(
        title=spec[1],
        source=source_name if default_storage.exists(source_name) else "",
        source_name=f"{spec[0]}.{'m4a' if spec[2] is None else 'mp4'}",
        status=MediaAsset.Status.READY,
        progress=1.0,
        attempt=1,
        storage_key=key,
        started_at=now,
        finished_at=now,
        **meta,
    )


def _target_orgs(kind: str) -> list[PartyOrg]:
    from core.demo import names
    from core.demo.steps import DEMO_TOWN_CODE, SECTOR_ORG_CODE

    if kind == "riders":
        return list(PartyOrg.objects.filter(code=f"{SECTOR_ORG_CODE}-1")[:1]) or list(
            PartyOrg.objects.filter(name=names.RIDER_BRANCH)[:1]
        )
    if kind == "town":
        return list(PartyOrg.objects.filter(area__code=DEMO_TOWN_CODE, kind=PartyOrg.Kind.COMMITTEE)[:1])
    return []


def _article(ctx: DemoContext, subject: str) -> str:
    opening = ctx.rng.choice(catalogue.ARTICLE_OPENINGS).format(subject=subject)
    points = ctx.rng.sample(catalogue.ARTICLE_POINTS, 4)
    closing = ctx.rng.choice(catalogue.ARTICLE_CLOSINGS)
    return "".join(f"<p>{text}</p>" for text in (opening, *sorted(points), closing))


def _lesson_fields(ctx: DemoContext, subject: str, audio_course: bool, assets: dict) -> tuple[str, dict]:
    videos = [a for name, a in assets.items() if name != "audio" and a is not None]
    audio = assets.get("audio")
    if subject.startswith("读："):
        title = subject[2:]
        return title, {
            "kind": LessonKind.ARTICLE,
            "body": _article(ctx, title),
            "study_minutes": ctx.rng.choice([8, 10, 15]),
            "summary": "图文学习，读完即记为已学。",
        }
    if subject.startswith("链："):
        title = subject[2:]
        platform = next((p for p in catalogue.EXTERNAL_LINKS if p in title), "学习强国")
        return title, {
            "kind": LessonKind.LINK,
            "external_url": catalogue.EXTERNAL_LINKS[platform],
            "study_minutes": 30,
            "summary": f"在“{platform}”平台学习，打开即记录学习。",
        }
    if subject.startswith("听：") or audio_course:
        title = subject[2:] if subject.startswith("听：") else subject
        if audio is None:
            return title, {"kind": LessonKind.ARTICLE, "body": _article(ctx, title), "study_minutes": 5}
        return title, {"kind": LessonKind.AUDIO, "media": audio, "summary": "党课随身听：适合通勤、休息时收听。"}
    if not videos:
        return subject, {"kind": LessonKind.ARTICLE, "body": _article(ctx, subject), "study_minutes": 10}
    return subject, {"kind": LessonKind.VIDEO, "media": ctx.rng.choice(videos), "summary": ""}


@demo_step(order=255, models=("auth.Group",))
def seed_media_permissions(ctx: DemoContext) -> str:
    """Editors and reviewers upload and manage video and audio files in the Wagtail admin."""
    from django.contrib.auth.models import Group, Permission

    from core.demo.steps import EDITOR_GROUP, REVIEWER_GROUP

    media_perms = Permission.objects.filter(content_type__app_label="learning", content_type__model="mediaasset")
    names = [EDITOR_GROUP, REVIEWER_GROUP]
    held = Group.permissions.through.objects.filter(group__name__in=names, permission__in=media_perms).count()
    if held == len(names) * 4:  # add, change, delete, view for both groups: one query when all is there
        return "skipped: media permissions are there"
    perms = list(media_perms)
    granted = 0
    for group in Group.objects.filter(name__in=names).prefetch_related("permissions"):
        missing = [p for p in perms if p not in set(group.permissions.all())]
        if missing:
            group.permissions.add(*missing)
            granted += len(missing)
    return f"{granted} media permissions granted" if granted else "skipped: media permissions are there"


@demo_step(order=260, models=("learning.MediaAsset", "learning.CoursePage", "learning.LessonPage"))
def seed_courses(ctx: DemoContext) -> str:
    # Wagtail logs every page it creates; two hundred such lines would bury the seed's summary.
    wagtail_logger = logging.getLogger("wagtail")
    level = wagtail_logger.level
    wagtail_logger.setLevel(logging.WARNING)
    try:
        return _seed_courses(ctx)
    finally:
        wagtail_logger.setLevel(level)


def _seed_courses(ctx: DemoContext) -> str:
    slugs = [spec[0] for spec in catalogue.COURSES]
    if CoursePage.objects.filter(slug__in=slugs).exists():
        return "skipped: demo courses are there"
    small = ctx.scale < 0.2
    specs = [m for m in MEDIA if not small or m[0] in SMALL_SCALE_MEDIA]
    if small:
        specs = [(*m[:4], SMALL_SCALE_SECONDS, *m[5:]) for m in specs]
    assets = {spec[0]: demo_asset(spec) for spec in specs}
    index = course_index_get_or_create(
        title="云课堂", intro="党史学习、党章党规、理论宣讲、技能培训……碎片时间随时学，断点续学不落课。"
    )
    editor = User.objects.filter(username="demo_editor").first()
    teachers = {}
    count = ctx.scaled(len(catalogue.COURSES), minimum=6)
    courses = catalogue.COURSES[:count]
    now = timezone.now()
    lessons_made = 0
    for position, (slug, title, topic, visibility, unit, summary, subjects) in enumerate(courses):
        orgs = _target_orgs(visibility) if visibility in ("riders", "town") else []
        course_visibility = (
            Visibility.ORGS if orgs else (Visibility.PUBLIC if visibility == "public" else Visibility.MEMBERS)
        )
        from core.demo.generate import PeopleMaker

        teacher = teachers.setdefault(unit, f"{unit} {PeopleMaker(ctx.rng).name()}")
        published = now - datetime.timedelta(days=400 - position * 15)
        course = course_create(
            index=index,
            title=title,
            slug=slug,
            topic=Topic(topic),
            visibility=course_visibility,
            orgs=orgs,
            summary=summary,
            teacher=teacher,
            description=f"<p>{summary}</p><p>主讲单位：{unit}。</p>",
            owner=editor,
        )
        CoursePage.objects.filter(pk=course.pk).update(first_published_at=published, last_published_at=published)
        keep = len(subjects) if not small else min(3, len(subjects))
        for n, subject in enumerate(subjects[:keep], 1):
            lesson_title, fields = _lesson_fields(ctx, subject, slug in catalogue.AUDIO_COURSES, assets)
            when = published + datetime.timedelta(days=n * 3)
            lesson_create(
                course=course,
                title=lesson_title,
                slug=f"lesson-{n}",
                owner=editor,
                first_published_at=when,
                last_published_at=when,
                **fields,
            )
            lessons_made += 1
    made_media = sum(1 for a in assets.values() if a is not None)
    return f"{len(courses)} courses, {lessons_made} lessons, {made_media} media packages"


@demo_step(order=265, models=("learning.LessonProgress", "learning.LearningDay"))
def seed_progress(ctx: DemoContext) -> str:
    """Some learning by the demo member and the members around them, over the last months."""
    from core.demo.steps import DEMO_TOWN_CODE

    if LessonProgress.objects.exists() or not LessonPage.objects.exists():
        return "skipped: progress is there (or no lessons)"
    member = User.objects.filter(username="demo_member").first()
    town_members = list(
        Membership.objects.filter(role=Role.MEMBER, party_org__area__path__startswith=_town_path(DEMO_TOWN_CODE))
        .exclude(user__username="demo_member")
        .values_list("user_id", flat=True)
        .distinct()[: ctx.scaled(400, minimum=5)]
    )
    learners = ([member.pk] if member else []) + town_members
    # Videos and audio count their (short, demo) length; articles and links their study time.
    lessons = [
        lesson for lesson in LessonPage.objects.live().select_related("media").order_by("path") if lesson.duration() > 0
    ]
    courses = {c.path: c for c in CoursePage.objects.all()}
    if not lessons or not learners:
        return "skipped: nobody to learn or nothing to learn"
    today = timezone.localdate()
    progress_rows, day_rows = [], []
    for user_id in learners:
        is_demo = member is not None and user_id == member.pk
        share = 0.5 if is_demo else ctx.rng.choice([0.0, 0.05, 0.1, 0.2, 0.35])
        for lesson in lessons:
            if ctx.rng.random() >= share:
                continue
            duration = lesson.duration()
            course = courses.get(lesson.path[: -Page.steplen])
            if course is None or duration <= 0:
                continue
            fraction = 1.0 if not lesson.is_media or ctx.rng.random() < 0.6 else ctx.rng.uniform(0.2, 0.8)
            watched = round(duration * fraction, 2)
            days_ago = ctx.rng.randint(0, 170)
            when = timezone.now() - datetime.timedelta(days=days_ago, hours=ctx.rng.randint(0, 12))
            progress_rows.append(
                LessonProgress(
                    user_id=user_id,
                    lesson=lesson,
                    course=course,
                    intervals=[[0.0, watched]],
                    watched_seconds=watched,
                    position=0.0 if fraction == 1.0 else watched,
                    completed_at=when if fraction >= 0.9 else None,
                )
            )
            day_rows.append(
                LearningDay(
                    user_id=user_id,
                    lesson=lesson,
                    course=course,
                    day=today - datetime.timedelta(days=days_ago),
                    seconds=watched,
                )
            )
    LessonProgress.objects.bulk_create(progress_rows, batch_size=500)
    LearningDay.objects.bulk_create(day_rows, batch_size=500)
    return f"{len(progress_rows)} lessons in progress for {len(learners)} members"


def _town_path(code: str) -> str:
    from core.models import Area

    area = Area.objects.filter(code=code).first()
    return area.path if area else "/-none-/"
