"""The broadcast fast path (realtime/fastpath.py): finding daphne's protocol behind the ASGI
send, and writing a prepared frame straight to the socket without reordering what Twisted
still holds."""

from __future__ import annotations

import functools
from typing import Any

from autobahn.websocket.protocol import WebSocketProtocol

from realtime.fastpath import Frame, find_wire, send_frame, wire_for


class FakeServer:
    async def handle_reply(self, protocol: Any, message: dict[str, Any]) -> None:
        pass


class FakeProtocol:
    sendPreparedMessage = WebSocketProtocol.sendPreparedMessage
    STATE_OPEN = WebSocketProtocol.STATE_OPEN
    state = WebSocketProtocol.STATE_OPEN

    def __init__(self, transport: Any) -> None:
        self.transport = transport
        self.send_queue: list[Any] = []
        self._perMessageCompress = None
        self.sent: list[bytes] = []

    def sendData(self, data: bytes, sync: bool = False, chopsize: int | None = None) -> None:
        self.transport.write(data)


class SessionWrapper:  # what channels.sessions does to `send`
    def __init__(self, send: Any) -> None:
        self.real_send = send

    async def send(self, message: dict[str, Any]) -> None:
        await self.real_send(message)


def test_find_wire_through_session_wrapper() -> None:
    protocol = FakeProtocol(None)
    send = functools.partial(FakeServer().handle_reply, protocol)
    assert find_wire(send) is protocol
    assert find_wire(SessionWrapper(send).send) is protocol
    assert find_wire(SessionWrapper(SessionWrapper(send).send).send) is protocol


def test_no_wire_outside_daphne() -> None:
    async def send(message: dict[str, Any]) -> None:
        pass

    assert find_wire(send) is None
    assert find_wire(SessionWrapper(send).send) is None
    assert find_wire(functools.partial(print, 1)) is None


class Sock:
    def __init__(self, take: int | None) -> None:
        self.take = take
        self.got = b""

    def send(self, data: bytes) -> int:
        n = len(data) if self.take is None else min(self.take, len(data))
        self.got += bytes(data[:n])
        return n


def tcp_transport(sock: Sock) -> Any:
    class Transport:
        __module__ = "twisted.internet.tcp"

        def __init__(self) -> None:
            self.socket = sock
            self._tempDataBuffer: list[bytes] = []
            self.dataBuffer = b""
            self.connected = True
            self.disconnecting = False
            self._writeDisconnected = False

        def write(self, data: bytes) -> None:
            self._tempDataBuffer.append(bytes(data))

    return Transport()


def frame(text: str) -> Frame:
    return Frame({"text": text})


def test_direct_write_when_nothing_pending() -> None:
    sock = Sock(None)
    wire = FakeProtocol(tcp_transport(sock))
    send_frame(wire, frame("a"))
    assert sock.got == b"\x81\x01a"
    assert wire.transport._tempDataBuffer == []


def test_partial_send_keeps_the_rest_in_order() -> None:
    sock = Sock(2)
    wire = FakeProtocol(tcp_transport(sock))
    send_frame(wire, frame("abc"))
    assert sock.got == b"\x81\x03"
    # Something is pending now: the next frame queues behind it, never jumps ahead.
    send_frame(wire, frame("d"))
    assert wire.transport._tempDataBuffer == [b"abc", b"\x81\x01d"]
    assert sock.got == b"\x81\x03"


def test_queued_autobahn_data_goes_first() -> None:
    sock = Sock(None)
    wire = FakeProtocol(tcp_transport(sock))
    wire.send_queue.append((b"x", False))
    send_frame(wire, frame("a"))
    assert sock.got == b""
    assert wire.transport._tempDataBuffer == [b"\x81\x01a"]


def test_nothing_written_once_the_socket_is_no_longer_open() -> None:
    sock = Sock(None)
    wire = FakeProtocol(tcp_transport(sock))
    wire.state = WebSocketProtocol.STATE_CLOSING
    send_frame(wire, frame("a"))
    assert sock.got == b"" and wire.transport._tempDataBuffer == []


def test_buffered_write_when_direct_write_is_off(settings: Any) -> None:
    settings.FIXLINE = {**settings.FIXLINE, "WS_DIRECT_WRITE": False}
    sock = Sock(None)
    wire = FakeProtocol(tcp_transport(sock))
    send_frame(wire, frame("a"))
    assert sock.got == b""
    assert wire.transport._tempDataBuffer == [b"\x81\x01a"]


def test_no_wire_when_preframing_is_off(settings: Any) -> None:
    protocol = FakeProtocol(None)
    send = functools.partial(FakeServer().handle_reply, protocol)
    assert wire_for(send) is protocol
    settings.FIXLINE = {**settings.FIXLINE, "WS_PREFRAMED": False}
    assert wire_for(send) is None


def test_frame_is_built_once() -> None:
    f = frame("é")
    assert f.prepared is f.prepared
    assert f.prepared.payloadHybi == b"\x81\x02" + "é".encode()
