"""The page cache under a crowd (tickets/pagecache.py): many visitors arriving together on a
page with no current copy, or on one whose seconds are up, get it rendered once. Before, 32
visitors on an expired page rendered it 32 times at once (the flash-crowd bench's 1 s p99 and
timeouts, docs/performance.md)."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client

from tests.conftest import actor_for
from tickets import pagecache, services
from tickets.models import Ticket

pytestmark = pytest.mark.django_db(transaction=True)

CROWD = 8


def crowd(ticket: Ticket) -> list[str]:
    """CROWD cookie-less visitors load the page at the same moment: their X-Fixline-Cache."""
    start = threading.Barrier(CROWD)
    seen: list[str] = []

    def visit() -> None:
        try:
            start.wait()
            response = Client().get(f"/tickets/{ticket.pk}/")
            assert response.status_code == 200
            assert b"Heavy snow" in response.content
            seen.append(response["X-Fixline-Cache"])
        finally:
            connection.close()

    threads = [threading.Thread(target=visit) for _ in range(CROWD)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(seen) == CROWD, "a visitor got no page"
    return sorted(seen)


@pytest.fixture
def busy_ticket(world: dict[str, Any], make_ticket: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    # However slow the machine, the crowd waits for the one render instead of rendering too.
    monkeypatch.setattr(pagecache, "RENDER_WAIT", 60.0)
    ticket = make_ticket(description="Heavy snow")
    for i in range(30):  # a page that takes a while to render
        services.comment_create(actor=actor_for(world["agent"]), ticket_id=ticket.pk, body=f"#{i}")
    return ticket


def test_a_crowd_on_a_page_with_no_copy_renders_it_once(busy_ticket: Ticket) -> None:
    assert crowd(busy_ticket) == ["hit"] * (CROWD - 1) + ["miss"]
    # A comment makes the stored copy unservable: the next crowd renders it once again.
    services.comment_create(
        actor=actor_for(anon="late-neighbour-0001"), ticket_id=busy_ticket.pk, body="More"
    )
    assert crowd(busy_ticket) == ["hit"] * (CROWD - 1) + ["miss"]


def test_a_crowd_on_a_page_past_its_seconds_is_served_while_one_renders(
    busy_ticket: Ticket,
) -> None:
    assert Client().get(f"/tickets/{busy_ticket.pk}/")["X-Fixline-Cache"] == "miss"
    keys = [k for k in cache._cache if ":page:" in k and ":gen:" not in k]  # type: ignore[attr-defined]
    assert len(keys) == 1, keys
    page_key = keys[0].split(":", 2)[-1]  # locmem stores ":<version>:<key>"
    entry = cache.get(page_key)
    cache.set(page_key, {**entry, "fresh_until": 0.0}, timeout=60)  # its seconds are up
    # One visitor renders it again; the others are served the stored copy meanwhile, which is
    # of the current generation (nothing an event announced is missing from it).
    assert crowd(busy_ticket) == ["hit"] * (CROWD - 1) + ["miss"]
    assert cache.get(page_key)["fresh_until"] > 0  # fresh again
