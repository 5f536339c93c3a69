"""How a socket is served: the infrastructure every app's consumer is built on. Consumers
stay thin: authenticate (session, through Channels' AuthMiddlewareStack), authorise, join
groups, forward pre-serialised text. Here: `BaseConsumer` (client frames, size limit, group
membership, the broadcast fast path), the close codes and `NotFoundConsumer`. The apps' own
consumers live with them (`tickets.consumers`, `moderation.consumers`,
`notifications.consumers`); the URLs are mapped in `project/routing.py`.

Groups are joined through the process's `Fanout` (realtime/layers.py), not through the layer
per socket: one subscription per group per process, one direct call per local socket.

Broadcasts take a synchronous fast path under daphne (`push`): the event's frame, built once
for the process (`realtime.fastpath.Frame`), is written to the socket's autobahn protocol
(`sendPreparedMessage`), skipping the ASGI send and per-socket framing. Everything else
(hello, replay, errors, close) still goes through the ASGI send; both end in the same
protocol's transport in call order, so a consumer's ordering rules (the ticket socket's seam
between replay and live, `tickets.consumers`) keep holding.
"""

from __future__ import annotations

import asyncio
import json
import random
from collections.abc import Awaitable, Callable, Mapping
from typing import Any
from urllib.parse import parse_qs

from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings

from realtime import clientframes, events, publish
from realtime.clientframes import CLOSE_POLICY as CLOSE_POLICY  # re-exported (tests, apps)
from realtime.clientframes import CLOSE_TOO_BIG as CLOSE_TOO_BIG
from realtime.clientframes import MAX_CLIENT_ERRORS as MAX_CLIENT_ERRORS
from realtime.clientframes import Verdict
from realtime.fastpath import Frame, Wire, send_frame, wire_for
from realtime.layers import get_fanout

# Close codes (4000-4999 are the application's).
CLOSE_BAD_REQUEST = 4400
CLOSE_UNAUTHENTICATED = 4401
CLOSE_FORBIDDEN = 4403
CLOSE_NOT_FOUND = 4404
# The standard 1008/1009/1011 mirrored into the application range: autobahn (under daphne)
# refuses to send any code but 1000 and 3000-4999 from the application, and raised inside
# close(), turning a rejected frame into a crashed consumer (found by tests/drills/).
# CLOSE_TOO_BIG (4009), CLOSE_POLICY (4008) and MAX_CLIENT_ERRORS: realtime.clientframes.
CLOSE_INTERNAL = 4011
# Put in the scope by the socket stack (security.sessions): the session's account as it is
# now (anonymous once logged out, expired, or missing a required second factor).
SESSION_USER = "fixline.session_user"
# Consumers do not get a layer channel of their own: they never receive through the layer.
NO_LAYER = "fixline.no-layer"


def dumps(message: dict[str, Any]) -> str:
    """An envelope as the sockets carry it: compact JSON, UTF-8 kept as is."""
    return json.dumps(message, separators=(",", ":"), ensure_ascii=False)


def query_params(scope: dict[str, Any]) -> dict[str, str]:
    """The handshake's query string, last value of each name."""
    raw = scope.get("query_string", b"").decode("latin-1")
    return {k: v[-1] for k, v in parse_qs(raw).items()}


class BaseConsumer(AsyncWebsocketConsumer):
    """Shared rules: client frames (ping, errors, size limit) and group membership."""

    channel_layer_alias = NO_LAYER
    ticket_id: int | None = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.joined: list[str] = []
        self.closed = False
        self.closing = False
        self.client_errors = 0
        self.wire: Wire | None = None  # the broadcast fast path (realtime/fastpath.py)
        self.user_id: int | None = None  # set by `follow_session`
        self.recheck_task: asyncio.Task[None] | None = None

    async def join(self, group: str) -> None:
        if self.wire is None:
            self.wire = wire_for(self.base_send)
        await get_fanout().join(group, self)
        self.joined.append(group)

    async def leave_all(self) -> None:
        fanout = get_fanout()
        for group in self.joined:
            await fanout.leave(group, self)
        self.joined = []

    async def close(self, code: Any = None, reason: Any = None) -> None:
        self.closing = True
        await super().close(code, reason)

    # --- A signed-in socket follows its session --------------------------------------------
    async def follow_session(self, user: Any) -> None:
        """Join the account's `session.<id>` group (the write layer sends `recheck` there
        after a logout or a role change) and re-check every WS_RECHECK_SECONDS as well (for
        what no signal announces: an expired session, a row changed by hand)."""
        self.user_id = user.pk
        await self.join(publish.session_group(user.pk))
        options: Mapping[str, Any] = settings.FIXLINE
        every = int(options.get("WS_RECHECK_SECONDS", 300))
        if every > 0:
            self.recheck_task = asyncio.get_running_loop().create_task(self._recheck_every(every))

    async def _recheck_every(self, seconds: int) -> None:
        # Spread over the period: sockets opened together (a restart) do not all read at once.
        await asyncio.sleep(random.uniform(0, seconds))
        while not (self.closed or self.closing):
            await self.recheck()
            await asyncio.sleep(seconds)

    async def recheck(self) -> None:
        if self.closed or self.closing or self.user_id is None:
            return
        current: Callable[[], Awaitable[Any]] | None = self.scope.get(SESSION_USER)
        user = await current() if current is not None else self.scope.get("user")
        if user is None or not user.is_authenticated or user.pk != self.user_id:
            await self.revoke(CLOSE_UNAUTHENTICATED)
            return
        code = await self.authorise(user)
        if code is not None:
            await self.revoke(code)

    async def authorise(self, user: Any) -> int | None:
        """A subclass's own rule, re-run on every re-check with the account as it is now: a
        close code to end the socket, or None (it may also change the groups it is in)."""
        return None

    async def revoke(self, code: int) -> None:
        """Stop delivering at once, then close."""
        self.closed = True  # nothing more is written to this socket
        await self.leave_all()
        self.closing = True
        await super().close(code)

    async def dispatch(self, message: dict[str, Any]) -> None:
        # Channels' own dispatch first runs close_old_connections() through sync_to_async for
        # every message: a hop into the one thread every HTTP view runs on. Our handlers never
        # touch the database from async code (their reads go through database_sync_to_async,
        # which closes old connections itself), so the hop is skipped: a flood of client
        # frames no longer queues in front of the views (tests/drills/test_bad_input.py: the
        # other sockets' p99 was ×11), and a handshake costs one hop less.
        handler = {
            "websocket.receive": self.websocket_receive,
            "websocket.connect": self.websocket_connect,
            "websocket.disconnect": self.websocket_disconnect,
        }.get(message.get("type", ""))
        if handler is None:
            await super().dispatch(message)
            return
        await handler(message)

    async def websocket_connect(self, message: dict[str, Any]) -> None:
        await super().websocket_connect(message)
        # Connected (hello and replay sent): from now on bad frames are answered on daphne's
        # protocol itself, before any ASGI dispatch (realtime/clientframes.py).
        if self.wire is not None and not (self.closing or self.closed):
            clientframes.screen_on_wire(self.wire, self)

    async def websocket_receive(self, message: dict[str, Any]) -> None:
        # Frames that were already queued when we decided to close are not worth a look: a
        # client flooding garbage costs at most MAX_CLIENT_ERRORS parses (tests/drills/).
        if self.closing or self.closed:
            return
        await super().websocket_receive(message)

    async def refuse(self, code: int) -> None:
        """Refuse after the handshake with an application close code, before any data."""
        await self.accept()
        await self.close(code)

    async def send_text(self, text: str) -> None:
        if not self.closed:
            await self.send(text_data=text)

    async def send_message(self, type: str, data: Mapping[str, Any], **extra: Any) -> None:
        message = events.envelope(type=type, ticket=self.ticket_id, data=data, **extra)
        await self.send_text(dumps(message))

    async def error(self, code: str, message: str) -> None:
        data: events.ErrorData = {"code": code, "message": message}
        await self.send_message(events.ERROR, data)

    def frame_limit(self) -> int:
        options: Mapping[str, Any] = settings.FIXLINE  # django-stubs: dict[str, object]
        return int(options["WS_MAX_FRAME_BYTES"])

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        # Under daphne, bad frames are answered before they get here once connected
        # (`clientframes.screen_on_wire`) and only pings arrive; the same rule, here, serves
        # frames sent during `connect` and every other server (the test communicator).
        binary = bytes_data is not None
        size = len(bytes_data) if bytes_data is not None else len((text_data or "").encode())
        verdict = clientframes.judge(text_data, binary, size, self.frame_limit())
        if verdict is None:
            pong: events.PongData = {}
            await self.send_message(events.PONG, pong)
            return
        await self.refuse_frame(verdict)

    async def refuse_frame(self, verdict: Verdict) -> None:
        await self.send_text(clientframes.error_text(self.ticket_id, verdict))
        if verdict.close is not None:
            await self.close(verdict.close)
            return
        self.client_errors += 1
        if self.client_errors >= MAX_CLIENT_ERRORS:
            await self.close(CLOSE_POLICY)

    async def disconnect(self, code: int) -> None:
        self.closed = True
        if self.wire is not None:
            clientframes.unscreen(self.wire)
        if self.recheck_task is not None:
            self.recheck_task.cancel()
        await self.leave_all()

    async def deliver(self, message: dict[str, Any]) -> None:
        """Called by the process's fan-out for every message of a joined group."""
        if message.get("control") == publish.RECHECK:
            await self.recheck()
            return
        await self.send_text(message["text"])

    def push(self, message: dict[str, Any], frame: Frame) -> bool:
        """The fan-out's synchronous fast path; False means "use `deliver`". Only for
        consumers whose `deliver` is the plain forward (subclasses with rules of their own
        override `push` too, or take the ordinary path); never for control messages."""
        if (
            self.wire is None
            or type(self).deliver is not BaseConsumer.deliver
            or "control" in message
        ):
            return False
        self._write(frame)
        return True

    def _write(self, frame: Frame) -> None:
        wire = self.wire
        if wire is not None and not self.closed:
            send_frame(wire, frame)


class NotFoundConsumer(BaseConsumer):
    """Any other `/ws/` path."""

    async def connect(self) -> None:
        await self.refuse(CLOSE_NOT_FOUND)
