"""The database side of `realtime.counters`, handed to it at start-up (`register`, called
from `TicketsConfig.ready`): absorbed views are added to the tickets' stored counts, and the
flusher reads the stored counters of the tickets it reports on. realtime itself imports no
model."""

from __future__ import annotations

from realtime import counters
from realtime.events import TicketCounters
from tickets import selectors, services


def write_views(increments: dict[int, int]) -> None:
    """Add absorbed views (ticket id -> views) to the tickets' stored counts."""
    services.ticket_add_views(increments=increments)


def read_counts(ticket_ids: list[int]) -> dict[int, TicketCounters]:
    """Stored counters of these tickets (`watching` at 0: realtime counts it); unknown ids
    left out."""
    return {
        ticket_id: {
            "views": c["views"],
            "followers": c["followers"],
            "votes": c["votes"],
            "thanks": c["thanks"],
            "watching": c["watching"],
        }
        for ticket_id, c in selectors.ticket_counters_many(ticket_ids).items()
    }


def register() -> None:
    counters.register_flusher(write_views=write_views, read_counts=read_counts)
