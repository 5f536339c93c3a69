"""What a client may send on a socket, and what a bad frame costs the server.

The only client frame is `{"type": "ping"}`. Anything else gets an `error` answer, and the
socket is closed after `MAX_CLIENT_ERRORS` of them or at once for a frame over
`WS_MAX_FRAME_BYTES` (CONTRACT.md: "a malformed or oversized client frame gets an error answer
or a close, never a crash, and never disturbs other sockets").

* `judge(text, binary, size, limit)`: the verdict on one frame (None for a ping), without
  any I/O, so that both paths below share one rule;
* `error_text` / `error_frame`: the answers, serialised (and framed) once per process and
  ticket, not once per bad frame;
* `screen_on_wire(wire, consumer)`: under daphne, bad frames are answered where autobahn
  hands over a complete message, before anything is queued for the ASGI application: no
  queue, no consumer task wake-up, no Channels dispatch, no per-answer JSON or framing, and
  the answer leaves with one `send()` (`realtime.fastpath.send_frame`). A ping still takes
  the ASGI path (its `pong` is the consumer's). The consumer's own `receive` keeps the same
  rule for every other server (the test communicator).

Profiled in the bad-input drill (docs/performance.md, "Bad-input drill"): before this, a bad
frame's answer went through Channels' dispatch, `json.dumps`, autobahn's framing and Twisted's
buffered write (two `epoll_ctl` and a write callback per answer): ~40 % of the event loop's
samples under the attack.
"""

from __future__ import annotations

import functools
import json
import logging
import time
from dataclasses import dataclass
from typing import Any, Protocol

from realtime import events, jsondepth
from realtime.fastpath import Frame, send_frame

log = logging.getLogger(__name__)

# Close codes in the application range (autobahn under daphne refuses to send 1008/1009).
CLOSE_TOO_BIG = 4009
CLOSE_POLICY = 4008

MAX_CLIENT_ERRORS = 20  # a client that keeps sending garbage is closed (CLOSE_POLICY)


@dataclass(frozen=True, slots=True)
class Verdict:
    """What is wrong with a client frame: its `error` answer, and the close code that follows
    it at once (None: the socket stays open, the frame counts towards MAX_CLIENT_ERRORS)."""

    code: str
    message: str
    close: int | None = None


BINARY = Verdict("binary_unsupported", "Send JSON text frames.")
TOO_DEEP = Verdict("too_deep", f"Frames may nest at most {jsondepth.MAX_DEPTH} levels.")
BAD_JSON = Verdict("bad_json", "Frames must be one JSON object.")
UNKNOWN_TYPE = Verdict("unknown_type", 'The only client frame is {"type": "ping"}.')


@functools.lru_cache(maxsize=8)
def too_large(limit: int) -> Verdict:
    return Verdict("frame_too_large", f"Frames are limited to {limit} bytes.", CLOSE_TOO_BIG)


def judge(text: str | None, binary: bool, size: int, limit: int) -> Verdict | None:
    """The verdict on one client frame of `size` bytes (`text` is its decoded text, unused
    for binary or oversized frames): None for a valid ping."""
    if size > limit:
        return too_large(limit)
    if binary:
        return BINARY
    text = text or ""
    if jsondepth.too_deep(text):
        # Checked before parsing: the parser recurses per level (8,000 levels fit in one
        # frame and crashed the consumer with RecursionError).
        return TOO_DEEP
    try:
        frame = json.loads(text)
    except ValueError:
        return BAD_JSON
    if not isinstance(frame, dict):
        return BAD_JSON
    if frame.get("type") == "ping":
        return None
    return UNKNOWN_TYPE


@functools.lru_cache(maxsize=1024)
def error_text(ticket: int | None, verdict: Verdict) -> str:
    """The `error` envelope for `verdict`, serialised once per ticket (an error carries no
    seq and no time: the same text for every bad frame)."""
    data: events.ErrorData = {"code": verdict.code, "message": verdict.message}
    message = events.envelope(type=events.ERROR, ticket=ticket, data=data)
    return json.dumps(message, separators=(",", ":"), ensure_ascii=False)


@functools.lru_cache(maxsize=1024)
def error_frame(ticket: int | None, verdict: Verdict) -> Frame:
    """`error_text` as a prepared WebSocket frame (built on first use, then reused)."""
    return Frame({"text": error_text(ticket, verdict)})


class Screened(Protocol):
    """What `screen_on_wire` needs of a consumer (realtime.consumers.BaseConsumer)."""

    ticket_id: int | None
    client_errors: int
    closing: bool
    closed: bool

    def frame_limit(self) -> int: ...


def screen_on_wire(wire: Any, consumer: Screened) -> None:
    """Answer bad frames on daphne's protocol `wire` itself (see the module's docstring);
    valid frames go on to daphne's own `onMessage` (the ASGI application). Undone by
    `unscreen` when the consumer disconnects."""
    forward = wire.onMessage  # daphne's bound method: queues the frame for the application

    def on_message(payload: bytes, is_binary: bool) -> None:
        try:
            handled = _screen(wire, consumer, payload, is_binary)
        except Exception:  # never lose a frame to this shortcut: the consumer judges it
            log.exception("bad-frame screen failed; frame passed to the consumer")
            handled = False
        if not handled:
            forward(payload, is_binary)

    wire.onMessage = on_message


def unscreen(wire: Any) -> None:
    """Back to daphne's own `onMessage` (drops the closure's reference to the consumer)."""
    wire.__dict__.pop("onMessage", None)


def _screen(wire: Any, consumer: Screened, payload: bytes, is_binary: bool) -> bool:
    """True when the frame was dealt with here (answered, or dropped because the socket is
    closing), False for a ping (the application answers it)."""
    if getattr(wire, "muted", False):
        return False  # daphne drops it itself
    if consumer.closing or consumer.closed:
        return True  # a close is on its way: that is this frame's answer
    queue = getattr(wire, "application_queue", None)
    if queue is not None and not queue.empty():
        return False  # frames are still waiting for the consumer: keep their order
    limit = consumer.frame_limit()
    size = len(payload)
    text = None if is_binary or size > limit else payload.decode("utf-8")
    verdict = judge(text, is_binary, size, limit)
    if verdict is None:
        return False
    wire.last_ping = time.time()  # as daphne's onMessage does for any frame
    send_frame(wire, error_frame(consumer.ticket_id, verdict))
    close = verdict.close
    if close is None:
        consumer.client_errors += 1
        if consumer.client_errors >= MAX_CLIENT_ERRORS:
            close = CLOSE_POLICY
    if close is not None:
        # What the ASGI `websocket.close` does under daphne (`serverClose`), without the
        # round trip through the application; its `websocket.disconnect` follows as usual.
        consumer.closing = True
        wire.sendClose(code=close)
    return True
