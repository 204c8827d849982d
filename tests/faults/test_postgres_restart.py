"""PostgreSQL crashed and restarted while people use the site.

A private PostgreSQL cluster (initdb on a free port; the machine's shared server is never touched)
gets a copy of this run's test database; a Daphne process serves the site from it. Readers load the
host console in a loop and a venue talks in the live chat; then the cluster is stopped in immediate
mode (every backend killed, as in a crash: only the WAL survives) and started again OUTAGE seconds
later.

- during the outage a page is the site's own error page ("抱歉，系统出了问题 … 请稍后几分钟再试"), answered
  at once (no request hangs), and a chat line is not acknowledged (the socket closes; the page keeps
  the text): nobody is told something was saved that was not;
- after the restart the same pages and the chat work again without restarting Daphne;
- every line that was acknowledged is in the database after the crash: nothing committed is lost.

Runs when this test run's database is PostgreSQL (the PG pass of `make test`/CI): the copy is a
pg_dump of the test database, seconds, where migrating a fresh cluster would take minutes. On an
SQLite run it is skipped with that reason.
Scale: 3 readers and one speaker for about 15 s; a crash loses uncommitted work whatever the load.
"""

from __future__ import annotations

import asyncio
import subprocess
import threading
import time

import pytest
from websockets.exceptions import ConnectionClosed, InvalidHandshake

from core.tests.factories import DEFAULT_PASSWORD
from streaming.models import LiveEvent
from streaming.tests.factories import make_world
from tests.faults.chat import speak
from tests.faults.servers import PrivatePostgres
from tests.support import HTTP_TIMEOUT, http_session, live_db, running_daphnes, signed_in_session, subprocess_env

pytestmark = [pytest.mark.daphne, live_db, pytest.mark.timeout(240)]

OUTAGE = 4.0  # seconds the database is down
READERS = 3


@pytest.fixture
def private_copy(live_database_url: str):
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("this run's database is SQLite; the PostgreSQL restart runs in the PostgreSQL pass")
    cluster = PrivatePostgres()
    try:
        cluster.init()
        yield cluster
    finally:
        cluster.close()


def copy_database(source_url: str, cluster: PrivatePostgres) -> str:
    """The test database (rows committed so far included) as database `site` of the private cluster."""
    cluster.psql("-c", "CREATE DATABASE site")
    dump = subprocess.run(["pg_dump", "--no-owner", "--no-privileges", source_url], capture_output=True, timeout=120)
    assert dump.returncode == 0, dump.stderr.decode()[-2000:]
    cluster.psql(stdin=dump.stdout, database="site")
    return f"{cluster.url_base}/site"


def test_postgres_crashed_and_restarted_under_load_fails_cleanly_and_loses_nothing_committed(
    live_database_url, private_copy, fault_report
):
    world = make_world(state=LiveEvent.State.LIVE)
    event_id = world.event.pk
    site_url = copy_database(live_database_url, private_copy)
    env = subprocess_env(DATABASE_URL=site_url)
    with running_daphnes(("daphne", env)) as (server,):
        host = signed_in_session(server, world.organiser.username, DEFAULT_PASSWORD)
        venue = signed_in_session(server, world.operator_a.username, DEFAULT_PASSWORD).cookies["sessionid"]
        console = f"{server.url}/live/{event_id}/host/"
        outcomes: list[tuple[float, int, float, str]] = []  # (started, status, seconds, body)
        down: list[float] = []  # [went down, came back]
        stop = threading.Event()

        def read() -> None:
            session = http_session()
            session.cookies.update(host.cookies)
            while not stop.is_set():
                started = time.monotonic()
                try:
                    response = session.get(console, timeout=HTTP_TIMEOUT)
                    outcomes.append((started, response.status_code, time.monotonic() - started, response.text))
                except Exception as exc:  # a hung or dropped request is a failure of this test
                    outcomes.append((started, 0, time.monotonic() - started, repr(exc)))
                time.sleep(0.1)

        readers = [threading.Thread(target=read, daemon=True) for _ in range(READERS)]
        for reader in readers:
            reader.start()

        acked: list[str] = []
        refused = 0

        async def talk() -> None:
            nonlocal refused
            n = 0
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline and not (len(down) == 2 and time.monotonic() > down[1] + 5):
                line = f"断库演练{n}"
                n += 1
                try:
                    said = await speak(server, venue, event_id, [line], query=f"venue={world.venue_a.pk}")
                except (OSError, TimeoutError, ConnectionClosed, InvalidHandshake):
                    said = []
                acked.extend(said)
                if not said:
                    refused += 1
                    await asyncio.sleep(0.3)
                else:
                    await asyncio.sleep(0.8)

        def outage() -> None:
            time.sleep(4)
            down.append(time.monotonic())
            private_copy.crash()
            time.sleep(OUTAGE)
            private_copy.start()
            down.append(time.monotonic())

        crasher = threading.Thread(target=outage, daemon=True)
        crasher.start()
        try:
            asyncio.run(talk())
        finally:
            crasher.join(timeout=90)
            stop.set()
            for reader in readers:
                reader.join(timeout=30)

    assert len(down) == 2, "the outage did not run"
    during = [o for o in outcomes if down[0] + 0.5 < o[0] < down[1] - 0.5]
    after = [o for o in outcomes if o[0] > down[1] + 3]
    before = [o for o in outcomes if o[0] + o[2] < down[0]]  # answered before the crash
    assert before and all(o[1] == 200 for o in before), [(o[1], o[3][:200]) for o in before if o[1] != 200]
    assert during, "no page was asked for while the database was down"
    for _started, status, seconds, body in during:
        assert status == 500 and "抱歉，系统出了问题" in body, (status, body[:300])
        assert seconds < HTTP_TIMEOUT
    assert after and all(o[1] == 200 for o in after), [
        (round(o[0] - down[1], 1), o[1], o[3][:200]) for o in after if o[1] != 200
    ]
    assert refused >= 1, "no chat line was tried while the database was down"

    rows = private_copy.psql(
        "-tAc", f"SELECT text FROM streaming_chatmessage WHERE event_id = {event_id}", database="site"
    ).decode()
    saved = set(rows.split("\n")) - {""}
    assert set(acked) <= saved, f"acknowledged but lost: {set(acked) - saved}"
    assert any(line for line in acked if int(line.removeprefix("断库演练")) >= 1)
    fault_report(
        fault="PostgreSQL crashed (immediate stop) and restarted",
        user_saw="the site's error page (500, at once) while down; chat lines not acked; all 200 again after",
        data_lost="none (every acknowledged line in the database)",
        figures=f"{OUTAGE:.0f} s outage; {len(during)} pages during, {len(after)} after; {len(acked)} lines acked",
    )
