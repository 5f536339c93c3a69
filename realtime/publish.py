"""The one way out to the sockets. The write layer calls `publish_on_commit` inside its
transaction; after commit, each event's envelope is serialised once and handed to the
channel layer for every group that should see it."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

from realtime import events

log = logging.getLogger(__name__)


def ticket_group(ticket_id: int) -> str:
    return f"ticket.{ticket_id}"


def feed_group(*, jurisdiction: str | None = None, event: str | None = None) -> str:
    if event:
        return f"feed.e.{event}"
    if jurisdiction:
        return f"feed.j.{jurisdiction}"
    return "feed.all"


def event_group(event: str) -> str:
    """Every ticket socket of a ticket in this emergency (announcements reach them in one
    send however many tickets the event has); the event page uses `feed_group(event=…)`."""
    return f"event.{event}"


MODERATION_GROUP = "moderation"  # everything: admins and trusted volunteers
MODERATION_UNSCOPED = "moderation.unscoped"  # messages tied to no jurisdiction: every agent


def send_to_groups(groups: Iterable[str], message: dict[str, Any]) -> None:
    """Serialise once, send the same text to every group. The group name travels with the
    message so that a process's single fan-out subscription (`realtime.layers.Fanout`) knows
    which local sockets it is for."""
    send_many([(groups, message)])


# In the embedded worker's process (project/worker.py) messages go to daphne's process through a
# pipe: the in-memory layer's sockets are there.
Batch = list[tuple[list[str], dict[str, Any]]]
_relay: Callable[[Batch], None] | None = None


def relay_to(send: Callable[[Batch], None] | None) -> None:
    """Hand every message this process publishes to `send` instead of the channel layer."""
    global _relay
    _relay = send


def send_many(items: Iterable[tuple[Iterable[str], dict[str, Any]]]) -> None:
    """Several messages, each to its groups, in order, in one hop to the event loop (a ticket
    in an emergency goes to five groups; the worker's bell sends one message per follower,
    and outside daphne every hop runs an event loop of its own)."""
    batch = [(list(groups), message) for groups, message in items]
    if not batch:  # e.g. a `one_hop()` block that published nothing: no hop, no pipe write
        return
    if _relay is not None:
        try:
            _relay(batch)
        except Exception:  # never break the write that already committed
            log.exception("relaying messages to daphne's process failed")
        return
    layer = get_channel_layer()
    if layer is None:
        return
    prepared = [
        (groups, json.dumps(message, separators=(",", ":"), ensure_ascii=False), message)
        for groups, message in batch
    ]
    try:
        async_to_sync(_send_all)(layer, prepared)
    except Exception:  # never break the write that already committed
        log.exception("publishing %d messages failed", len(prepared))


async def _send_all(layer: Any, prepared: list[tuple[list[str], str, dict[str, Any]]]) -> None:
    for groups, text, message in prepared:
        seq = message.get("seq")
        for group in groups:
            try:
                await layer.group_send(
                    group, {"type": "fixline.message", "text": text, "seq": seq, "group": group}
                )
            except Exception:  # a broken layer must never break the write that committed
                log.exception("publishing to %s failed", group)


def ticket_private_group(ticket_id: int) -> str:
    """Sockets that still see a taken-down ticket: its reporter's and its moderators'."""
    return f"ticket.{ticket_id}.private"


def ticket_event_groups(
    message: dict[str, Any], *, feed_scopes: Iterable[tuple[str, str]] = (), private: bool = False
) -> list[str]:
    """`private`: the ticket is taken down, so the event goes to its private sockets only,
    never to the public ticket group or the feeds."""
    if private:
        return [ticket_private_group(message["ticket"])]
    groups = [ticket_group(message["ticket"])]
    if message["type"] in events.FEED_TYPES:
        groups.append(feed_group())
        for kind, slug in feed_scopes:
            groups.append(feed_group(**{kind: slug}))
    return groups


# --- After commit, in one hop ------------------------------------------------------------------
# Each send after commit is a hop from the request's thread to the event loop and back. A write
# that publishes several messages (a comment: the ticket's event, then the moderators' feed)
# sends them all in one hop inside `one_hop()`: docs/performance.md, "The write path", round 4.
_hop: ContextVar[Batch | None] = ContextVar("fixline_publish_hop", default=None)


def _send_after_commit(groups: list[str], message: dict[str, Any]) -> None:
    batch = _hop.get()
    if batch is None:
        transaction.on_commit(lambda: send_to_groups(groups, message))
    else:
        # Django still decides whether this message goes out: an on_commit callback registered
        # inside a savepoint that rolls back is dropped with it, so the message never joins.
        transaction.on_commit(lambda: batch.append((groups, message)))


@contextmanager
def one_hop() -> Iterator[None]:
    """Inside the write's transaction: what the block publishes after commit goes to the sockets
    in one hop, in order. Each message's own callback joins it to the batch; the sending
    callback is registered when the block ends, so it runs after them. Which messages go is
    Django's on_commit decision, as without the block: none of a rolled-back transaction or
    savepoint."""
    batch: Batch = []
    token = _hop.set(batch)
    try:
        yield
    finally:
        _hop.reset(token)
        transaction.on_commit(lambda: send_many(batch))


def publish_on_commit(
    message: dict[str, Any], *, feed_scopes: Iterable[tuple[str, str]] = (), private: bool = False
) -> None:
    groups = ticket_event_groups(message, feed_scopes=feed_scopes, private=private)
    _send_after_commit(groups, message)


def moderation_groups_for(jurisdiction_id: int | None) -> list[str]:
    """Where a moderation message goes: everyone who moderates everywhere (admins, trusted
    volunteers) and the agents of its jurisdiction; one with no place goes to every agent."""
    scoped = f"{MODERATION_GROUP}.j.{jurisdiction_id}" if jurisdiction_id else MODERATION_UNSCOPED
    return [MODERATION_GROUP, scoped]


def moderation_on_commit(message: dict[str, Any], *, jurisdiction_id: int | None = None) -> None:
    _send_after_commit(moderation_groups_for(jurisdiction_id), message)


# --- Casework (staff only) ---------------------------------------------------------------------


def ticket_staff_group(ticket_id: int) -> str:
    """Staff of the ticket's jurisdiction on its socket: assignment, notes, priority."""
    return f"ticket.{ticket_id}.staff"


def staff_on_commit(message: dict[str, Any], *, jurisdiction_ids: Iterable[int]) -> None:
    """After commit: the ticket's staff sockets and the agents' dashboards of each place. Only
    the per-jurisdiction moderation group: the all-places one also holds trusted volunteers,
    who are not staff."""
    groups = [ticket_staff_group(message["ticket"])]
    for jurisdiction_id in dict.fromkeys(jurisdiction_ids):
        groups.append(moderation_groups_for(jurisdiction_id)[1])
    _send_after_commit(groups, message)


# --- Sockets follow their session (docs/security.md, "Round 2: proxies and sockets") --------
def session_group(user_id: int) -> str:
    """Every signed-in socket of an account (bell, moderation) is in this group; the write
    layer tells it to re-check its session and role after a logout or a role change."""
    return f"session.{user_id}"


RECHECK = "recheck"


def send_recheck(user_ids: Iterable[int]) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    send = async_to_sync(layer.group_send)
    for user_id in sorted(set(user_ids)):
        group = session_group(user_id)
        try:
            send(group, {"type": "fixline.message", "control": RECHECK, "group": group})
        except Exception:  # never fail the write that already committed
            log.exception("publishing to %s failed", group)


def recheck_on_commit(user_ids: Iterable[int]) -> None:
    """After commit: the accounts' open sockets re-check their session and role (and close
    with 4401/4403 when it no longer lets them in)."""
    ids = list(user_ids)
    if ids:
        transaction.on_commit(lambda: send_recheck(ids))
