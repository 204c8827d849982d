"""The live viewer in a real browser: a renewed playback signature never interrupts the picture.

Every heartbeat answers with a signed address. Players used to rebuild hls.js for any address they
had not played yet, so when the signature changed the picture froze (about 0.7 s, "正在等待直播画面…").
Here the page plays real HLS (a few seconds of ffmpeg test pattern, served by a route under the
event's /live-media/ prefix), the heartbeat's answer carries the next hour's signature, and the video
element must keep playing the stream it has: no reload, no request to the new address.
"""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from core.ffmpeg import ffmpeg_binary
from core.tests.factories import DEFAULT_PASSWORD
from streaming.models import LiveEvent
from streaming.tests.factories import LiveWorld, make_world
from streaming.video.packaging import paths
from tests.e2e.test_portal_browser import TIMEOUT_MS
from tests.support import launched_chromium, live_db, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.daphne, live_db]


@pytest.fixture
def world(transactional_db) -> LiveWorld:
    return make_world(audience=LiveEvent.Audience.MEMBERS, state=LiveEvent.State.LIVE)


@pytest.fixture
def hls_dir(tmp_path: Path) -> Path:
    """Eight one-second segments of test pattern and tone, as the packager writes them."""
    out = tmp_path / "hls"
    out.mkdir()
    subprocess.run(
        [
            ffmpeg_binary(),
            "-hide_banner",
            "-nostdin",
            "-v",
            "error",
            "-f",
            "lavfi",
            "-i",
            "testsrc2=size=640x360:rate=25",
            "-f",
            "lavfi",
            "-i",
            "sine=frequency=440:sample_rate=48000",
            "-t",
            "8",
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
            "-g",
            "25",
            "-pix_fmt",
            "yuv420p",
            "-c:a",
            "aac",
            "-f",
            "hls",
            "-hls_time",
            "1",
            "-hls_list_size",
            "0",
            "-hls_segment_filename",
            str(out / "s%03d.ts"),
            str(out / "master.m3u8"),
        ],
        check=True,
        timeout=120,
    )
    return out


@pytest.fixture
def browser(world, hls_dir) -> Iterator:
    with launched_chromium(("--autoplay-policy=no-user-gesture-required",)) as launched:
        yield launched


def test_a_renewed_signature_from_the_heartbeat_does_not_reload_the_player(browser, daphne, world, hls_dir):
    """A member watching on their own device (the venue's big screen runs the same player)."""
    event_id = world.event.pk
    renewed = paths.playback_token(event_id, now=time.time() + paths.PLAYBACK_TOKEN_STEP)  # the next hour's
    media_requests: list[str] = []
    heartbeat_urls: list[str] = []

    def serve_media(route):
        # /live-media/<event>/<token>/<file>: any token, the files of hls_dir.
        url = route.request.url
        media_requests.append(url)
        name = url.split("?")[0].rsplit("/", 1)[1]
        kind = "application/vnd.apple.mpegurl" if name.endswith(".m3u8") else "video/mp2t"
        route.fulfill(status=200, body=(hls_dir / name).read_bytes(), headers={"Content-Type": kind})

    def renew_in_heartbeat(route):
        # The real answer of the server, with the signature it will give after the next hour starts.
        response = route.fetch()
        body = response.json()
        assert body["state"] == "live" and body["playback_url"], body
        token = body["playback_url"].split("/")[3]
        body["playback_url"] = body["playback_url"].replace(token, renewed)
        heartbeat_urls.append(body["playback_url"])
        route.fulfill(response=response, body=json.dumps(body))

    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="zh-CN")
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    page.route(f"**/live-media/{event_id}/**", serve_media)
    page.route(f"**/live/{event_id}/heartbeat/", renew_in_heartbeat)
    sign_in(page, daphne, world.member_a.username, DEFAULT_PASSWORD)
    page.goto(f"{daphne.url}/live/{event_id}/")

    console: list[str] = []
    page.on("console", lambda message: console.append(message.text))
    try:
        page.wait_for_function("() => window.DJPlayer && DJPlayer.video.currentTime > 0.5")
    except Exception as exc:
        state = page.evaluate("() => window.DJPlayer && [DJPlayer.health(), DJPlayer.video.readyState]")
        raise AssertionError(f"the video did not play at {page.url}: {state} {media_requests} {console}") from exc
    first_src = page.evaluate(
        "() => { window.emptied = 0; DJPlayer.video.addEventListener('emptied', () => { window.emptied += 1; });"
        " return DJPlayer.video.currentSrc; }"
    )
    played_before = [u for u in media_requests if renewed in u]
    assert played_before == []

    with page.expect_response(f"**/live/{event_id}/heartbeat/"):
        page.evaluate("() => DJPlayer.tick()")
    assert heartbeat_urls and renewed in heartbeat_urls[-1]
    at_heartbeat = page.evaluate("() => DJPlayer.video.currentTime")
    # The picture keeps moving for another second after the answer arrived …
    page.wait_for_function("t => DJPlayer.video.currentTime > t + 1", arg=at_heartbeat)
    # … on the same media element source, never emptied for a reload, and nothing asked at the new address.
    assert page.evaluate("() => window.emptied") == 0
    assert page.evaluate("() => DJPlayer.video.currentSrc") == first_src
    assert [u for u in media_requests if renewed in u] == []
    assert page.locator("[data-live-event]").get_attribute("data-health") == "playing"
    context.close()
