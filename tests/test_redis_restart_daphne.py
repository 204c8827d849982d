"""Two Daphne processes whose Redis goes down and comes back empty while people stay connected.

Both processes reach Redis through a TCP forwarder the test cuts and restores; the keys under the
run's own channel prefix are deleted in between (a Redis restarted empty, as these processes see it,
without emptying the groups of other runs on the same server). The hubs' database poll is set to a
minute, so what arrives within a second came by push.
"""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Iterator
from urllib.parse import urlsplit, urlunsplit

import pytest
import redis

from core.tests.factories import DEFAULT_PASSWORD
from streaming.models import LiveEvent
from streaming.tests.factories import make_world
from tests.e2e.test_live_chat_daphne import frames, live_socket
from tests.support import (
    DaphneProcess,
    http_session,
    live_db,
    running_daphnes,
    signed_in_session,
    subprocess_env,
)
from tests.tcp_proxy import ThreadedTcpProxy

pytestmark = [pytest.mark.daphne, pytest.mark.redis, live_db]
PUSH_WITHIN = 1.0


@pytest.fixture(scope="module")
def behind_a_proxy(live_database_url: str, redis_url: str) -> Iterator[tuple[DaphneProcess, DaphneProcess, object]]:
    target = urlsplit(redis_url)
    proxy = ThreadedTcpProxy(target.hostname or "127.0.0.1", target.port or 6379).start()
    auth = target.netloc.rsplit("@", 1)[0] + "@" if "@" in target.netloc else ""
    prefix = f"restart{secrets.token_hex(4)}"
    env = subprocess_env(
        DATABASE_URL=live_database_url,
        REDIS_URL=urlunsplit(target._replace(netloc=f"{auth}127.0.0.1:{proxy.port}")),
        CHANNEL_PREFIX=prefix,
        STREAMING_HUB_POLL_SECONDS="60",
    )
    try:
        with running_daphnes(("daphne-A", env), ("daphne-B", dict(env))) as (a, b):
            yield a, b, proxy, prefix
    finally:
        proxy.close()
        delete_keys(redis_url, prefix)


def delete_keys(url: str, prefix: str) -> int:
    """Everything the servers keep under `prefix`: groups, channels, cache entries."""
    client = redis.Redis.from_url(url)
    keys = list(client.scan_iter(match=f"{prefix}*", count=1000))
    return client.delete(*keys) if keys else 0


def health_until(server: DaphneProcess, *, push_ok: bool, timeout: float) -> dict:
    """/healthz of `server` once its push check says `push_ok` (status 200 only when everything is ok)."""
    deadline = time.monotonic() + timeout
    session = http_session()
    while True:
        response = session.get(f"{server.url}/healthz", timeout=10)
        report = response.json()
        if report["checks"]["push"]["ok"] is push_ok:
            assert (response.status_code == 200) is report["ok"]
            return report
        assert time.monotonic() < deadline, f"push ok is not {push_ok}: {report}{server.diagnostics()}"
        time.sleep(0.2)


def test_redis_restarted_empty_push_resumes_on_every_process_and_healthz_says_so(behind_a_proxy, redis_url):
    a, b, proxy, prefix = behind_a_proxy
    world = make_world(state=LiveEvent.State.LIVE)
    operator = signed_in_session(a, world.operator_a.username, DEFAULT_PASSWORD)
    host = signed_in_session(b, world.organiser.username, DEFAULT_PASSWORD)
    event_id = world.event.pk

    with (
        live_socket(a, operator, event_id, f"venue={world.venue_a.pk}") as venue_screen,
        live_socket(b, host, event_id) as console,
    ):
        assert frames(venue_screen, a, lambda items: items)[0]["type"] == "snapshot"
        assert frames(console, b, lambda items: items)[0]["type"] == "snapshot"
        for server in (a, b):
            report = health_until(server, push_ok=True, timeout=10)
            assert report["ok"] is True and report["checks"]["push"]["subscriptions"] >= 2, report

        proxy.stop()  # Redis is down
        for server in (a, b):
            report = health_until(server, push_ok=False, timeout=10)
            assert report["ok"] is False and report["checks"]["push"]["unsubscribed"] >= 1, report
        venue_screen.send(json.dumps({"type": "chat", "text": "断线期间", "ref": 1}))
        assert any(i["type"] == "ack" for i in frames(venue_screen, a, lambda items: items)), "saved"

        assert delete_keys(redis_url, prefix) > 0  # ...and comes back empty
        proxy.start()
        for server in (a, b):
            report = health_until(server, push_ok=True, timeout=15)
            assert report["checks"]["push"]["unsubscribed"] == 0, report

        # What was said during the outage reaches the other process as soon as its hub is back.
        missed = frames(console, b, lambda items: any(i.get("text") == "断线期间" for i in items))
        assert [i["text"] for i in missed if i["type"] == "chat"] == ["断线期间"]

        started = time.monotonic()
        venue_screen.send(json.dumps({"type": "chat", "text": "恢复之后"}))
        try:
            frame = json.loads(console.recv(timeout=PUSH_WITHIN))
        except TimeoutError:
            pytest.fail(f"no push across processes within {PUSH_WITHIN} s after Redis came back empty")
        items = frame["items"] if frame["type"] == "batch" else [frame]
        assert [i["text"] for i in items] == ["恢复之后"] and time.monotonic() - started < PUSH_WITHIN
