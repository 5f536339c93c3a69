"""The broadcast fast path under daphne, and everything it knows about daphne, autobahn and
Twisted, in one place:

* `wire_for(send)`: the socket's autobahn protocol (its "wire") behind the ASGI `send`
  (`find_wire`), or None: then the fallback, the plain ASGI send, serves every message (not
  under daphne, the test communicator, `WS_PREFRAMED` off);
* `Frame`: an event's WebSocket frame, built once per process (autobahn's `PreparedMessage`);
* `send_frame(wire, frame)`: the frame written to one open socket, with one `send()` when
  nothing is pending (`WS_DIRECT_WRITE`), else through autobahn and Twisted's buffered write.

The fan-out (`realtime.layers.Fanout`) calls a member's synchronous `push(message, frame)`;
a consumer with a wire writes the frame with `send_frame`, one without returns False and
gets the same message through `deliver`, the ASGI send (`realtime.consumers.BaseConsumer`).
Both end in the same protocol's transport in call order, so a socket's frames keep their
order whichever path each took."""

from __future__ import annotations

import functools
import gc
import pprint
from collections.abc import Callable, Mapping
from typing import Any, Protocol

from django.conf import settings


class Wire(Protocol):
    """What the fast path uses of daphne's WebSocket protocol (autobahn's, under Twisted)."""

    STATE_OPEN: int
    state: int
    send_queue: Any  # autobahn's queue of frames not yet handed to the transport
    transport: Any  # Twisted's TCP transport (private attributes read by send_frame)

    def sendPreparedMessage(self, preparedMsg: Any) -> None: ...

    def sendData(self, data: bytes, sync: bool = ..., chopsize: int | None = ...) -> None: ...


def _options() -> Mapping[str, Any]:
    """settings.FIXLINE. django-stubs types that dict's values as `object` (the literal mixes
    types); the options read here are the booleans documented in project/settings.py."""
    return settings.FIXLINE


def wire_for(send: Any) -> Wire | None:
    """The fast path's wire for the socket behind this ASGI `send`, or None (the plain ASGI
    send then serves every message)."""
    if not _options().get("WS_PREFRAMED", True):
        return None
    return find_wire(send)


def find_wire(send: Any) -> Any:
    """daphne's WebSocket protocol behind an ASGI `send` callable, or None (another server,
    the test communicator). daphne hands applications `partial(Server.handle_reply,
    protocol)`; Channels' session middleware wraps it in a bound `send` whose owner keeps it
    as `real_send`."""
    for _ in range(8):
        if isinstance(send, functools.partial):
            target = send.args[0] if send.args else None
            if getattr(send.func, "__name__", "") == "handle_reply" and hasattr(
                target, "sendPreparedMessage"
            ):
                return target
            return None
        send = getattr(getattr(send, "__self__", None), "real_send", None)
        if send is None:
            return None
    return None


class Frame:
    """One broadcast event as the fast path sends it: the text framed once, on first use,
    and the `WS_DIRECT_WRITE` option read once for all its sockets (reading a setting costs
    more than the rest of a socket's write)."""

    __slots__ = ("message", "_prepared", "direct")

    def __init__(self, message: dict[str, Any]) -> None:
        self.message = message
        self._prepared: Any = None
        self.direct: bool = _options().get("WS_DIRECT_WRITE", True)

    @property
    def prepared(self) -> Any:
        if self._prepared is None:
            from autobahn.websocket.protocol import PreparedMessage  # only under daphne

            # Server frames are never masked; never compressed (daphne does not negotiate
            # permessage-deflate, and an uncompressed message is valid when it is).
            self._prepared = PreparedMessage(
                self.message["text"].encode(), isBinary=False, applyMask=False, doNotCompress=True
            )
        return self._prepared


def send_frame(wire: Wire, frame: Frame, direct: bool | None = None) -> None:
    """Write a prepared frame to one daphne socket (autobahn protocol `wire`), if it is open.

    With `direct` (by default the `WS_DIRECT_WRITE` option, as read by the frame), when nothing is pending on the socket (autobahn's send queue and
    Twisted's write buffers empty) the frame goes out with one `send()`, as asyncio's own
    transports do; whatever the kernel does not take is handed to Twisted's buffered write,
    which keeps the order. Twisted's `write()` alone always buffers and waits for the next
    loop turn, costing two epoll_ctl calls and a callback per socket per event."""
    if wire.state != wire.STATE_OPEN:
        return
    if direct is None:
        direct = frame.direct
    if wire.send_queue or not direct:
        wire.sendPreparedMessage(frame.prepared)
        return
    data = frame.prepared.payloadHybi
    transport = wire.transport
    sock = getattr(transport, "socket", None)
    if (
        sock is None
        or type(transport).__module__ != "twisted.internet.tcp"
        or transport._tempDataBuffer
        or transport.dataBuffer
        or not transport.connected
        or transport.disconnecting
        or transport._writeDisconnected
    ):
        wire.sendData(data)
        return
    try:
        sent = sock.send(data)
    except (BlockingIOError, InterruptedError):
        sent = 0
    except OSError:
        return  # the connection is gone; Twisted notices it on its next read
    if sent < len(data):
        transport.write(data[sent:])


# --- autobahn's per-connection debug formatting ----------------------------------------------
class _Formatted:
    """`render(*args)` (a pretty-printed or highlighted value), computed only if a log line is
    actually written."""

    __slots__ = ("render", "args")

    def __init__(self, render: Callable[..., str], *args: Any) -> None:
        self.render = render
        self.args = args

    def __format__(self, spec: str) -> str:
        return format(self.render(*self.args), spec)

    def __str__(self) -> str:
        return str(self.render(*self.args))


def lazy_autobahn_debug() -> None:
    """autobahn formats values for debug lines that are never written: it pretty-prints its
    ~40 settings for every new connection (`WebSocketProtocol._connectionMade`: 9 % of
    daphne's samples in a join storm), and highlights names and values (`hltype`, `hlval`:
    click styling) for every connection, handshake and received frame (5 %; py-spy,
    docs/performance.md, "Storms"). Formatted lazily instead: autobahn uses these three only
    as log arguments in the two modules daphne runs."""
    # daphne's dependency, only under daphne
    from autobahn import util
    from autobahn.twisted import websocket as twisted_websocket
    from autobahn.websocket import protocol

    protocol.pformat = functools.partial(_Formatted, pprint.pformat)  # type: ignore[assignment]
    for module in (protocol, twisted_websocket):
        module.hltype = functools.partial(_Formatted, util.hltype)  # type: ignore[attr-defined]
        module.hlval = functools.partial(_Formatted, util.hlval)  # type: ignore[attr-defined]


# --- The garbage collector in a storm ---------------------------------------------------------
GC_YOUNG_THRESHOLD = 10_000
# The middle generation collected at every other young collection (CPython: every 11th), and
# a full collection considered after 60 of those: about every 120 young collections, as with
# CPython's ratios (10, 10). See `tune_gc`.
GC_MIDDLE_RATIO = 1
GC_OLDEST_RATIO = 60


def tune_gc(young: int = GC_YOUNG_THRESHOLD) -> None:
    """CPython collects its youngest generation every 700 net allocations (and the older ones
    every 10 of those). A join storm's handshake leaves a few hundred live objects (daphne's
    and autobahn's protocols, timers, the scope, the consumer): collections were a third of
    daphne's CPU in a 3,000-socket storm (py-spy put the time on allocating lines; 0.90 →
    0.61 ms of CPU per join with this, docs/performance.md, "Storms"). Young collections
    every `young` allocations instead (never lowering a threshold already set higher).

    A collection stops every socket of the process, and what it traverses is what it costs.
    With 10 young collections per middle one, the middle generation held the last storm's
    sockets (80,000 objects after 1,000 joins) and its collection took 16–22 ms in one go,
    the slowest comment of a fan-out bench run. The middle generation is collected at
    every other young collection instead: the same objects traversed once each, in pauses of
    ~5 ms (docs/performance.md, "The collector's pauses"). Full collections are considered
    as often as before (CPython's 25 % rule still decides), not ten times as often: in a
    storm each one traverses every socket."""
    current, _older, _oldest = gc.get_threshold()
    gc.set_threshold(max(young, current), GC_MIDDLE_RATIO, GC_OLDEST_RATIO)


def freeze_startup() -> None:
    """Everything alive once the application is loaded (Django, the URL conf, the templates'
    modules: ~150,000 objects) lives as long as the process: moved out of the collector's
    sight (`gc.freeze()`, after one collection so that start-up's garbage is not kept), a full
    collection no longer traverses it. With 1,000 sockets a full collection stopped daphne for
    100–130 ms, 41–53 ms with this. Objects made later, sockets included, are collected as
    before."""
    gc.collect()
    gc.freeze()
