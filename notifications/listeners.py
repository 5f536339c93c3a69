"""The seam with the write layer: `tickets.services` calls `on_ticket_event` inside the
transaction that appends each durable event.

- The worker's job is enqueued right here, in the same transaction: the task row lives in
  the same database (django-tasks' database backend), so the change and the work it causes
  commit together or not at all, and nothing is lost between a commit and an enqueue.
- Sign-up (`tickets.views.signup.signed_up`) asks for the new address's verification mail.
- In-app notifications are written here too (one bulk insert) and pushed to the bell after
  commit from this process, which is the one serving the sockets in the embedded setup.
"""

from __future__ import annotations

from typing import Any

from django.utils import translation

from notifications import dispatch, inapp, jobs, verification
from tickets.models import TicketEvent


def on_ticket_event(event: TicketEvent) -> None:
    if event.type not in dispatch.HANDLED_TYPES:
        return
    jobs.process_event(event.pk)
    inapp.notify_for_event(event)


def on_signed_up(sender: Any, *, user: Any, **kwargs: Any) -> None:
    if user.email:
        verification.request_verification(
            email=user.email, user=user, language=translation.get_language() or ""
        )
