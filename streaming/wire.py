"""Writing one pre-framed WebSocket message to many Daphne sockets, straight to the TCP socket.

Why: sending through the ASGI `send` costs each socket a trip through Channels' session wrapper,
Daphne's reply handler, autobahn's framing and Twisted's write path, and that last one registers the
socket with the event loop for writing and unregisters it after the next loop turn (two epoll_ctl
calls and a callback per frame). Profiled at 2,000 sockets that path was ~47 µs per frame, most of
it the write registration; a plain `send()` of the same bytes is a few µs. The hub (streaming/hub.py)
frames each batch once (`text_frame`) and hands the bytes to every local socket's `DirectWriter`.

Safety: a `DirectWriter` exists only for a plain (non-TLS) Twisted TCP connection behind Daphne's
reply handler, found by unwrapping the consumer's `send` (Channels' session wrapper keeps the inner
callable as `real_send`; Daphne's is `partial(Server.handle_reply, protocol)`); anything else — the
test communicator, another server, a TLS transport, future versions that look different — gets
None and the hub uses the ASGI `send`. It writes directly only while Twisted has nothing queued for
the socket (so frames never overtake each other) and the WebSocket is open; whatever the kernel does
not take at once is queued with Twisted, which sends it in order. Frames from the server are never
masked, and an uncompressed frame is valid whether or not compression was negotiated (RFC 7692).

Fenced: the private attributes it reads belong to exact releases. `PROVEN_WITH` names the versions
the fast path was proven with (tests/e2e/test_live_wire_daphne.py: engaged on a real Daphne, and the
ASGI path delivers the same frames in the same order); with any other version installed it stays off
and says so once in the log and in /healthz (`live_writes`). test_wire.py fails when requirements.lock
moves a pin away from `PROVEN_WITH`: re-run the Daphne test and bench/fanout.py, then update both.
"""

from __future__ import annotations

import functools
import logging
from importlib import metadata

from django.conf import settings

logger = logging.getLogger(__name__)

# The releases whose private attributes DirectWriter and _daphne_protocol read (see the docstring).
PROVEN_WITH = {"daphne": "4.2.3", "channels": "4.3.2", "autobahn": "26.10.2", "Twisted": "26.10.0"}

# Frames handed to sockets by the hub, by path, in this process (reported by /healthz).
frames_written = {"direct": 0, "asgi": 0}
_why_off: list[str] = []  # [] until checked; then [""] when on, [reason] when off


def _version_mismatch() -> str:
    for package, proven in PROVEN_WITH.items():
        try:
            installed = metadata.version(package)
        except metadata.PackageNotFoundError:
            installed = "missing"
        if installed != proven:
            return f"{package} {installed} is not {proven}, the version direct writes were proven with"
    return ""


def direct_writes_off_reason() -> str:
    """Why frames go through the ASGI path only in this process, or "" when direct writes are on."""
    if not settings.STREAMING_DIRECT_WRITES:
        return "switched off (STREAMING_DIRECT_WRITES=0)"
    if not _why_off:
        _why_off.append(_version_mismatch())
        if _why_off[0]:
            logger.warning("Live chat frames go through the ASGI path only: %s", _why_off[0])
    return _why_off[0]


def live_writes_report() -> dict:
    """For /healthz: which path this process's live frames take, and how many took each."""
    reason = direct_writes_off_reason()
    report: dict = {"direct_writes": not reason, "frames_direct": frames_written["direct"]}
    report["frames_asgi"] = frames_written["asgi"]
    if reason:
        report["reason"] = reason
    return report


def text_frame(payload: str) -> bytes:
    """A final, unmasked WebSocket text frame (RFC 6455 §5.2) carrying `payload`."""
    data = payload.encode("utf-8")
    length = len(data)
    if length < 126:
        header = bytes((0x81, length))
    elif length < 65536:
        header = bytes((0x81, 126)) + length.to_bytes(2, "big")
    else:
        header = bytes((0x81, 127)) + length.to_bytes(8, "big")
    return header + data


def _daphne_protocol(send):
    """Daphne's WebSocket protocol behind an ASGI `send`, or None."""
    for _ in range(8):  # unwrap middleware that keeps the inner send (Channels' SessionMiddleware)
        inner = getattr(getattr(send, "__self__", None), "real_send", None)
        if inner is None:
            break
        send = inner
    if not isinstance(send, functools.partial) or len(send.args) != 1:
        return None
    server = getattr(send.func, "__self__", None)
    if getattr(send.func, "__name__", "") != "handle_reply" or type(server).__module__ != "daphne.server":
        return None
    return send.args[0]


class DirectWriter:
    __slots__ = ("protocol", "transport", "open_state")

    def __init__(self, protocol, transport) -> None:
        self.protocol = protocol
        self.transport = transport
        self.open_state = protocol.STATE_OPEN

    @classmethod
    def for_send(cls, send) -> DirectWriter | None:
        if direct_writes_off_reason():
            return None
        try:
            from twisted.internet import tcp

            protocol = _daphne_protocol(send)
            transport = getattr(protocol, "transport", None)
            if (
                protocol is None
                or type(transport) is not tcp.Server
                or getattr(transport, "TLS", True)
                or not hasattr(protocol, "STATE_OPEN")
                or not hasattr(transport, "_tempDataLen")
            ):
                return None
            return cls(protocol, transport)
        except Exception:  # anything unexpected: the ASGI path is always there
            logger.debug("no direct writer", exc_info=True)
            return None

    def write(self, frame: bytes) -> bool:
        """Send `frame`; False when this socket should use the ASGI path instead."""
        protocol, transport = self.protocol, self.transport
        if protocol.state != self.open_state:
            return False
        if not transport.connected or transport.disconnecting or transport._writeDisconnected:
            return True  # it is going away; nothing to deliver to
        if transport._tempDataLen or len(transport.dataBuffer) != transport.offset:
            transport.write(frame)  # Twisted has data queued: keep the order
            return True
        try:
            sent = transport.socket.send(frame)
        except BlockingIOError:
            sent = 0
        except OSError:
            return True  # reset or closed: Twisted sees it on its next read and cleans up
        if sent < len(frame):
            transport.write(frame[sent:])
        return True
