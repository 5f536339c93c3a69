"""The event log: every visible change is written with its TicketEvent by `_append_event`,
under a row lock on the ticket, and broadcast after commit."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext as _

from realtime import events, publish
from tickets.errors import NotFound
from tickets.models import (
    Identity,
    Jurisdiction,
    Ticket,
    TicketEvent,
)

# --- Event listeners ----------------------------------------------------------------------------
# Other apps (notifications, moderation's feed) react to durable events without `tickets`
# importing them: a listener is called inside the writing transaction with the new event row,
# so it can enqueue work with transaction.on_commit and never sees a rolled-back change.

EventListener = Callable[[TicketEvent], None]
_event_listeners: list[EventListener] = []


def register_event_listener(listener: EventListener) -> None:
    if listener not in _event_listeners:
        _event_listeners.append(listener)


# --- The event log -----------------------------------------------------------------------------


def _lock_ticket(ticket_id: int) -> Ticket:
    """Lock the ticket row first in every write, so seq allocation is serialised and two
    writers never deadlock on the foreign-key share locks of their inserts."""
    try:
        return Ticket.objects.select_for_update(no_key=True).get(pk=ticket_id)
    except (Ticket.DoesNotExist, ValueError, TypeError):
        raise NotFound(_("No such ticket.")) from None


# Raw SQL because the ORM's update() returns a row count, not the row (RETURNING: PostgreSQL,
# and SQLite since 3.35); quoted identifiers read the same in both.
_TAKE_SEQ = (
    'UPDATE "tickets_ticket" SET "seq" = "seq" + 1, "updated_at" = %s WHERE "id" = %s '
    'RETURNING "seq", "visibility", "jurisdiction_id", "event_id"'
)


def _lock_taking_seq(ticket: Ticket, *, at: datetime) -> Ticket:
    """For a write that appends exactly one event (a comment): lock the row and take its next
    seq in one statement instead of `_lock_ticket`'s read plus `_append_event`'s update (an
    UPDATE takes the same row lock, first in the transaction as always). `ticket` was read
    before the transaction; what a concurrent write may have changed since comes back with
    the lock. Then `_append_event(..., seq_taken=True)`."""
    with connection.cursor() as cursor:
        cursor.execute(_TAKE_SEQ, [connection.ops.adapt_datetimefield_value(at), ticket.pk])
        row = cursor.fetchone()
    if row is None:
        raise NotFound(_("No such ticket."))
    seq, visibility, jurisdiction_id, event_id = row
    if (jurisdiction_id, event_id) != (ticket.jurisdiction_id, ticket.event_id):
        # Rerouted or moved into an event meanwhile (rare): read it again, under the lock.
        ticket = (
            Ticket.objects.select_related("event", "jurisdiction")
            .defer("jurisdiction__boundary")
            .get(pk=ticket.pk)
        )
    ticket.seq, ticket.visibility, ticket.updated_at = seq, visibility, at
    return ticket


def _feed_scopes(ticket: Ticket) -> list[tuple[str, str]]:
    scopes = [
        ("jurisdiction", slug)
        for slug in Jurisdiction.objects.filter(
            pk__in=ticket.jurisdiction.ancestor_ids()
        ).values_list("slug", flat=True)
    ]
    emergency_slug = ticket.emergency_slug
    if emergency_slug is not None:
        scopes.append(("event", emergency_slug))
    return scopes


def _append_event(
    ticket: Ticket,
    type: str,
    data: dict[str, Any],
    *,
    at: datetime,
    actor: Identity | None = None,
    seq_taken: bool = False,
) -> TicketEvent:
    """Write the next event of a locked ticket and broadcast it after commit. `seq_taken`:
    the lock already took the seq (`_lock_taking_seq`)."""
    if not seq_taken:
        ticket.seq += 1
        ticket.updated_at = at
        Ticket.objects.filter(pk=ticket.pk).update(seq=ticket.seq, updated_at=at)
    row = TicketEvent.objects.create(
        ticket=ticket, seq=ticket.seq, type=type, at=at, data=data, actor=actor
    )
    message = events.envelope(type=type, ticket=ticket.pk, seq=row.seq, at=at, data=data)
    # A taken-down ticket's events reach only its reporter's and moderators' sockets; its
    # `ticket.hidden` itself still goes to every open copy (and feed), which then let go.
    private = ticket.visibility == Ticket.Visibility.HIDDEN and type != events.TICKET_HIDDEN
    scopes = _feed_scopes(ticket) if type in events.FEED_TYPES and not private else []
    publish.publish_on_commit(message, feed_scopes=scopes, private=private)
    for listener in _event_listeners:
        listener(row)
    return row


def ticket_record_event(
    *, ticket_id: int, type: str, data: dict[str, Any], actor: Identity | None = None
) -> TicketEvent:
    """Append a durable event written by another app's change (moderation's offers). Call it
    inside the caller's transaction, so the change and its event commit together."""
    if type not in events.DURABLE_TYPES:
        raise ValueError(f"{type} is not a durable event type")
    ticket = _lock_ticket(ticket_id)
    return _append_event(ticket, type, data, at=timezone.now(), actor=actor)
