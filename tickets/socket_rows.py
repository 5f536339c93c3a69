"""What an anonymous ticket socket's handshake reads, shared by the handshakes of one ticket
while this process stays subscribed to the ticket's group (docs/performance.md, "Storms").

A join storm is thousands of handshakes on one ticket. Each read the same row on the
database thread: a thread hop, a new SQLite connection (`CONN_MAX_AGE=0`), the ORM, for ~40 %
of daphne's CPU in the storm's profile. Here the row is read once and shared, and the rule
that keeps `hello`'s `seq` right is the seam's own (tickets/consumers.py): a socket joins the
ticket's group *before* it reads, so

* an event delivered to this process after the socket joined reaches the socket live (the
  seam sends it, or drops it if the row already counted it);
* an event delivered before the socket joined was first handed to the ticket's other sockets
  here, and each of them calls `forget(ticket)` before anything else (`TicketConsumer.push`
  and `deliver`): the shared row is gone, the late joiner reads the database (`seq` ≥ the
  event's).

So a shared row is never older than an event the socket missed. It is valid only while the
process's subscription to the group is the one it was read under: an entry remembers the
fan-out's member set of the group (`realtime.layers.Fanout.members[group]`, a dict created on
the first join and dropped on the last leave, before unsubscribing) and is ignored once that
set is not the current one (events published while unsubscribed never reached `forget`). A
read that started before a `forget` never fills the cache (its future is unregistered), and
handshakes that join a read in flight joined the group before it was unregistered (so they
get any later event live). Fields no event announces (an emergency attached by hand) are
re-read at least every `MAX_AGE` seconds.

Only for anonymous sockets in the in-process shape's rules (a signed-in socket reads its own
row: its rights depend on it).
"""

from __future__ import annotations

import asyncio
import functools
import time
from typing import Any, NamedTuple

from realtime import events
from tickets import selectors
from tickets.models import Ticket

MAX_AGE = 1.0  # seconds: a shared row is re-read at least this often


class SocketRow(NamedTuple):
    """The ticket as a socket's handshake needs it (tickets.selectors.ticket_for_socket)."""

    id: int
    seq: int
    jurisdiction_id: int
    visibility: str
    reporter_id: int
    reporter_key: str
    event_slug: str | None
    stored: events.TicketCounters  # stored counters, `watching` 0: never mutated


def read(ticket_id: int) -> SocketRow | None:
    """One query (call it on the database thread)."""
    ticket = selectors.ticket_for_socket(ticket_id)
    return None if ticket is None else row_of(ticket)


def row_of(ticket: Ticket) -> SocketRow:
    event = ticket.event if ticket.event_id else None
    return SocketRow(
        id=ticket.pk,
        seq=ticket.seq,
        jurisdiction_id=ticket.jurisdiction_id,
        visibility=ticket.visibility,
        reporter_id=ticket.reporter_id,
        reporter_key=ticket.reporter.key,
        event_slug=event.slug if event is not None else None,
        stored={
            "views": ticket.views,
            "followers": ticket.followers,
            "votes": ticket.votes,
            "thanks": ticket.thanks,
            "watching": 0,
        },
    )


class _Entry(NamedTuple):
    subscription: object  # the fan-out's member set of the group it was read under
    row: SocketRow
    read_at: float


# ticket id -> the shared row; ticket id -> the read in flight whose result may be shared
_rows: dict[int, _Entry] = {}
_reading: dict[int, asyncio.Task[SocketRow | None]] = {}


# The replays a reconnect storm asks for: thousands of sockets coming back after a process
# died ask the log for the same `seq > since` (most had seen the same last event). Shared by
# the same rules as the row: the log's events after `since` as the public may read them, read
# while this process was subscribed to the ticket, and dropped by `forget` on every message to
# the ticket (a new event, a hide, a takedown or a restore all publish one), so a shared replay
# never lacks an event or a hide that reached this process.
class _Replay(NamedTuple):
    subscription: object
    messages: tuple[dict[str, Any], ...]
    read_at: float


_replays: dict[int, dict[int, _Replay]] = {}  # ticket id -> since -> the replay read
_replaying: dict[int, dict[int, asyncio.Task[list[dict[str, Any]]]]] = {}


def forget(ticket_id: int) -> None:
    """Something was published to the ticket (called by its sockets on every message, before
    anything else): the next handshake reads the database."""
    if ticket_id in _rows:
        del _rows[ticket_id]
    if ticket_id in _reading:
        del _reading[ticket_id]
    if ticket_id in _replays:
        del _replays[ticket_id]
    if ticket_id in _replaying:
        del _replaying[ticket_id]


def reset_for_tests() -> None:
    _rows.clear()
    _reading.clear()
    _replays.clear()
    _replaying.clear()


async def shared_replay(
    ticket_id: int, since: int, subscription: object, read_replay: Any
) -> list[dict[str, Any]]:
    """The public log after `since` for a socket that has joined the ticket's group: a replay
    shared under the rules above, one in flight, or a new read by `read_replay()`."""
    entries = _replays.get(ticket_id)
    entry = entries.get(since) if entries else None
    if entry is not None:
        if entry.subscription is subscription and time.monotonic() - entry.read_at <= MAX_AGE:
            return list(entry.messages)
        del _replays[ticket_id][since]
    tasks = _replaying.setdefault(ticket_id, {})
    task = tasks.get(since)
    if task is None:
        task = asyncio.get_running_loop().create_task(read_replay())
        tasks[since] = task
        task.add_done_callback(functools.partial(_replay_done, ticket_id, since, subscription))
    return list(await asyncio.shield(task))


def _replay_done(
    ticket_id: int, since: int, subscription: object, task: asyncio.Task[list[dict[str, Any]]]
) -> None:
    tasks = _replaying.get(ticket_id)
    if tasks is None or tasks.get(since) is not task:
        return  # forgotten while reading: used by those who were waiting, never shared
    del tasks[since]
    if task.cancelled() or task.exception() is not None:
        return
    entry = _Replay(subscription, tuple(task.result()), time.monotonic())
    _replays.setdefault(ticket_id, {})[since] = entry


def cached(ticket_id: int, subscription: object) -> SocketRow | None:
    entry = _rows.get(ticket_id)
    if entry is None:
        return None
    if entry.subscription is not subscription or time.monotonic() - entry.read_at > MAX_AGE:
        del _rows[ticket_id]
        return None
    return entry.row


async def shared(ticket_id: int, subscription: object, read_row: Any) -> SocketRow | None:
    """The ticket's row for a handshake that has joined the ticket's group (`subscription`
    is that group's member set in the process's fan-out): the shared row, a read in flight,
    or a new read by `read_row()` (a coroutine function), shared from now on unless
    forgotten meanwhile."""
    row = cached(ticket_id, subscription)
    if row is not None:
        return row
    task = _reading.get(ticket_id)
    if task is None:
        # A task of its own: one handshake giving up does not cancel the others' read.
        task = asyncio.get_running_loop().create_task(read_row())
        _reading[ticket_id] = task
        task.add_done_callback(functools.partial(_read_done, ticket_id, subscription))
    return await asyncio.shield(task)


def _read_done(ticket_id: int, subscription: object, task: asyncio.Task[SocketRow | None]) -> None:
    if _reading.get(ticket_id) is not task:
        return  # forgotten while reading: used by those who were waiting, never shared
    del _reading[ticket_id]
    if task.cancelled() or task.exception() is not None:
        return  # its waiters get the error (connect closes with CLOSE_INTERNAL)
    row = task.result()
    if row is not None:
        _rows[ticket_id] = _Entry(subscription, row, time.monotonic())


def drop_if_unwatched(ticket_id: int, subscription: object | None) -> None:
    """Memory only: the last socket of the ticket left (the entry is unusable anyway)."""
    if subscription is None:
        _rows.pop(ticket_id, None)
        _replays.pop(ticket_id, None)
