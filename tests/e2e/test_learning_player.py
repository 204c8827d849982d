"""A member takes a video lesson in the system Chromium: it plays, a reload resumes where they stopped,
and the audio-only mode (党课随身听) plays the audio rendition.

The lesson's media is transcoded by the real pipeline into the media root the Daphne process
serves. Playwright's sync API keeps an event loop running in this thread and Django refuses ORM
calls meanwhile, so every row is made before the browser starts (the `chromium` fixture depends on
`video_lesson`), and what the server recorded is read back through the API.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.core.files import File
from django.core.files.storage import default_storage

from learning.models import LessonKind, MediaAsset, Topic, Visibility
from learning.services.courses import course_create, course_index_get_or_create, lesson_create
from learning.services.media import media_asset_process, storage_delete_tree
from learning.tests.media import make_clip
from tests.support import launched_chromium, live_db, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.daphne, live_db]

TIMEOUT_MS = 20_000


@dataclass
class VideoLesson:
    url: str
    lesson_id: int
    member_id: int
    username: str
    password: str
    renditions: list[str]


@pytest.fixture
def video_lesson(people) -> Iterator[VideoLesson]:
    """A members' course with one 12-second video lesson, transcoded into the served media root."""
    with tempfile.TemporaryDirectory() as folder:
        clip = make_clip(Path(folder) / "lesson.mp4", seconds=12, size="854x480", rate=25)
        with open(clip, "rb") as handle:
            source = default_storage.save("learning/sources/e2e-lesson.mp4", File(handle))
    asset = MediaAsset.objects.create(title="浏览器测试视频", source=source, status=MediaAsset.Status.QUEUED, attempt=1)
    assert media_asset_process(asset_id=asset.pk, attempt=1) == MediaAsset.Status.READY
    asset.refresh_from_db()
    index = course_index_get_or_create()
    course = course_create(index=index, title="骑手五分钟党课", topic=Topic.THEORY, visibility=Visibility.MEMBERS)
    lesson = lesson_create(course=course, title="第一讲 初心与使命", kind=LessonKind.VIDEO, media=asset)
    try:
        yield VideoLesson(
            url=lesson.url,
            lesson_id=lesson.pk,
            member_id=people.member.pk,
            username=people.member.username,
            password=people.password,
            renditions=[r["name"] for r in asset.renditions],
        )
    finally:
        storage_delete_tree(f"learning/media/{asset.storage_key}")
        default_storage.delete(source)


@pytest.fixture
def chromium(video_lesson) -> Iterator:
    with launched_chromium(("--autoplay-policy=no-user-gesture-required",)) as browser:
        yield browser


def current_time(page) -> float:
    return page.evaluate("() => document.querySelector('[data-player] video').currentTime")


def test_a_member_watches_resumes_and_listens(chromium, daphne, video_lesson):
    assert video_lesson.renditions == ["480p", "360p"]
    context = chromium.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    media_requests: list[str] = []
    page.on("request", lambda r: media_requests.append(r.url) if "/learning/media/" in r.url else None)
    sign_in(page, daphne, video_lesson.username, video_lesson.password)

    page.goto(f"{daphne.url}{video_lesson.url}")
    page.wait_for_selector("[data-player][data-ready]")
    options = page.eval_on_selector_all("[data-quality] option", "els => els.map(e => e.textContent.trim())")
    assert options[1:] == ["480p", "360p"], options
    page.select_option("[data-speed]", "1.5")
    assert page.evaluate("() => document.querySelector('[data-player] video').playbackRate") == 1.5

    # It plays: the clock moves on through real decoded video (H.264/AAC through hls.js and MSE).
    page.evaluate("() => document.querySelector('[data-player] video').play()")
    page.wait_for_function("() => document.querySelector('[data-player] video').currentTime > 4")
    assert page.evaluate("() => document.querySelector('[data-player] video').videoWidth") > 0
    progress_url = f"/api/learning/lessons/{video_lesson.lesson_id}/progress"
    with page.expect_response(lambda r: r.url.endswith(progress_url)) as sent:
        page.evaluate("() => document.querySelector('[data-player] video').pause()")
    assert sent.value.status == 200, sent.value.text()
    stopped_at = current_time(page)
    saved = sent.value.json()
    page.wait_for_timeout(300)
    assert saved["watched"] >= 3.5 and abs(saved["position"] - stopped_at) < 1.0, (saved, stopped_at)

    # A reload resumes near the same position, and says so.
    page.reload()
    page.wait_for_selector("[data-player][data-ready]")
    page.wait_for_function(
        "at => { const v = document.querySelector('[data-player] video'); return v.readyState >= 1 && "
        "Math.abs(v.currentTime - at) < 1.5; }",
        arg=stopped_at,
    )
    assert "继续播放" in page.inner_text("[data-status]")

    # 党课随身听: the audio rendition plays, and no more video segments are fetched.
    before_audio = len(media_requests)  # before the click: the switch may fetch the audio at once
    page.get_by_role("button", name="只听声音").click()
    page.wait_for_selector("[data-player].audio-mode")
    assert page.get_attribute("[data-audio-only]", "aria-pressed") == "true"
    page.evaluate("() => document.querySelector('[data-player] video').play()")
    start = current_time(page)
    page.wait_for_function("at => document.querySelector('[data-player] video').currentTime > at + 2", arg=start)
    after = media_requests[before_audio:]
    assert any("/audio/" in url for url in after), after
    # From the switch on (the audio playlist loaded as the source), no video segment is fetched.
    switched = next((i for i, url in enumerate(after) if url.split("?")[0].endswith("/audio/index.m3u8")), 0)
    in_audio_mode = after[switched:]
    assert not any(("/480p/" in url or "/360p/" in url) for url in in_audio_mode), after
    assert page.evaluate("() => document.querySelector('[data-player] video').videoWidth") == 0
    with page.expect_response(lambda r: r.url.endswith("/progress")) as sent_again:
        page.evaluate("() => document.querySelector('[data-player] video').pause()")
    assert sent_again.value.status == 200, sent_again.value.text()

    # What the server kept, as the mobile client's API reports it: the stretches actually played.
    record = page.request.get(f"{daphne.url}/api/learning/lessons/{video_lesson.lesson_id}").json()
    assert record["watched"] >= saved["watched"] + 1.5 and abs(record["position"] - current_time(page)) < 1.0
    assert record["watched"] <= current_time(page) + 0.5 and not record["completed"]
    assert not errors, errors
    context.close()
