"""The seam with the write layer: `tickets.services` calls `on_ticket_event` inside the
transaction that appends each durable event.

- The worker's job is enqueued right here, in the same transaction: the task row lives in
  the same database (django-tasks' database backend), so the change and the work it causes
  commit together or not at all, and nothing is lost between a commit and an enqueue.
- Sign-up (`tickets.views.signup.signed_up`) asks for the new address's verification mail.
- In-app notifications (the bell) are the worker's too (`dispatch.process_event`): a comment
  costs the same few queries whoever follows the ticket. The embedded default runs the worker
  inside daphne's process (`project/worker.py`), so the bell is live there too.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import translation

from notifications import dispatch, inapp, jobs, verification
from notifications.models import Notification
from notifications.recipients import receiving_agents
from realtime import events
from tickets.models import TicketEvent

REROUTED = "ticket.rerouted"


def on_ticket_event(event: TicketEvent) -> None:
    if event.type == events.TICKET_UPDATED and "jurisdiction" in event.data.get("changed", []):
        notify_rerouted(event)
    if event.type not in dispatch.HANDLED_TYPES:
        return
    jobs.process_event(event.pk)


def on_signed_up(sender: Any, *, user: Any, **kwargs: Any) -> None:
    if user.email:
        verification.request_verification(
            email=user.email, user=user, language=translation.get_language() or ""
        )


def notify_rerouted(event: TicketEvent) -> None:
    """Casework: a ticket rerouted to a jurisdiction rings the bell of its agents (those of
    the nearest ancestor with agents), except the one who moved it."""
    ticket = event.ticket
    user_ids = [agent.pk for agent in receiving_agents(ticket.jurisdiction)]
    if event.actor is not None and event.actor.user_id is not None:
        user_ids = [uid for uid in user_ids if uid != event.actor.user_id]
    if not user_ids:
        return
    key = f"event:{event.pk}"
    Notification.objects.bulk_create(
        [
            Notification(
                user_id=uid,
                key=key,
                kind=REROUTED,
                ticket_id=ticket.pk,
                data={"title": ticket.title, "jurisdiction": ticket.jurisdiction.name},
                url=ticket.get_absolute_url(),
                created_at=event.at,
            )
            for uid in user_ids
        ],
        ignore_conflicts=True,
    )
    transaction.on_commit(lambda: inapp.push_created(key, user_ids))
