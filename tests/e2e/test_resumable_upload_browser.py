"""An editor uploads a lesson video in the system Chromium: the upload field shows a progress bar, a
chunk lost to a network drop is sent again from the server's offset, a paused upload continues after a
page reload from where the server stopped, and saving the form makes the media asset.

The file is small, so the test shrinks the chunk the page sends (the server takes any chunk up to its
cap); the drop is a request Chromium aborts as a reset connection.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from learning.models import MediaAsset
from learning.tests.factories import make_media_editor
from learning.tests.media import make_clip
from tests.support import DaphneProcess, in_thread, launched_chromium, live_db, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.daphne, live_db]

TIMEOUT_MS = 30_000
CHUNK = 16 * 1024
ADD = "/admin/snippets/learning/mediaasset/add/"


@dataclass
class Editor:
    username: str
    clip: Path
    size: int


@pytest.fixture
def editor(transactional_db) -> Iterator[Editor]:
    user = make_media_editor()
    with tempfile.TemporaryDirectory() as folder:
        clip = make_clip(Path(folder) / "党课录像.mp4", seconds=2)
        yield Editor(username=user.username, clip=clip, size=clip.stat().st_size)


@pytest.fixture
def chromium(editor) -> Iterator:
    with launched_chromium() as browser:
        yield browser


def open_form(page, server: DaphneProcess) -> None:
    page.goto(f"{server.url}{ADD}")
    page.wait_for_selector("[data-resumable]")
    page.evaluate(f"() => {{ document.querySelector('[data-resumable]').dataset.chunk = '{CHUNK}'; }}")


def offset_shown(page) -> int:
    return int(page.get_attribute("[data-resumable]", "data-offset") or 0)


def test_the_progress_bar_survives_a_drop_and_a_reload(chromium, daphne, editor):
    assert editor.size > 8 * CHUNK, editor.size
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    patches: list[int] = []
    dropped: list[int] = []
    held: list = []  # chunks kept back while `hold` is on, to save the form mid-upload
    hold = [False]

    def on_upload(route) -> None:
        request = route.request
        if request.method == "PATCH":
            offset = int(request.headers["upload-offset"])
            if offset == 2 * CHUNK and not dropped:  # the third chunk is lost on the way
                dropped.append(offset)
                route.abort("connectionreset")
                return
            patches.append(offset)
            if hold[0]:
                held.append(route)
                return
        route.continue_()

    page.route("**/learning/uploads/**", on_upload)
    sign_in(page, daphne, editor.username)

    open_form(page, daphne)
    # A file the server refuses says why, in Chinese, and is not sent with the form instead.
    page.set_input_files(
        "[data-resumable] input[type=file]",
        files=[{"name": "会议纪要.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1.7 minutes"}],
    )
    page.wait_for_selector("[data-resumable][data-state=failed]")
    assert "上传失败：不能上传这种类型的文件" in page.text_content("[data-resumable-state]")
    assert page.evaluate("() => document.querySelector('[data-resumable] input[type=file]').files.length") == 0

    page.set_input_files("[data-resumable] input[type=file]", str(editor.clip))
    # Past the drop: the lost chunk was sent again from the offset the server gave.
    page.wait_for_function(f"() => +document.querySelector('[data-resumable]').dataset.offset >= {4 * CHUNK}")
    page.get_by_role("button", name="暂停").click()
    page.wait_for_selector("[data-resumable][data-state=paused]")
    assert page.text_content("[data-resumable-state]") == "已暂停。"
    paused_at = offset_shown(page)
    bar = page.evaluate("() => document.querySelector('[data-resumable-bar]').value")
    assert dropped == [2 * CHUNK] and patches.count(2 * CHUNK) == 1, (dropped, patches)
    assert 0 < bar < 100, bar

    # A reload: the page names the unfinished upload; choosing the file again resumes at the server's offset.
    page.reload()
    page.wait_for_selector("[data-resumable-unfinished]")
    assert "未完成的上传：党课录像.mp4" in page.text_content("[data-resumable-note]")
    open_form(page, daphne)
    page.fill("#id_title", "浏览器断点续传")
    sent_before = len(patches)
    hold[0] = True
    page.set_input_files("[data-resumable] input[type=file]", str(editor.clip))
    deadline = time.monotonic() + TIMEOUT_MS / 1000
    while not held and time.monotonic() < deadline:  # the route handler runs while Playwright waits
        page.wait_for_timeout(20)
    resumed_from = patches[sent_before]
    assert resumed_from >= paused_at - CHUNK and resumed_from > 0, (paused_at, patches[sent_before:])

    # Saved while the file is still going up: the form waits for the upload, then sends itself.
    page.get_by_role("button", name="保存").first.click()
    page.wait_for_function(
        "() => document.querySelector('[data-resumable-state]').textContent.includes('上传完成后将自动保存')"
    )
    assert page.url.endswith(ADD) and len(held) == 1
    hold[0] = False
    for route in held:
        route.continue_()
    page.wait_for_url("**/admin/snippets/learning/mediaasset/edit/**", timeout=120_000)
    assert not errors, errors

    asset = in_thread(lambda: MediaAsset.objects.get(title="浏览器断点续传"))
    assert asset.source_name == "党课录像.mp4" and asset.source_size == editor.size
    assert asset.status == MediaAsset.Status.READY, asset.error_detail
    context.close()
