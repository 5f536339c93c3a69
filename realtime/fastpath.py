"""The broadcast fast path under daphne, and everything it knows about daphne, autobahn and
Twisted: finding the socket's autobahn protocol behind the ASGI `send` (`find_wire`), the
event's frame built once per process (`Frame`, autobahn's `PreparedMessage`) and writing it
to one socket (`send_frame`: one `send()` when nothing is pending, else Twisted's buffered
write). Where there is no wire (another server, the test communicator, `WS_PREFRAMED` off)
consumers fall back to the plain ASGI send."""

from __future__ import annotations

import functools
from typing import Any


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
    """One broadcast event as the fast path sends it: the text framed once, on first use."""

    __slots__ = ("message", "_prepared")

    def __init__(self, message: dict[str, Any]) -> None:
        self.message = message
        self._prepared: Any = None

    @property
    def prepared(self) -> Any:
        if self._prepared is None:
            from autobahn.websocket.protocol import PreparedMessage

            # Server frames are never masked; never compressed (daphne does not negotiate
            # permessage-deflate, and an uncompressed message is valid when it is).
            self._prepared = PreparedMessage(
                self.message["text"].encode(), isBinary=False, applyMask=False, doNotCompress=True
            )
        return self._prepared


def send_frame(wire: Any, frame: Frame, direct: bool = True) -> None:
    """Write a prepared frame to one daphne socket (autobahn protocol `wire`).

    With `direct`, when nothing is pending on the socket (autobahn's send queue and
    Twisted's write buffers empty) the frame goes out with one `send()`, as asyncio's own
    transports do; whatever the kernel does not take is handed to Twisted's buffered write,
    which keeps the order. Twisted's `write()` alone always buffers and waits for the next
    loop turn, costing two epoll_ctl calls and a callback per socket per event."""
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
