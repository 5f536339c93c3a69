"""Casework in the audit log: a ticket rerouted to another jurisdiction writes one
AuditEntry. `tickets` cannot import `moderation`, so this listens to the tickets' durable
events (registered in `moderation.apps`) and runs inside the rerouting transaction."""

from __future__ import annotations

from django.utils.translation import gettext as _

from moderation.services import audit
from realtime import events
from tickets.identity import Actor
from tickets.models import TicketEvent

REROUTE = "ticket.reroute"


def on_ticket_event(event: TicketEvent) -> None:
    if event.type != events.TICKET_UPDATED or "jurisdiction" not in event.data.get("changed", []):
        return
    identity = event.actor
    actor = Actor(user=identity.user) if identity is not None and identity.user else None
    audit.record(
        actor=actor,
        action=REROUTE,
        target_type="ticket",
        target_id=event.ticket_id,
        reason=_("Rerouted to another jurisdiction."),
        before={"jurisdiction": event.data.get("previous_jurisdiction", "")},
        after={"jurisdiction": event.data["jurisdiction"]},
        ticket=event.ticket,
    )
