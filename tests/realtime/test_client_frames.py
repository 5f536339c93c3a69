"""Bad client frames (realtime/clientframes.py): the one rule shared by the consumer and the
screen on daphne's protocol, answers built once, and the screen itself: every bad frame gets
its `error` answer on the wire (or a close), pings and frames queued for the consumer keep the
ASGI path and their order, and the socket is closed after MAX_CLIENT_ERRORS or an oversized
frame. The last test shows the same from the outside, on a real daphne (the load side is
tests/drills/test_bad_input.py)."""

from __future__ import annotations

import asyncio
import json
import struct
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import pytest
import websockets
from autobahn.websocket.protocol import WebSocketProtocol

from realtime import clientframes, consumers, events
from realtime.clientframes import (
    BAD_JSON,
    BINARY,
    CLOSE_POLICY,
    CLOSE_TOO_BIG,
    MAX_CLIENT_ERRORS,
    TOO_DEEP,
    UNKNOWN_TYPE,
    error_frame,
    error_text,
    judge,
    screen_on_wire,
    too_large,
    unscreen,
)
from tests.realtime.processes import Daphne, demo_env

LIMIT = 16_384


@pytest.mark.parametrize(
    ("text", "binary", "verdict"),
    [
        ('{"type": "ping"}', False, None),
        ('{"type":"ping","extra":1}', False, None),
        ("not json at all", False, BAD_JSON),
        ('{"type": ', False, BAD_JSON),
        ("[1, 2, 3]", False, BAD_JSON),
        ("null", False, BAD_JSON),
        ('"just a string"', False, BAD_JSON),
        ('{"type": "subscribe", "ticket": 1}', False, UNKNOWN_TYPE),
        ("[" * 40 + "]" * 40, False, TOO_DEEP),
        (None, True, BINARY),
    ],
)
def test_judge(text: str | None, binary: bool, verdict: Any) -> None:
    size = len(text.encode()) if text else 9
    assert judge(text, binary, size, LIMIT) == verdict


def test_oversized_is_judged_by_size_alone_and_closes() -> None:
    verdict = judge(None, False, LIMIT + 1, LIMIT)  # not decoded, not parsed
    assert verdict == too_large(LIMIT) and verdict.close == CLOSE_TOO_BIG
    assert judge(None, True, LIMIT + 1, LIMIT) == too_large(LIMIT)
    assert "16384 bytes" in verdict.message


def test_answers_are_built_once_and_are_valid_envelopes() -> None:
    text = error_text(42, BAD_JSON)
    assert error_text(42, BAD_JSON) is text
    assert error_frame(42, BAD_JSON) is error_frame(42, BAD_JSON)
    message = json.loads(text)
    events.validate(message)
    assert message == {
        "type": "error",
        "ticket": 42,
        "data": {"code": "bad_json", "message": "Frames must be one JSON object."},
    }
    assert json.loads(error_text(None, UNKNOWN_TYPE))["ticket"] is None


# --- The screen on daphne's protocol, with a stand-in for it ----------------------------------


class Transport:
    def __init__(self) -> None:
        self.written = b""

    def write(self, data: bytes) -> None:
        self.written += data


class Wire:
    """What the screen uses of daphne's WebSocketProtocol."""

    sendPreparedMessage = WebSocketProtocol.sendPreparedMessage
    STATE_OPEN = WebSocketProtocol.STATE_OPEN

    def __init__(self) -> None:
        self.state = WebSocketProtocol.STATE_OPEN
        self.transport = Transport()
        self.send_queue: list[Any] = []
        self._perMessageCompress = None
        self.application_queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.muted = False
        self.closed_with: int | None = None

    def sendData(self, data: bytes, sync: bool = False, chopsize: int | None = None) -> None:
        self.transport.write(data)

    def onMessage(self, payload: bytes, isBinary: bool) -> None:  # daphne's: to the app
        text = payload.decode() if not isBinary else None
        self.application_queue.put_nowait(
            {"type": "websocket.receive", "text": text}
            if text is not None
            else {"type": "websocket.receive", "bytes": payload}
        )

    def sendClose(self, code: int | None = None, reason: str | None = None) -> None:
        self.closed_with = code
        self.state = WebSocketProtocol.STATE_CLOSING


def texts(wire: Wire) -> list[dict[str, Any]]:
    """The server frames written so far (unmasked text frames), decoded."""
    data, out = wire.transport.written, []
    while data:
        assert data[0] == 0x81
        n, at = data[1] & 0x7F, 2
        if n == 126:
            n, at = struct.unpack("!H", data[2:4])[0], 4
        out.append(json.loads(data[at : at + n]))
        data = data[at + n :]
    return out


@pytest.fixture
def screened(settings: Any) -> Iterator[tuple[Wire, Any]]:
    settings.FIXLINE = {**settings.FIXLINE, "WS_MAX_FRAME_BYTES": LIMIT}
    wire = Wire()
    consumer = SimpleNamespace(
        ticket_id=7, client_errors=0, closing=False, closed=False, frame_limit=lambda: LIMIT
    )
    screen_on_wire(wire, consumer)
    yield wire, consumer
    unscreen(wire)


def test_bad_frames_are_answered_on_the_wire(screened: tuple[Wire, Any]) -> None:
    wire, consumer = screened
    wire.onMessage(b"not json", False)
    wire.onMessage(b"\x00\x01", True)
    wire.onMessage(b'{"type": "nope"}', False)
    assert [m["data"]["code"] for m in texts(wire)] == [
        "bad_json",
        "binary_unsupported",
        "unknown_type",
    ]
    assert all(m["ticket"] == 7 and m["type"] == "error" for m in texts(wire))
    assert wire.application_queue.empty()  # none of them reached the application
    assert consumer.client_errors == 3 and wire.closed_with is None


def test_pings_go_to_the_consumer(screened: tuple[Wire, Any]) -> None:
    wire, consumer = screened
    wire.onMessage(b'{"type": "ping"}', False)
    assert wire.application_queue.get_nowait()["text"] == '{"type": "ping"}'
    assert wire.transport.written == b"" and consumer.client_errors == 0


def test_frames_behind_a_queued_one_keep_their_order(screened: tuple[Wire, Any]) -> None:
    wire, _ = screened
    wire.onMessage(b'{"type": "ping"}', False)  # not yet read by the consumer
    wire.onMessage(b"garbage", False)
    queued = [wire.application_queue.get_nowait()["text"] for _ in range(2)]
    assert queued == ['{"type": "ping"}', "garbage"]  # the consumer answers both, in order
    assert wire.transport.written == b""


def test_closed_after_max_client_errors(screened: tuple[Wire, Any]) -> None:
    wire, consumer = screened
    for _ in range(MAX_CLIENT_ERRORS):
        wire.onMessage(b"[]", False)
    assert len(texts(wire)) == MAX_CLIENT_ERRORS
    assert wire.closed_with == CLOSE_POLICY and consumer.closing
    # Frames that arrive once the close is on its way cost nothing more: the close answers.
    wire.onMessage(b"[]", False)
    assert len(texts(wire)) == MAX_CLIENT_ERRORS and wire.application_queue.empty()


def test_oversized_frame_is_answered_then_closed(screened: tuple[Wire, Any]) -> None:
    wire, consumer = screened
    wire.onMessage(b'{"pad": "' + b"x" * LIMIT + b'"}', False)
    (answer,) = texts(wire)
    assert answer["data"]["code"] == "frame_too_large"
    assert wire.closed_with == CLOSE_TOO_BIG and consumer.closing


def test_a_failing_screen_passes_the_frame_on(screened: tuple[Wire, Any]) -> None:
    wire, consumer = screened
    consumer.frame_limit = lambda: 1 / 0
    wire.onMessage(b"garbage", False)
    assert wire.application_queue.get_nowait()["text"] == "garbage"


def test_unscreen_restores_daphnes_handler() -> None:
    wire = Wire()
    consumer = SimpleNamespace(
        ticket_id=None, client_errors=0, closing=False, closed=False, frame_limit=lambda: LIMIT
    )
    screen_on_wire(wire, consumer)
    assert "onMessage" in vars(wire)
    unscreen(wire)
    assert "onMessage" not in vars(wire)
    wire.onMessage(b"garbage", False)
    assert not wire.application_queue.empty()


# --- From the outside, on a real daphne ---------------------------------------------------------


@pytest.fixture(scope="module")
def daphne() -> Iterator[Daphne]:
    server = Daphne(demo_env(prefix="fixline-bad-frames-"))
    try:
        yield server
    finally:
        server.stop()


async def next_error_or_pong(ws: Any) -> dict[str, Any]:
    while True:
        message = json.loads(await asyncio.wait_for(ws.recv(), 5))
        if message["type"] in ("error", "pong"):
            return message


@pytest.mark.processes
async def test_real_daphne_answers_each_bad_frame_then_closes(daphne: Daphne) -> None:
    url, origin = daphne.ws + "/ws/tickets/1/", daphne.url
    async with (
        websockets.connect(url, origin=origin) as bystander,
        websockets.connect(url, origin=origin) as rude,
    ):
        # Frames sent before the hello are answered after it (the hello comes first).
        await rude.send("early garbage")
        assert json.loads(await asyncio.wait_for(rude.recv(), 5))["type"] == "hello"
        assert (await next_error_or_pong(rude))["data"]["code"] == "bad_json"
        await rude.send(json.dumps({"type": "ping"}))
        assert (await next_error_or_pong(rude))["type"] == "pong"
        for n in range(2, MAX_CLIENT_ERRORS + 1):
            await rude.send(b"\x00" if n % 2 else "[1]")
            answer = await next_error_or_pong(rude)
            assert answer["type"] == "error", answer
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await asyncio.wait_for(rude.recv(), 5)
        assert closed.value.rcvd is not None and closed.value.rcvd.code == CLOSE_POLICY
        # The other socket on the same ticket is untouched.
        await bystander.send(json.dumps({"type": "ping"}))
        assert (await next_error_or_pong(bystander))["type"] == "pong"
    async with websockets.connect(url, origin=origin) as big:
        await big.send('{"pad": "' + "x" * 20_000 + '"}')
        assert (await next_error_or_pong(big))["data"]["code"] == "frame_too_large"
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await asyncio.wait_for(big.recv(), 5)
        assert closed.value.rcvd is not None and closed.value.rcvd.code == CLOSE_TOO_BIG


def test_module_constants_are_the_consumers() -> None:
    assert consumers.CLOSE_POLICY == clientframes.CLOSE_POLICY == 4008
    assert consumers.CLOSE_TOO_BIG == clientframes.CLOSE_TOO_BIG == 4009
    assert consumers.MAX_CLIENT_ERRORS == clientframes.MAX_CLIENT_ERRORS
