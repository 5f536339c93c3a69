"""Ticket takedowns go into the audit log. `tickets` cannot import `moderation`, so this is a
visibility listener of `tickets.services.ticket_set_visibility`, called inside its
transaction with who and why (an audit entry for a rolled-back change is never written). Every
caller — the API, the admin, a command — is audited the same way."""

from __future__ import annotations

from typing import Any

from moderation.services import audit
from tickets.models import Ticket
from tickets.services import VisibilityChange

ACTIONS = {Ticket.Visibility.HIDDEN: "ticket.hide", Ticket.Visibility.VISIBLE: "ticket.restore"}


def _snapshot(ticket: Ticket, visibility: str) -> dict[str, Any]:
    # The text that was taken down stays readable here, for moderators only.
    return {"visibility": visibility, "title": ticket.title, "description": ticket.description}


def on_ticket_visibility(change: VisibilityChange) -> None:
    ticket = change.ticket
    audit.record(
        actor=change.actor,
        action=ACTIONS[Ticket.Visibility(change.after)],
        target_type="ticket",
        target_id=ticket.pk,
        reason=change.reason,
        before=_snapshot(ticket, change.before),
        after=_snapshot(ticket, change.after),
        ticket=ticket,
    )
