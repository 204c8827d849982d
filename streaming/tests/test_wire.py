"""The WebSocket frames the hub writes straight to sockets, read back by the websockets library's parser."""

from __future__ import annotations

import pytest
from websockets.frames import Frame, Opcode
from websockets.streams import StreamReader

from streaming.wire import DirectWriter, _daphne_protocol, text_frame


def parse(data: bytes) -> Frame:
    reader = StreamReader()
    reader.feed_data(data)
    parser = Frame.parse(reader.read_exact, mask=False)  # frames from a server are never masked
    try:
        next(parser)
    except StopIteration as done:
        return done.value
    raise AssertionError("incomplete frame")


@pytest.mark.parametrize("text", ["好", "学" * 41, "长" * 300, '{"type":"batch","items":[' + "x" * 70_000 + "]}"])
def test_text_frame_is_one_final_unmasked_text_frame(text):
    frame = parse(text_frame(text))
    assert frame.opcode == Opcode.TEXT and frame.fin and not frame.rsv1
    assert frame.data.decode() == text


def test_no_direct_writer_without_daphne():
    async def send(message):  # an ASGI send that is not Daphne's (the test communicator, another server)
        return None

    assert DirectWriter.for_send(send) is None


class RecordingReactor:
    """The reactor calls a Twisted connection makes, recorded: which sockets asked to be written later."""

    def __init__(self) -> None:
        self.writers: list = []

    def addReader(self, reader) -> None:  # noqa: N802 (Twisted's interface)
        pass

    def removeReader(self, reader) -> None:  # noqa: N802
        pass

    def addWriter(self, writer) -> None:  # noqa: N802
        self.writers.append(writer)

    def removeWriter(self, writer) -> None:  # noqa: N802
        pass


@pytest.fixture
def connection():
    """A real Twisted TCP server-side connection on one end of a socket pair, and the other end."""
    import socket
    import types

    from twisted.internet import tcp

    ours, theirs = socket.socketpair()
    reactor = RecordingReactor()
    protocol = types.SimpleNamespace(state=3, STATE_OPEN=3, makeConnection=lambda transport: None)
    transport = tcp.Server(ours, protocol, ("127.0.0.1", 5), None, 1, reactor)
    protocol.transport = transport
    theirs.settimeout(2)
    yield protocol, transport, reactor, theirs
    ours.close()
    theirs.close()


def test_direct_write_goes_straight_to_the_socket(connection):
    protocol, transport, reactor, peer = connection
    writer = DirectWriter(protocol, transport)
    frame = text_frame("甲村分会场已就位")
    assert writer.write(frame)
    assert peer.recv(1024) == frame
    assert reactor.writers == []  # no write registration with the event loop


def test_direct_write_keeps_order_behind_data_twisted_has_queued(connection):
    protocol, transport, reactor, peer = connection
    writer = DirectWriter(protocol, transport)
    transport.write(b"queued first")  # e.g. an ASGI send not yet flushed
    assert writer.write(text_frame("second"))
    assert reactor.writers == [transport, transport]
    peer.settimeout(0.2)
    with pytest.raises(TimeoutError):  # nothing overtook the queued data
        peer.recv(1024)
    peer.settimeout(2)
    transport.doWrite()  # the reactor's next turn
    assert peer.recv(1024) == b"queued first" + text_frame("second")


def test_closing_socket_falls_back_and_closed_socket_is_skipped(connection):
    protocol, transport, reactor, peer = connection
    writer = DirectWriter(protocol, transport)
    protocol.state = 4  # closing: let autobahn's own path decide
    assert writer.write(text_frame("x")) is False
    protocol.state = 3
    transport.disconnecting = True
    assert writer.write(text_frame("x")) is True
    peer.settimeout(0.2)
    with pytest.raises(TimeoutError):
        peer.recv(1024)


def test_writer_found_behind_daphne_and_channels_wrappers():
    import functools

    from channels.sessions import InstanceSessionWrapper
    from daphne.server import Server

    server = Server(application=None, endpoints=["tcp:port=0:interface=127.0.0.1"])  # not started
    marker = object()
    wrapper = InstanceSessionWrapper({"cookies": {}}, functools.partial(server.handle_reply, marker))
    assert _daphne_protocol(wrapper.send) is marker
    # Not a socket Daphne serves (here: no Twisted TCP transport behind it): no direct writer.
    assert DirectWriter.for_send(wrapper.send) is None


def test_the_pins_are_the_versions_the_fast_path_was_proven_with():
    """A pin moved in requirements.lock: re-run tests/e2e/test_live_wire_daphne.py and bench/fanout.py
    with the new version, then update PROVEN_WITH (streaming/wire.py)."""
    from pathlib import Path

    from streaming.wire import PROVEN_WITH

    lock = Path(__file__).resolve().parents[2] / "requirements.lock"
    pins = dict(line.split("==", 1) for line in lock.read_text().split() if "==" in line)
    assert {package: pins.get(package) for package in PROVEN_WITH} == PROVEN_WITH


@pytest.fixture
def fresh_check(monkeypatch):
    from streaming import wire

    monkeypatch.setattr(wire, "_why_off", [])
    return wire


def test_another_version_keeps_the_fast_path_off_and_says_why(fresh_check, monkeypatch, caplog):
    real = fresh_check.metadata.version
    monkeypatch.setattr(fresh_check.metadata, "version", lambda p: "27.0.0" if p == "Twisted" else real(p))
    assert "Twisted 27.0.0 is not 26.10.0" in fresh_check.direct_writes_off_reason()
    report = fresh_check.live_writes_report()
    assert report["direct_writes"] is False and "Twisted" in report["reason"]
    assert [r.message for r in caplog.records].count(caplog.records[0].message) == 1  # said once


def test_switched_off_by_the_setting(fresh_check, settings):
    settings.STREAMING_DIRECT_WRITES = False
    assert "STREAMING_DIRECT_WRITES" in fresh_check.direct_writes_off_reason()


def test_on_with_the_pinned_versions(fresh_check):
    assert fresh_check.direct_writes_off_reason() == ""
    assert fresh_check.live_writes_report()["direct_writes"] is True
