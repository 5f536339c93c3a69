"""The storm banner (tickets/banner.py): every page says an emergency is on and links to it;
nothing without one; at most one cached read per page."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tickets import banner
from tickets.models import EmergencyEvent


def declare(**fields: Any) -> EmergencyEvent:
    defaults: dict[str, Any] = {
        "name": "Snowstorm Ada",
        "slug": "snowstorm-ada",
        "starts_at": timezone.now() - timedelta(hours=1),
    }
    return EmergencyEvent.objects.create(**{**defaults, **fields})


def test_every_page_shows_the_active_event(world: Any, make_ticket: Any) -> None:
    ticket = make_ticket()
    client = Client()
    assert 'data-testid="event-banner"' not in client.get("/").content.decode()
    event = declare()
    for url in ("/", ticket.get_absolute_url(), "/tickets/new/", "/alerts/"):
        html = client.get(url).content.decode()
        assert 'data-testid="event-banner"' in html, url
        assert 'href="/events/snowstorm-ada/" data-testid="event-banner-link"' in html, url
        assert 'href="/events/snowstorm-ada/" data-testid="event-nav-link"' in html, url
    # Ended: gone at once (saving the event clears the cache).
    event.ends_at = timezone.now() - timedelta(minutes=1)
    event.save()
    assert 'data-testid="event-banner"' not in client.get("/").content.decode()


def test_future_and_ended_events_show_nothing(world: Any) -> None:
    declare(slug="later", starts_at=timezone.now() + timedelta(hours=2))
    declare(slug="over", ends_at=timezone.now() - timedelta(hours=1))
    assert 'data-testid="event-banner"' not in Client().get("/tickets/new/").content.decode()
    # One that starts on schedule shows without anyone touching it.
    assert [e["slug"] for e in banner.active_events(timezone.now() + timedelta(hours=3))] == [
        "later"
    ]


def test_the_banner_costs_no_query_once_cached(world: Any, make_ticket: Any) -> None:
    declare()
    ticket = make_ticket()
    client = Client()
    client.get(ticket.get_absolute_url())  # warms the cache
    with CaptureQueriesContext(connection) as queries:
        html = client.get(ticket.get_absolute_url()).content.decode()
    assert 'data-testid="event-banner"' in html
    assert not [
        q
        for q in queries.captured_queries
        if q["sql"].split(" WHERE ")[0].endswith('FROM "tickets_emergencyevent"')
    ]
