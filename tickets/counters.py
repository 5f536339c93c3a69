"""The database side of `realtime.counters`, handed to it at start-up (`register`, called
from `TicketsConfig.ready`): absorbed views are added to the tickets' stored counts, and the
flusher reads the stored counters of the tickets it reports on. realtime itself imports no
model."""

from __future__ import annotations

from realtime import counters
from tickets import selectors, services


def write_views(increments: dict[int, int]) -> None:
    """Add absorbed views (ticket id -> views) to the tickets' stored counts."""
    services.ticket_add_views(increments=increments)


def read_counts(ticket_ids: list[int]) -> dict[int, dict[str, int]]:
    """Stored counters (views, followers, votes, thanks) of these tickets; unknown ids left
    out."""
    return selectors.ticket_counters_many(ticket_ids)


def register() -> None:
    counters.register_flusher(write_views=write_views, read_counts=read_counts)
