"""Page views, counted in batches."""

from __future__ import annotations

from django.db import transaction
from django.db.models import F

from realtime import counters
from tickets.models import (
    Ticket,
)


def ticket_view(*, ticket_id: int, visitor_key: str) -> None:
    """A page load: counted once per visitor identity per 30 minutes, absorbed and flushed in
    batches by `realtime.counters` (never one database write per view)."""
    counters.record_view(ticket_id=ticket_id, visitor_key=visitor_key)


async def aticket_view(*, ticket_id: int, visitor_key: str) -> None:
    """`ticket_view` on the event loop: the stored page served before Django's handler."""
    await counters.arecord_view(ticket_id=ticket_id, visitor_key=visitor_key)


def ticket_add_views(*, increments: dict[int, int]) -> None:
    """Flush absorbed view counts: one UPDATE per ticket per flush."""
    with transaction.atomic():
        for ticket_id, n in sorted(increments.items()):
            if n > 0:
                Ticket.objects.filter(pk=ticket_id).update(views=F("views") + n)
