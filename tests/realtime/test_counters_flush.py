"""Absorbed views reach the database at most once per flush interval, however often the
flusher ticks (it ticks four times per interval for the counters messages); until the tickets
app hands over the database side (`register_flusher`), nothing is taken."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from realtime import counters

pytestmark = pytest.mark.django_db


def view_updates(queries: CaptureQueriesContext) -> int:
    return sum(
        1
        for q in queries.captured_queries
        if q["sql"].startswith("UPDATE") and '"views"' in q["sql"]
    )


def test_views_written_at_most_once_per_interval(make_ticket: Any) -> None:
    ticket = make_ticket()
    with CaptureQueriesContext(connection) as queries:
        for tick in range(8):
            for i in range(50):
                counters.record_view(ticket_id=ticket.pk, visitor_key=f"v{tick}-{i}")
            counters.flush(interval=60)
    assert view_updates(queries) == 1
    ticket.refresh_from_db()
    assert ticket.views + counters.pending_views(ticket.pk) == 400  # none lost


def test_nothing_taken_until_the_database_side_is_registered(
    make_ticket: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    ticket = make_ticket()
    monkeypatch.setattr(counters, "_write_views", None)
    monkeypatch.setattr(counters, "_read_counts", None)
    counters.record_view(ticket_id=ticket.pk, visitor_key="early")
    assert counters.flush(interval=0) == []
    assert counters.snapshot(ticket.pk) is None
    assert counters.pending_views(ticket.pk) == 1  # kept for the registered flusher
    monkeypatch.undo()
    [message] = counters.flush(interval=0)
    assert message["type"] == "ticket.counters" and message["data"]["views"] == 1
    assert counters.pending_views(ticket.pk) == 0
