"""The browser relay: how a host's camera stream gets from a Daphne process to the supervisor.

The publish WebSocket is served by Daphne, but every ffmpeg belongs to the supervisor, so the
consumer forwards the MediaRecorder bytes over a Unix socket (settings.LIVE_RELAY_SOCKET):

    consumer → supervisor  one JSON line: {"event", "ts", "sig", "mime", "width", "height", "audio"}
    supervisor → consumer  one JSON line: {"ok": true} or {"ok": false, "reason": "…"}
    consumer → supervisor  the WebM bytes, as they come, until either side closes
    supervisor → consumer  (optional) one JSON line {"ended": true} before it closes

`sig` is an HMAC of event and time with the site's SECRET_KEY, so only a process of this site can
publish into an event, whatever the socket's file permissions.
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.utils.crypto import constant_time_compare, salted_hmac

_SALT = "streaming.video.ingest.relay"
MAX_HELLO = 4096
HELLO_MAX_AGE = 60
REFUSALS = ("not_live", "busy", "unsupported", "bad_request", "unavailable", "ended")


def relay_socket_path() -> Path:
    return Path(settings.LIVE_RELAY_SOCKET)


def _sign(event_id: int, ts: int) -> str:
    return salted_hmac(_SALT, f"{event_id}:{ts}", algorithm="sha256").hexdigest()


def hello(*, event_id: int, mime: str, width: int | None, height: int | None, audio: bool) -> bytes:
    ts = int(time.time())
    body = {
        "event": event_id,
        "ts": ts,
        "sig": _sign(event_id, ts),
        "mime": mime,
        "width": width,
        "height": height,
        "audio": audio,
    }
    return json.dumps(body).encode() + b"\n"


def verify_hello(line: bytes) -> dict | None:
    """The hello's fields if it is signed by this site and fresh; None otherwise."""
    try:
        data = json.loads(line)
        event_id, ts, sig = int(data["event"]), int(data["ts"]), str(data["sig"])
    except (ValueError, KeyError, TypeError):
        return None
    if abs(time.time() - ts) > HELLO_MAX_AGE or not constant_time_compare(sig, _sign(event_id, ts)):
        return None
    data["event"] = event_id
    return data


@dataclass
class RelayConnection:
    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter

    async def send(self, data: bytes) -> None:
        self.writer.write(data)
        await self.writer.drain()

    async def wait_closed_by_supervisor(self) -> dict:
        """Returns when the supervisor ends the relay: its last word, if any."""
        try:
            line = await self.reader.readline()
        except (ConnectionError, OSError):
            return {}
        try:
            return json.loads(line) if line else {}
        except ValueError:
            return {}

    def close(self) -> None:
        self.writer.close()


async def relay_open(
    *, event_id: int, mime: str, width: int | None, height: int | None, audio: bool, timeout: float = 5.0
) -> RelayConnection | str:
    """A relay into the event's packager, or the reason it was refused ("unavailable" if no supervisor)."""
    try:
        reader, writer = await asyncio.wait_for(asyncio.open_unix_connection(str(relay_socket_path())), timeout)
    except (OSError, TimeoutError):
        return "unavailable"
    try:
        writer.write(hello(event_id=event_id, mime=mime, width=width, height=height, audio=audio))
        await writer.drain()
        line = await asyncio.wait_for(reader.readline(), timeout)
        answer = json.loads(line) if line else {}
    except (OSError, TimeoutError, ValueError):
        writer.close()
        return "unavailable"
    if not answer.get("ok"):
        writer.close()
        reason = answer.get("reason")
        return reason if reason in REFUSALS else "unavailable"
    return RelayConnection(reader, writer)
