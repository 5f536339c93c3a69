"""How a socket is served. Consumers stay thin: authenticate (session, through Channels'
AuthMiddlewareStack), authorise, join groups, forward pre-serialised text.

Groups are joined through the process's `Fanout` (realtime/layers.py), not through the layer
per socket: one subscription per group per process, one direct call per local socket.

The ticket socket's seam between replay and live: join the group first, then read the log;
while the replay (or any catch-up) runs, live messages wait in a small buffer; a live event
at or below the last sent `seq` is dropped, and one that would leave a gap triggers a read of
the log from the last sent `seq` first. Clients therefore see every durable event exactly
once, in order.

Broadcasts take a synchronous fast path under daphne (`push`): the event's frame, built once
for the process (`realtime.layers.Frame`), is written to the socket's autobahn protocol
(`sendPreparedMessage`), skipping the ASGI send and per-socket framing. Everything else
(hello, replay, errors, close) still goes through the ASGI send; both end in the same
protocol's transport in call order, so the replay/buffer rules above keep holding.
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
import re
import uuid
from collections import deque
from typing import Any
from urllib.parse import parse_qs

from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings

from realtime import counters, events, publish
from realtime.layers import get_fanout, send_frame

log = logging.getLogger(__name__)

# Close codes (4000-4999 are the application's).
CLOSE_BAD_REQUEST = 4400
CLOSE_UNAUTHENTICATED = 4401
CLOSE_FORBIDDEN = 4403
CLOSE_NOT_FOUND = 4404
# The standard 1008/1009/1011 mirrored into the application range: autobahn (under daphne)
# refuses to send any code but 1000 and 3000-4999 from the application, and raised inside
# close(), turning a rejected frame into a crashed consumer (found by tests/drills/).
CLOSE_TOO_BIG = 4009
CLOSE_POLICY = 4008
CLOSE_INTERNAL = 4011

MAX_CLIENT_ERRORS = 20  # a client that keeps sending garbage is closed
SLUG = re.compile(r"^[-a-zA-Z0-9_]{1,80}$")
# Consumers do not get a layer channel of their own: they never receive through the layer.
NO_LAYER = "fixline.no-layer"


def dumps(message: dict[str, Any]) -> str:
    """An envelope as the sockets carry it: compact JSON, UTF-8 kept as is."""
    return json.dumps(message, separators=(",", ":"), ensure_ascii=False)


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
        self.wire: Any = None  # daphne's protocol for this socket: the broadcast fast path

    async def join(self, group: str) -> None:
        if self.wire is None and settings.FIXLINE.get("WS_PREFRAMED", True):
            self.wire = find_wire(self.base_send)
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

    async def send_message(self, type: str, data: dict[str, Any], **extra: Any) -> None:
        message = events.envelope(type=type, ticket=self.ticket_id, data=data, **extra)
        await self.send_text(dumps(message))

    async def error(self, code: str, message: str) -> None:
        await self.send_message(events.ERROR, {"code": code, "message": message})

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        limit = settings.FIXLINE["WS_MAX_FRAME_BYTES"]
        size = len(bytes_data) if bytes_data is not None else len((text_data or "").encode())
        if size > limit:
            await self.error("frame_too_large", f"Frames are limited to {limit} bytes.")
            await self.close(CLOSE_TOO_BIG)
            return
        if bytes_data is not None:
            await self._client_error("binary_unsupported", "Send JSON text frames.")
            return
        try:
            frame = json.loads(text_data or "")
        except ValueError:
            await self._client_error("bad_json", "Frames must be one JSON object.")
            return
        if not isinstance(frame, dict):
            await self._client_error("bad_json", "Frames must be one JSON object.")
            return
        if frame.get("type") == "ping":
            await self.send_message(events.PONG, {})
            return
        await self._client_error("unknown_type", 'The only client frame is {"type": "ping"}.')

    async def _client_error(self, code: str, message: str) -> None:
        self.client_errors += 1
        await self.error(code, message)
        if self.client_errors >= MAX_CLIENT_ERRORS:
            await self.close(CLOSE_POLICY)

    async def disconnect(self, code: int) -> None:
        self.closed = True
        await self.leave_all()

    async def deliver(self, message: dict[str, Any]) -> None:
        """Called by the process's fan-out for every message of a joined group."""
        await self.send_text(message["text"])

    def push(self, message: dict[str, Any], frame: Any) -> bool:
        """The fan-out's synchronous fast path; False means "use `deliver`". Only for
        consumers whose `deliver` is the plain forward (subclasses with rules of their own
        override `push` too, or take the ordinary path)."""
        if self.wire is None or type(self).deliver is not BaseConsumer.deliver:
            return False
        self._write(frame)
        return True

    def _write(self, frame: Any) -> None:
        wire = self.wire
        if not self.closed and wire.state == wire.STATE_OPEN:
            send_frame(wire, frame, settings.FIXLINE.get("WS_DIRECT_WRITE", True))


class TicketConsumer(BaseConsumer):
    """`/ws/tickets/<id>/?since=N`: hello, replay of `seq > N`, then live events."""

    async def connect(self) -> None:
        self.ticket_id = int(self.scope["url_route"]["kwargs"]["ticket_id"])
        self.presence_key = uuid.uuid4().hex
        self.last = 0
        self.busy = True  # live messages wait in `buffer` until the replay is sent
        self.buffer: deque[dict[str, Any]] = deque()
        self.watching = False
        raw_since = query_params(self.scope).get("since")
        since: int | None = None
        if raw_since not in (None, ""):
            try:
                since = int(raw_since)
                if since < 0:
                    raise ValueError
            except ValueError:
                await self.accept()
                await self.error("bad_since", "since must be a whole number of 0 or more.")
                await self.close(CLOSE_BAD_REQUEST)
                return
        await self.accept()
        try:
            # Join before reading anything: whatever commits from now on reaches us live.
            await self.join(publish.ticket_group(self.ticket_id))
            state = await database_sync_to_async(self._state)()
            if state is None:
                self.closed = True
                await self.leave_all()
                await self.close(CLOSE_NOT_FOUND)
                return
            latest, counts = state
            counters.ensure_flusher()
            await self.send_message(events.HELLO, counts, seq=latest)
            if since is None:
                self.last = latest
            else:
                self.last = min(since, latest)
                await self._replay()
            await self._drain()
        except Exception:
            log.exception("ticket socket %s failed to start", self.ticket_id)
            await self.close(CLOSE_INTERNAL)

    def _state(self) -> tuple[int, dict[str, int]] | None:
        from tickets import selectors

        ticket = selectors.ticket_get(self.ticket_id)
        if ticket is None:
            return None
        counters.watch(ticket.pk, self.presence_key)  # counted in its own hello
        self.watching = True
        counts = counters.snapshot(ticket.pk) or {}
        return ticket.seq, counts

    async def _replay(self) -> None:
        """Send every logged event after `self.last`, page by page."""
        from tickets import selectors

        page = selectors.EVENTS_PAGE_MAX
        while not self.closed:
            rows = await database_sync_to_async(selectors.public_events_since)(
                self.ticket_id, self.last, limit=page
            )
            for message in rows:
                await self.send_text(dumps(message))
                self.last = message["seq"]
            if len(rows) < page:
                return

    async def _drain(self) -> None:
        """Forward what arrived while busy, then go live. Runs with `busy` set."""
        try:
            while self.buffer and not self.closed:
                message = self.buffer.popleft()
                seq = message.get("seq")
                if seq is not None and seq > self.last + 1:
                    await self._replay()  # fills the gap (and usually includes `message`)
                await self._forward(message)
        finally:
            self.busy = False

    async def _forward(self, message: dict[str, Any]) -> None:
        seq = message.get("seq")
        if seq is None:  # counters: not durable, no seq
            await self.send_text(message["text"])
        elif seq > self.last:
            self.last = seq
            await self.send_text(message["text"])

    def push(self, message: dict[str, Any], frame: Any) -> bool:
        """`deliver`'s rules, synchronously, writing the prepared frame."""
        if self.wire is None:
            return False
        if self.busy:
            self.buffer.append(message)
            return True
        seq = message.get("seq")
        if seq is not None:
            if seq > self.last + 1:
                return False  # a gap: `deliver` reads the log first
            if seq <= self.last:
                return True  # already sent (replay overlap): dedupe at the seam
            self.last = seq
        self._write(frame)
        return True

    async def deliver(self, message: dict[str, Any]) -> None:
        if self.busy:
            self.buffer.append(message)
            return
        seq = message.get("seq")
        if seq is not None and seq > self.last + 1:
            # A gap: read the log first; later messages wait behind it, in order.
            self.busy = True
            self.buffer.append(message)
            asyncio.get_running_loop().create_task(self._drain())
            return
        await self._forward(message)

    async def disconnect(self, code: int) -> None:
        await super().disconnect(code)
        if self.watching:
            self.watching = False
            await sync_to_async(counters.unwatch)(self.ticket_id, self.presence_key)


class FeedConsumer(BaseConsumer):
    """`/ws/feed/?jurisdiction=<slug>&event=<slug>`: new tickets and status changes.
    With neither, everything; with both, the union (each event once)."""

    async def connect(self) -> None:
        query = query_params(self.scope)
        jurisdiction = query.get("jurisdiction") or None
        event = query.get("event") or None
        for value in (jurisdiction, event):
            if value is not None and not SLUG.match(value):
                await self.refuse(CLOSE_BAD_REQUEST)
                return
        if not await database_sync_to_async(_scopes_exist)(jurisdiction, event):
            await self.refuse(CLOSE_NOT_FOUND)
            return
        self.seen: deque[tuple[int, int]] = deque(maxlen=256)
        await self.accept()
        groups = []
        if jurisdiction:
            groups.append(publish.feed_group(jurisdiction=jurisdiction))
        if event:
            groups.append(publish.feed_group(event=event))
        for group in groups or [publish.feed_group()]:
            await self.join(group)

    def _first_time(self, message: dict[str, Any]) -> bool:
        if len(self.joined) > 1:  # the same event may come through both groups
            key = (_ticket_of(message["text"]), message.get("seq") or 0)
            if key in self.seen:
                return False
            self.seen.append(key)
        return True

    def push(self, message: dict[str, Any], frame: Any) -> bool:
        if self.wire is None:
            return False
        if self._first_time(message):
            self._write(frame)
        return True

    async def deliver(self, message: dict[str, Any]) -> None:
        if self._first_time(message):
            await self.send_text(message["text"])


def _ticket_of(text: str) -> int:
    match = re.search(r'"ticket":(\d+)', text)
    return int(match.group(1)) if match else 0


def _scopes_exist(jurisdiction: str | None, event: str | None) -> bool:
    from tickets.models import EmergencyEvent, Jurisdiction

    if jurisdiction and not Jurisdiction.objects.filter(slug=jurisdiction).exists():
        return False
    return not (event and not EmergencyEvent.objects.filter(slug=event).exists())


class ModerationConsumer(BaseConsumer):
    """`/ws/moderation/`: agents, trusted volunteers and admins; refused before any data."""

    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.refuse(CLOSE_UNAUTHENTICATED)
            return
        groups = await database_sync_to_async(_moderation_groups)(user)
        if not groups:
            await self.refuse(CLOSE_FORBIDDEN)
            return
        await self.accept()
        for group in groups:
            await self.join(group)


def _moderation_groups(user: Any) -> list[str]:
    """Admins and trusted volunteers watch everything; an agent, their jurisdictions (and
    their descendants) plus what is tied to no place; anyone else, nothing."""
    from tickets import permissions

    if permissions.is_admin(user) or permissions.is_trusted_volunteer(user):
        return [publish.MODERATION_GROUP]
    places = sorted(permissions.agent_jurisdiction_ids(user))
    if not places:
        return []
    return [publish.MODERATION_UNSCOPED, *(f"{publish.MODERATION_GROUP}.j.{j}" for j in places)]


class NotFoundConsumer(BaseConsumer):
    """Any other `/ws/` path."""

    async def connect(self) -> None:
        await self.refuse(CLOSE_NOT_FOUND)
