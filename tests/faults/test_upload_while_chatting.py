"""A large upload while a crowd of screens chats, in the deployment the README documents.

The proxy sends pages, the API and the admin (where lesson media are uploaded) to gunicorn and the
sockets to Daphne (README, "Deployment"). So here an editor streams a lesson video of UPLOAD_MB
through the admin form to a gunicorn process while one Daphne process on the same machine and
database holds SCREENS screens of a live event; two venues talk the whole time, each as fast as
the chat rate lets a socket (one line per 1.3 s), before, during and after the upload. Every line
must reach every screen, in order, none later than STALL_BOUND after it was sent, and the upload
must be stored whole (same SHA-256 as what was sent).

Scale: 384 MB and 200 screens instead of 2 GB and 1,000, so the test takes about a minute on two
cores. The upload competes with the chat for the CPU and the disk for as long as it lasts; the bound
is on the longest delay of any one line, which does not grow with the file's size.

The bound, STALL_BOUND = 2 s: idle, a line reaches all 200 screens here in tens of milliseconds; a
machine also running the rest of the suite (load 10+ on 2 cores) stretches that to several hundred.
A process stalled by the upload (see below) shows delays of many seconds. The measured figures go
in the summary table.

Not covered (found by this fault, still open): the same upload sent to Daphne itself (no gunicorn,
everything proxied to Daphne) stalls that process's sockets for tens of seconds: Daphne hands the
whole request body to the application at once and Django's ASGI handler copies it in the event
loop. Large files should reach Daphne only in resumable chunks (core.resumable) or go to gunicorn.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from pathlib import Path

import pytest

from core.tests.factories import DEFAULT_PASSWORD
from learning.models import MediaAsset
from streaming.models import ChatMessage, LiveEvent
from streaming.tests.factories import make_world
from tests.faults.chat import speak
from tests.faults.crowd import Screen
from tests.faults.uploads import make_media_editor, post_upload
from tests.support import (
    DaphneProcess,
    GunicornProcess,
    in_thread,
    live_db,
    running_servers,
    signed_in_session,
    subprocess_env,
)

pytestmark = [pytest.mark.daphne, live_db, pytest.mark.timeout(300)]

SCREENS = 200
UPLOAD_MB = 384
STALL_BOUND = 2.0
# The upload lasts at least this long, however fast the machine (a quiet box sends 384 MB in 2–3 s),
# so that each venue says several lines while it runs (the test asks for 5 in all).
UPLOAD_SECONDS_AT_LEAST = 10.0
PACE = 1.3  # seconds between a socket's lines: just under the chat rate (8 in 10 s), so never held back


def test_large_upload_while_screens_chat_loses_no_line_and_stalls_none(live_database_url, fault_report):
    world = make_world(state=LiveEvent.State.LIVE)
    event_id = world.event.pk
    editor = make_media_editor()
    env = subprocess_env(DATABASE_URL=live_database_url)  # the in-memory channel layer: one process
    with running_servers(DaphneProcess(env, "daphne"), GunicornProcess(dict(env), "gunicorn")) as (server, pages):
        host = signed_in_session(server, world.organiser.username, DEFAULT_PASSWORD).cookies["sessionid"]
        venue = signed_in_session(server, world.operator_a.username, DEFAULT_PASSWORD).cookies["sessionid"]
        uploader = signed_in_session(pages, editor.username, DEFAULT_PASSWORD)
        gate = asyncio.Semaphore(20)
        screens = [Screen(host, event_id, gate=gate) for _ in range(SCREENS)]
        sent_at: dict[str, float] = {}
        phase_of: dict[str, str] = {}
        target: list[int] = []
        upload: dict = {}

        def done(screen: Screen) -> bool:
            return bool(target) and screen.last >= target[0]

        async def talk(session: str, name: str, query: str, stop: asyncio.Event) -> list[str]:
            def lines():
                n = 0
                while not stop.is_set():
                    line = f"{name}{n}"
                    phase_of[line] = (
                        "upload" if upload.get("running") else ("after" if upload.get("done") else "before")
                    )
                    n += 1
                    yield line

            return await speak(server, session, event_id, lines(), query=query, sent_at=sent_at, pause=PACE)

        async def scenario() -> list[str]:
            listening = [asyncio.create_task(s.listen(lambda: server, done)) for s in screens]
            async with asyncio.timeout(90):
                while any(s.start_seq < 0 for s in screens):
                    await asyncio.sleep(0.1)
            stop = asyncio.Event()
            talkers = [
                asyncio.create_task(talk(venue, "分会场", f"venue={world.venue_a.pk}", stop)),
                asyncio.create_task(talk(host, "主会场", "", stop)),
            ]
            await asyncio.sleep(4)  # lines before the upload: the idle figure
            upload["running"] = True
            started = time.monotonic()
            upload["response"], upload["body"] = await asyncio.to_thread(
                post_upload,
                pages,
                uploader,
                title="党课：2 GB 的录像",
                size=UPLOAD_MB << 20,
                seconds_at_least=UPLOAD_SECONDS_AT_LEAST,
            )
            upload["seconds"] = time.monotonic() - started
            upload["running"], upload["done"] = False, True
            await asyncio.sleep(3)  # and after
            stop.set()
            said = [line for lines in await asyncio.gather(*talkers) for line in lines]
            target.append(await asyncio.to_thread(in_thread, lambda: LiveEvent.objects.get(pk=event_id).last_seq))
            async with asyncio.timeout(60):
                await asyncio.gather(*listening)
            return said

        said = asyncio.run(scenario())

        response, body = upload["response"], upload["body"]
        assert response.status_code == 302, f"upload → {response.status_code}{pages.diagnostics()}"
    asset = MediaAsset.objects.get(title="党课：2 GB 的录像")
    assert asset.source_size == UPLOAD_MB << 20 and _sha256(Path(asset.source.path)) == body.sha256.hexdigest()

    saved = set(ChatMessage.objects.filter(event_id=event_id).values_list("text", flat=True))
    assert saved == set(said) and sum(1 for line in said if phase_of[line] == "upload") >= 5, phase_of
    delays: dict[str, list[float]] = {"before": [], "upload": [], "after": []}
    for screen in screens:
        assert screen.gaps(target[0]) == [], f"a screen missed or doubled lines: {screen.gaps(target[0])}"
        assert {text for _seq, text, _t in screen.chats} == saved
        for _seq, text, arrived in screen.chats:
            delays[phase_of[text]].append(arrived - sent_at[text])
    worst = max(delays["upload"])
    figures = (
        f"{UPLOAD_MB} MB in {upload['seconds']:.0f} s, {SCREENS} screens, {len(said)} lines; "
        f"line delay median/max idle {_ms(statistics.median(delays['before']))}/{_ms(max(delays['before']))}, "
        f"during upload {_ms(statistics.median(delays['upload']))}/{_ms(worst)} ms"
    )
    print(figures)
    assert worst < STALL_BOUND, f"a line took {worst:.2f} s to reach a screen during the upload ({figures})"
    fault_report(
        fault="large upload while screens chat",
        user_saw="every line on every screen, in order (upload to gunicorn, chat on Daphne); the upload saved whole",
        data_lost="none",
        figures=figures,
    )


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f}"


def _sha256(path: Path) -> str:
    import hashlib

    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()
