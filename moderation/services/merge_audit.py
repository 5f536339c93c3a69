"""Casework: merges and unmerges go into moderation's audit log. `tickets` cannot import
`moderation`, so this listens to the durable events `tickets.services.merging` writes, inside
the same transaction (an audit entry for a rolled-back merge is never written)."""

from __future__ import annotations

from moderation.services import audit
from realtime import events
from tickets.identity import Actor
from tickets.models import Ticket, TicketEvent

AUDITED = {events.TICKET_MERGED: "ticket.merge", events.TICKET_UNMERGED: "ticket.unmerge"}


def on_ticket_event(event: TicketEvent) -> None:
    action = AUDITED.get(event.type)
    if action is None:
        return
    identity = event.actor
    actor = Actor(user=identity.user, _identity=identity) if identity is not None else None
    ticket = Ticket.objects.get(pk=event.ticket_id)
    data = event.data
    if event.type == events.TICKET_MERGED:
        before = {"status": data.get("previous_status"), "duplicate_of": None}
        after = {"status": data.get("status"), "duplicate_of": data.get("into")}
    else:
        before = {"status": "closed", "duplicate_of": data.get("original")}
        after = {"status": data.get("status"), "duplicate_of": None}
    audit.record(
        actor=actor,
        action=action,
        target_type="ticket",
        target_id=ticket.pk,
        reason=str(data.get("note") or ""),
        before=before,
        after=after,
        ticket=ticket,
    )
