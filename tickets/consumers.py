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
import logging
import re
import uuid
from collections import deque
from collections.abc import Mapping
from typing import Any

from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async

from realtime import counters, events, publish
from realtime.consumers import (
    CLOSE_BAD_REQUEST,
    CLOSE_INTERNAL,
    CLOSE_NOT_FOUND,
    BaseConsumer,
    dumps,
    query_params,
)
from realtime.fastpath import Frame

# The names themselves, not `seam.`: `push` runs per socket per event.
from realtime.seam import BUFFER, CATCH_UP, DROP, SEND, decide
from tickets import permissions, selectors
from tickets.identity import Actor, anon_token_from_cookies, existing_identity_id
from tickets.models import EmergencyEvent, Jurisdiction, Ticket

log = logging.getLogger(__name__)

# seq, counters, staff (casework), private (sees it taken down), its emergency's slug
SocketState = tuple[int, Mapping[str, object], bool, bool, str | None]

SLUG = re.compile(r"^[-a-zA-Z0-9_]{1,80}$")


class TicketConsumer(BaseConsumer):
    """`/ws/tickets/<id>/?since=N`: hello, replay of `seq > N`, then live events."""

    private = False  # its reporter's or a moderator's: still served once taken down

    async def connect(self) -> None:
        self.ticket_id = int(self.scope["url_route"]["kwargs"]["ticket_id"])
        self.presence_key = uuid.uuid4().hex
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
            state = await database_sync_to_async(self._state)()
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

    def _state(self) -> SocketState | None:
        # One query for an anonymous socket (docs/performance.md, "Storms"): the ticket's seq,
        # jurisdiction, visibility, reporter, emergency and stored counters together.
        ticket = selectors.ticket_for_socket(self.ticket_id)
        if ticket is None:
            return None
        user = self.scope.get("user")
        token = anon_token_from_cookies(self.scope.get("cookies") or {})
        # Who is watching matters to a taken-down ticket: its reporter (an account or the
        # browser that filed it) and its moderators keep it, now and once it is taken down.
        if permissions.is_account(user):
            viewer = existing_identity_id(Actor(user=user, anon_token=token))
            private = selectors.sees_hidden(ticket, user=user, identity_id=viewer)
        else:  # the browser that filed it? Compared on the row just read: no second query
            reporter = ticket.reporter
            private = bool(token) and reporter is not None and reporter.key == f"a:{token}"
        if ticket.visibility != Ticket.Visibility.VISIBLE and not private:
            return None  # taken down, for the public: refused like a missing one
        staff = permissions.can_do_casework(user, ticket)
        counters.watch(ticket.pk, self.presence_key)  # counted in its own hello
        self.watched = ticket.pk
        stored: events.TicketCounters = {
            "views": ticket.views,
            "followers": ticket.followers,
            "votes": ticket.votes,
            "thanks": ticket.thanks,
            "watching": 0,
        }
        event = ticket.event.slug if ticket.event_id and ticket.event else None
        return ticket.seq, counters.live(ticket.pk, stored), staff, private, event

    async def _replay(self) -> None:
        """Send every logged event after `self.last`, page by page."""
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

    async def disconnect(self, code: int) -> None:
        await super().disconnect(code)
        if self.watched is not None:
            ticket_id, self.watched = self.watched, None
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
