"""The ticket page (and its comment list in the API) costs the same number of queries with
1 comment as with 50: no query per comment, per author or per photo (docs/performance.md)."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from tests.conftest import actor_for
from tickets import services

pytestmark = pytest.mark.django_db


def add_comments(world: dict[str, Any], ticket: Any, n: int) -> None:
    authors = [
        actor_for(world["owner"]),
        actor_for(world["outsider"]),
        actor_for(world["agent"]),  # official answers
        actor_for(anon="anon-neighbour-1"),
        actor_for(anon="anon-neighbour-2", ip="203.0.113.9"),
    ]
    for i in range(n):
        cache.clear()  # rate limits live in the cache; this is about reading, not posting
        services.comment_create(
            actor=authors[i % len(authors)], ticket_id=ticket.pk, body=f"comment {i}"
        )


def clients(world: dict[str, Any]) -> dict[str, Client]:
    anonymous = Client()
    citizen = Client()
    citizen.force_login(world["owner"])
    agent = Client()
    agent.force_login(world["agent"])
    return {"anonymous": anonymous, "citizen": citizen, "agent": agent}


def count(client: Any, url: str) -> int:
    """Queries of a rendered page (the anonymous page cache emptied first)."""
    client.get(url)  # warm-up: sessions, identity cookie, caches
    cache.clear()
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, response.status_code
    return len(queries.captured_queries)


def test_ticket_page_queries_do_not_grow_with_comments(
    world: dict[str, Any], make_ticket: Any
) -> None:
    one, fifty = make_ticket(), make_ticket(title="Busy ticket")
    add_comments(world, one, 1)
    add_comments(world, fifty, 50)
    for who, client in clients(world).items():
        few = count(client, f"/tickets/{one.pk}/")
        many = count(client, f"/tickets/{fifty.pk}/")
        assert few == many, f"{who}: {few} queries with 1 comment, {many} with 50"


def test_comment_list_api_queries_do_not_grow_with_comments(
    world: dict[str, Any], make_ticket: Any
) -> None:
    one, fifty = make_ticket(), make_ticket(title="Busy ticket")
    add_comments(world, one, 1)
    add_comments(world, fifty, 50)
    agent = APIClient()
    agent.force_authenticate(world["agent"])
    for who, client in {"anonymous": APIClient(), "agent": agent}.items():
        few = count(client, f"/api/v1/tickets/{one.pk}/comments/")
        many = count(client, f"/api/v1/tickets/{fifty.pk}/comments/")
        assert few == many, f"{who}: {few} queries with 1 comment, {many} with 50"


def test_cached_anonymous_page_costs_no_query(world: dict[str, Any], make_ticket: Any) -> None:
    """A flash crowd on one ticket (issue 14): once rendered, the anonymous page is served
    from the cache without touching the database, for returning and new visitors alike."""
    ticket = make_ticket()
    add_comments(world, ticket, 20)
    url = f"/tickets/{ticket.pk}/"
    returning = Client()
    assert returning.get(url)["X-Fixline-Cache"] == "miss"
    for client in (returning, Client()):
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        assert response["X-Fixline-Cache"] == "hit"
        assert len(queries.captured_queries) == 0, [q["sql"] for q in queries.captured_queries]
