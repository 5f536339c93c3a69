"""The ticket sockets: `/ws/tickets/<id>/` (hello, replay from the log, live events) and
`/ws/feed/` (new tickets and status changes of an area), built on
`realtime.consumers.BaseConsumer`.

The ticket socket's seam between replay and live: join the group first, then read the log;
while the replay (or any catch-up) runs, live messages wait in a small buffer; a live event
at or below the last sent `seq` is dropped, and one that would leave a gap triggers a read of
the log from the last sent `seq` first. Clients therefore see every durable event exactly
once, in order. The rule is `realtime.seam.decide`, used by both the fast path (`push`) and
the ASGI path (`deliver`).
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import re
import uuid
from collections import deque
from collections.abc import Mapping
from typing import Any

from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async
from channels.exceptions import StopConsumer
from channels.layers import channel_layers

from realtime import counters, events, publish
from realtime.consumers import (
    CLOSE_BAD_REQUEST,
    CLOSE_INTERNAL,
    CLOSE_NOT_FOUND,
    NO_LAYER,
    BaseConsumer,
    dumps,
    query_params,
)
from realtime.fastpath import Frame
from realtime.layers import get_fanout

# The names themselves, not `seam.`: `push` runs per socket per event.
from realtime.seam import BUFFER, CATCH_UP, DROP, SEND, decide
from tickets import permissions, selectors, socket_rows
from tickets.identity import Actor, anon_token_from_cookies, existing_identity_id
from tickets.models import EmergencyEvent, Jurisdiction, Ticket

log = logging.getLogger(__name__)

# seq, counters, staff (casework), private (sees it taken down), its emergency's slug
SocketState = tuple[int, Mapping[str, object], bool, bool, str | None]

SLUG = re.compile(r"^[-a-zA-Z0-9_]{1,80}$")


class TicketConsumer(BaseConsumer):
    """`/ws/tickets/<id>/?since=N`: hello, replay of `seq > N`, then live events."""

    private = False  # its reporter's or a moderator's: still served once taken down
    ticket_id: int  # set first thing in `connect`

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Channels looks the consumer's layer alias up for every socket; NO_LAYER is not in
        # CHANNEL_LAYERS, so each lookup read the settings and raised KeyError (10 % of a join
        # storm's event-loop samples). Known as "no layer" once per process (and again after
        # tests reset the layers).
        channel_layers.backends.setdefault(NO_LAYER, None)

    async def connect(self) -> None:
        self.ticket_id = int(self.scope["url_route"]["kwargs"]["ticket_id"])
        self.presence_key = _presence_key()
        self.last = 0
        self.busy = True  # live messages wait in `buffer` until the replay is sent
        self.buffer: deque[dict[str, Any]] = deque()
        self.watched: int | None = None  # the ticket this socket counts in `watching`
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
            state = await self._handshake_state(since)
            if state is None:
                self.closed = True
                await self.leave_all()
                await self.close(CLOSE_NOT_FOUND)
                return
            latest, counts, staff, self.private, event = state
            if staff:  # casework (notes, assignment): staff of the ticket's jurisdiction only
                await self.join(publish.ticket_staff_group(self.ticket_id))
            if self.private:  # takedown: its reporter and moderators keep following it
                await self.join(publish.ticket_private_group(self.ticket_id))
            if event:  # its emergency's announcements: one group per event, not per ticket
                await self.join(publish.event_group(event))
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

    async def _handshake_state(self, since: int | None) -> SocketState | None:
        """An anonymous socket shares the ticket's row with the other handshakes of the
        ticket (`tickets.socket_rows`: why that keeps `seq` right); a signed-in one, or one
        whose `since` is past the shared row's seq (fresher than it), reads its own."""
        user = self.scope.get("user")
        if permissions.is_account(user):
            return await database_sync_to_async(self._state)(None)
        group = publish.ticket_group(self.ticket_id)
        subscription = get_fanout().members.get(group)
        if subscription is None:  # not in the group (never after `join`): nothing to share
            return await database_sync_to_async(self._state)(None)
        row = await socket_rows.shared(self.ticket_id, subscription, self._read_row)
        if row is None:
            return None  # no such ticket
        if since is not None and since > row.seq:  # the page is fresher: its own row
            return await database_sync_to_async(self._state)(None)
        if counters.in_process():
            return self._state_of(row)  # nothing to wait for: no thread hop
        return await database_sync_to_async(self._state)(row)

    async def _read_row(self) -> socket_rows.SocketRow | None:
        return await database_sync_to_async(socket_rows.read)(self.ticket_id)

    def _state(self, row: socket_rows.SocketRow | None) -> SocketState | None:
        # One query for an anonymous socket (docs/performance.md, "Storms"), none with a
        # shared row: the ticket's seq, jurisdiction, visibility, reporter, emergency and
        # stored counters together.
        if row is None:
            row = socket_rows.read(self.ticket_id)
        if row is None:
            return None
        return self._state_of(row)

    def _state_of(self, row: socket_rows.SocketRow) -> SocketState | None:
        user = self.scope.get("user")
        token = anon_token_from_cookies(self.scope.get("cookies") or {})
        # Who is watching matters to a taken-down ticket: its reporter (an account or the
        # browser that filed it) and its moderators keep it, now and once it is taken down.
        staff = False
        if permissions.is_account(user):
            # The rules take a ticket; the row has what they read (jurisdiction, reporter).
            ticket = Ticket(
                pk=row.id, jurisdiction_id=row.jurisdiction_id, reporter_id=row.reporter_id
            )
            viewer = existing_identity_id(Actor(user=user, anon_token=token))
            private = selectors.sees_hidden(ticket, user=user, identity_id=viewer)
            staff = permissions.can_do_casework(user, ticket)
        else:  # the browser that filed it? Compared on the row just read: no second query
            private = bool(token) and row.reporter_key == f"a:{token}"
        if row.visibility != Ticket.Visibility.VISIBLE and not private:
            return None  # taken down, for the public: refused like a missing one
        counters.watch(row.id, self.presence_key)  # counted in its own hello
        self.watched = row.id
        return row.seq, counters.live(row.id, row.stored), staff, private, row.event_slug

    async def _replay(self) -> None:
        """Send every logged event after `self.last`, page by page; a page is shared with the
        ticket's other sockets replaying from the same seq (a reconnect storm: the sockets of
        a dead process come back together, `tickets.socket_rows.shared_replay`)."""
        page = selectors.EVENTS_PAGE_MAX
        group = publish.ticket_group(self.ticket_id)
        while not self.closed:
            since = self.last

            async def read(since: int = since) -> list[dict[str, Any]]:
                return await database_sync_to_async(selectors.public_events_since)(
                    self.ticket_id, since, limit=page
                )

            subscription = get_fanout().members.get(group)
            if subscription is None:  # not in the group: nothing to share
                rows = await read()
            else:
                rows = await socket_rows.shared_replay(self.ticket_id, since, subscription, read)
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
                action = decide(self.last, seq)
                if action == CATCH_UP:
                    await self._replay()  # fills the gap (and usually includes `message`)
                    action = decide(self.last, seq)
                # A gap the log could not fill (never: seq is gapless) is sent over.
                if action != DROP:
                    await self._send_live(message)
        finally:
            self.busy = False

    async def _send_live(self, message: dict[str, Any]) -> None:
        seq = message.get("seq")
        if seq is not None:  # counters: not durable, no seq
            self.last = seq
        await self.send_text(message["text"])

    def push(self, message: dict[str, Any], frame: Frame) -> bool:
        """`deliver`'s rules (realtime/seam.py), synchronously, writing the prepared frame."""
        socket_rows.forget(self.ticket_id)  # first: a later handshake must not miss this
        if self.wire is None or (not self.private and _takes_down(message)):
            return False
        seq = message.get("seq")
        action = decide(self.last, seq, self.busy)
        if action == SEND:
            if seq is not None:
                self.last = seq
            self._write(frame)
        elif action == BUFFER:
            self.buffer.append(message)
        elif action == CATCH_UP:
            return False  # `deliver` reads the log first
        return True  # or DROP: already sent (replay overlap)

    async def deliver(self, message: dict[str, Any]) -> None:
        socket_rows.forget(self.ticket_id)  # first: a later handshake must not miss this
        if not self.private and _takes_down(message):
            # A public copy gets `ticket.hidden`, then nothing more: the socket is closed.
            await self.send_text(message["text"])
            await self.revoke(CLOSE_NOT_FOUND)
            return
        action = decide(self.last, message.get("seq"), self.busy)
        if action == SEND:
            await self._send_live(message)
        elif action == BUFFER:
            self.buffer.append(message)
        elif action == CATCH_UP:
            # Read the log first; later messages wait behind it, in order.
            self.busy = True
            self.buffer.append(message)
            asyncio.get_running_loop().create_task(self._drain())
        # DROP: already sent (replay overlap)

    async def websocket_disconnect(self, message: dict[str, Any]) -> None:
        """Channels' own, without its `aclose_old_connections()`, a thread hop per closed
        socket (14 % of the event loop's samples in a join storm's profile): this consumer
        reads the database only through `database_sync_to_async`, which closes old connections
        around every call itself. No layer groups to leave (`self.groups` is empty: groups are
        the fan-out's)."""
        await self.disconnect(message["code"])
        raise StopConsumer()

    async def disconnect(self, code: int) -> None:
        await super().disconnect(code)
        if self.ticket_id is not None:
            group = publish.ticket_group(self.ticket_id)
            socket_rows.drop_if_unwatched(self.ticket_id, get_fanout().members.get(group))
        if self.watched is not None:
            ticket_id, self.watched = self.watched, None
            if counters.in_process():  # a dict under a lock: no thread hop
                counters.unwatch(ticket_id, self.presence_key)
            else:
                await sync_to_async(counters.unwatch)(ticket_id, self.presence_key)


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
        # The same ticket event may come through both groups; an announcement (no seq) is
        # sent to the event's group only.
        if len(self.joined) > 1 and message.get("seq"):
            key = (_ticket_of(message["text"]), message.get("seq") or 0)
            if key in self.seen:
                return False
            self.seen.append(key)
        return True

    def push(self, message: dict[str, Any], frame: Frame) -> bool:
        if self.wire is None:
            return False
        if self._first_time(message):
            self._write(frame)
        return True

    async def deliver(self, message: dict[str, Any]) -> None:
        if self._first_time(message):
            await self.send_text(message["text"])


# Unique across processes (presence is counted in Redis by key): a random prefix per process
# and a counter; uuid4 per socket (os.urandom) was 2 % of a join storm's samples.
_PRESENCE_PREFIX = uuid.uuid4().hex[:16]
_presence_keys = itertools.count()


def _presence_key() -> str:
    return f"{_PRESENCE_PREFIX}{next(_presence_keys):x}"


_HIDDEN_PREFIX = '{"type":"' + events.TICKET_HIDDEN + '"'  # envelopes are dumped type first


def _takes_down(message: dict[str, Any]) -> bool:
    text = message.get("text")
    return isinstance(text, str) and text.startswith(_HIDDEN_PREFIX)


def _ticket_of(text: str) -> int:
    match = re.search(r'"ticket":(\d+)', text)
    return int(match.group(1)) if match else 0


def _scopes_exist(jurisdiction: str | None, event: str | None) -> bool:
    if jurisdiction and not Jurisdiction.objects.filter(slug=jurisdiction).exists():
        return False
    return not (event and not EmergencyEvent.objects.filter(slug=event).exists())
