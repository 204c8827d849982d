"""Signed playback URLs and the /live-media/ file server: types, cache headers, the live window, no database.

These tests have no database access at all (pytest-django blocks it in every thread), which is the
proof that serving a playlist or a segment never costs a query.
"""

from __future__ import annotations

import time

import pytest
from asgiref.sync import async_to_sync

from streaming.video.packaging import paths
from streaming.video.serving import LiveMediaApp
from streaming.video.tests.test_packaging import LIVE


async def inner_app(scope, receive, send):
    await send({"type": "http.response.start", "status": 299, "headers": []})
    await send({"type": "http.response.body", "body": b"django"})


def request(app, path: str, method: str = "GET") -> tuple[int, dict[bytes, bytes], bytes]:
    sent: list[dict] = []

    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message):
        sent.append(message)

    async_to_sync(app)({"type": "http", "method": method, "path": path, "headers": []}, receive, send)
    return sent[0]["status"], dict(sent[0]["headers"]), sent[1]["body"]


@pytest.fixture
def live(settings, tmp_path):
    settings.LIVE_MEDIA_ROOT = tmp_path
    root = paths.event_dir(7)
    (root / "360p").mkdir(parents=True)
    (root / "master.m3u8").write_text("#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1\n360p/index.m3u8\n")
    (root / "360p" / "index.m3u8").write_text(LIVE)
    (root / "360p" / "s000004.ts").write_bytes(b"G" * 188)
    return LiveMediaApp(inner_app), paths.playback_path(7).rsplit("/", 1)[0]


def test_directory_names_and_tokens_are_unguessable_and_checked():
    assert paths.event_dir_name(7).startswith("7-") and paths.event_dir_name(7) != paths.event_dir_name(8)
    token = paths.playback_token(7)
    assert paths.token_valid(7, token)
    assert not paths.token_valid(8, token)  # another event
    assert not paths.token_valid(7, token[:-1] + ("0" if token[-1] != "0" else "1"))  # tampered
    long_ago = time.time() - paths.PLAYBACK_TTL - paths.PLAYBACK_TOKEN_STEP - 1
    assert not paths.token_valid(7, paths.playback_token(7, now=long_ago))  # expired
    assert not paths.token_valid(7, "../../etc")


def test_one_address_for_every_viewer_within_an_hour_valid_at_least_the_ttl():
    """Rounded expiries: a proxy can cache segments for all viewers, and a heartbeat gets the address
    the page already plays (a new one every second made players reload and freeze)."""
    step, ttl = paths.PLAYBACK_TOKEN_STEP, paths.PLAYBACK_TTL
    start = 1_800_000_000 - 1_800_000_000 % step  # a step boundary
    tokens = {paths.playback_token(7, now=start + offset) for offset in (1, 60, 1800, step - 1, step)}
    assert len(tokens) == 1
    assert paths.playback_token(7, now=start + step + 1) not in tokens  # the next hour's address
    for offset in (1, step - 1, step):
        token = paths.playback_token(7, now=start + offset)
        assert paths.token_valid(7, token, now=start + offset + ttl)  # at least the TTL
        assert not paths.token_valid(7, token, now=start + offset + ttl + step + 1)  # at most one step more


def test_playlists_and_segments_are_served_with_their_types_and_caching(live):
    app, base = live
    status, headers, body = request(app, f"{base}/master.m3u8")
    assert (status, headers[b"content-type"], headers[b"cache-control"]) == (
        200,
        b"application/vnd.apple.mpegurl",
        b"no-cache",
    )
    assert body.startswith(b"#EXTM3U")
    status, headers, body = request(app, f"{base}/360p/s000004.ts")
    assert (status, headers[b"content-type"]) == (200, b"video/mp2t")
    assert headers[b"cache-control"] == b"public, max-age=31536000, immutable"
    assert headers[b"content-length"] == b"188" and body == b"G" * 188
    status, headers, body = request(app, f"{base}/360p/s000004.ts", method="HEAD")
    assert status == 200 and headers[b"content-length"] == b"188" and body == b""


def test_media_playlists_are_trimmed_to_the_live_window(live, settings):
    app, base = live
    _, _, body = request(app, f"{base}/360p/index.m3u8")
    assert body.count(b"#EXTINF") == 5  # short enough: as written
    lines = [f"#EXTINF:1.0,\ns{n:06d}.ts" for n in range(5, 40)]
    playlist = paths.event_dir(7) / "360p" / "index.m3u8"
    playlist.write_text(LIVE + "\n".join(lines) + "\n")
    _, _, body = request(app, f"{base}/360p/index.m3u8")
    text = body.decode()
    assert text.count("#EXTINF") == 6 and "#EXT-X-MEDIA-SEQUENCE:34" in text and text.rstrip().endswith("s000039.ts")


@pytest.mark.parametrize(
    "suffix",
    ["/../master.m3u8", "/360p/../../x.ts", "/360p/s000099.ts", "/master.txt", "/a/b/c.ts", "/360p/.index.m3u8"],
)
def test_anything_else_under_the_prefix_is_not_found(live, suffix):
    app, base = live
    assert request(app, base + suffix)[0] == 404


def test_a_bad_or_foreign_token_is_not_found_like_a_missing_file(live):
    app, base = live
    assert request(app, base.replace("/live-media/7/", "/live-media/8/") + "/master.m3u8")[0] == 404
    expired = paths.playback_path(7, now=time.time() - paths.PLAYBACK_TTL - paths.PLAYBACK_TOKEN_STEP - 5)
    assert request(app, expired)[0] == 404
    assert request(app, f"{base}/master.m3u8", method="POST")[0] == 405


def test_other_paths_go_to_django(live):
    app, _ = live
    assert request(app, "/live/7/")[0] == 299
    assert request(app, "/live-mediax/7/")[0] == 299


def test_behind_nginx_segments_are_handed_to_the_web_server(settings, tmp_path):
    """With MEDIA_ACCEL_REDIRECT and the live folder under MEDIA_ROOT, a segment is named for nginx's
    internal location (after the token check); playlists, trimmed here, are still sent from here."""
    settings.MEDIA_ROOT = tmp_path
    settings.LIVE_MEDIA_ROOT = tmp_path / "live"
    settings.MEDIA_ACCEL_REDIRECT = "/_protected/media/"
    root = paths.event_dir(7)
    (root / "360p").mkdir(parents=True)
    (root / "360p" / "index.m3u8").write_text(LIVE)
    (root / "360p" / "s000004.ts").write_bytes(b"G" * 188)
    app, base = LiveMediaApp(inner_app), paths.playback_path(7).rsplit("/", 1)[0]
    status, headers, body = request(app, f"{base}/360p/s000004.ts")
    assert status == 200 and body == b""
    assert headers[b"x-accel-redirect"] == f"/_protected/media/live/{root.name}/360p/s000004.ts".encode()
    assert headers[b"content-type"] == b"video/mp2t" and b"immutable" in headers[b"cache-control"]
    status, headers, body = request(app, f"{base}/360p/index.m3u8")
    assert status == 200 and body.startswith(b"#EXTM3U") and b"x-accel-redirect" not in headers
    for missing in (f"{base}/360p/s000099.ts", f"{base.replace(base.split('/')[-1], '0' * 40)}/360p/s000004.ts"):
        status, headers, _ = request(app, missing)
        assert status == 404 and b"x-accel-redirect" not in headers
    # A live folder outside MEDIA_ROOT is not under nginx's location: the segment is sent from here.
    settings.LIVE_MEDIA_ROOT = tmp_path.parent / f"{tmp_path.name}-live-elsewhere"
    paths.event_dir(7).joinpath("360p").mkdir(parents=True)
    paths.event_dir(7).joinpath("360p", "s000004.ts").write_bytes(b"G" * 188)
    status, headers, body = request(LiveMediaApp(inner_app), f"{base}/360p/s000004.ts")
    assert status == 200 and body == b"G" * 188 and b"x-accel-redirect" not in headers
