"""The anonymous ticket page cache (tickets/pagecache.py, issue 14): what a visitor notices is
that nothing changed: views still count, hidden comments vanish at once, forms still post,
signed-in people still see their own page."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client, RequestFactory
from django.utils import timezone
from rest_framework.test import APIClient

from moderation import services as mod
from realtime import counters
from tests.conftest import actor_for
from tickets import services
from tickets.identity import read_anon_cookie
from tickets.models import Comment, Ticket

# Real commits: the cache is dropped when a write commits, as in production.
pytestmark = pytest.mark.django_db(transaction=True)

TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([A-Za-z0-9]+)"')


def views(ticket: Ticket) -> int:
    ticket.refresh_from_db()
    return ticket.views + counters.pending_views(ticket.pk)


def load(client: Client, ticket: Ticket, **headers: str) -> Any:
    response = client.get(f"/tickets/{ticket.pk}/", headers=headers)
    assert response.status_code == 200
    return response


def primed(ticket: Ticket) -> None:
    """Someone else's load has stored the page; the next anonymous load is a hit."""
    assert load(Client(), ticket)["X-Fixline-Cache"] == "miss"
    assert load(Client(), ticket)["X-Fixline-Cache"] == "hit"


def test_views_count_on_cached_hits(world: dict[str, Any], make_ticket: Any) -> None:
    ticket = make_ticket()
    primed(ticket)
    before = views(ticket)
    for _ in range(5):  # five neighbours without a cookie: five visitors
        assert load(Client(), ticket)["X-Fixline-Cache"] == "hit"
    assert views(ticket) == before + 5
    same = Client()
    load(same, ticket)
    assert load(same, ticket)["X-Fixline-Cache"] == "hit"  # the same cookie twice: one view
    assert views(ticket) == before + 6


def test_hidden_comment_is_never_served_from_the_cache(
    world: dict[str, Any], make_ticket: Any, agent_api: APIClient
) -> None:
    ticket = make_ticket()
    comment = services.comment_create(
        actor=actor_for(anon="a-neighbour-token-1"), ticket_id=ticket.pk, body="My phone: 555-0199"
    )
    primed(ticket)
    assert "555-0199" in load(Client(), ticket).content.decode()
    answer = agent_api.post(f"/api/v1/comments/{comment.pk}/hide/", {"reason": "personal info"})
    assert answer.status_code == 200, answer.content
    assert Comment.objects.get(pk=comment.pk).visibility == Comment.Visibility.HIDDEN
    response = load(Client(), ticket)  # at once, no waiting
    assert "555-0199" not in response.content.decode()
    assert response["X-Fixline-Cache"] == "miss"


def test_new_comment_and_status_are_in_the_next_load(
    world: dict[str, Any], make_ticket: Any, agent_api: APIClient
) -> None:
    ticket = make_ticket()
    primed(ticket)
    posted = APIClient().post(
        f"/api/v1/tickets/{ticket.pk}/comments/", {"body": "Still not ploughed at noon"}
    )
    assert posted.status_code == 201, posted.content
    assert "Still not ploughed at noon" in load(Client(), ticket).content.decode()
    moved = agent_api.post(f"/api/v1/tickets/{ticket.pk}/transitions/", {"action": "acknowledge"})
    assert moved.status_code == 200, moved.content
    assert 'data-status="acknowledged"' in load(Client(), ticket).content.decode()


def test_an_anonymous_visitor_posts_from_a_cached_page(
    world: dict[str, Any], make_ticket: Any
) -> None:
    ticket = make_ticket()
    primed(ticket)
    visitor = Client(enforce_csrf_checks=True)
    page = load(visitor, ticket)
    assert page["X-Fixline-Cache"] == "hit"
    tokens = set(TOKEN.findall(page.content.decode()))
    assert len(tokens) == 1  # the visitor's own token, in every form of the page
    other = set(TOKEN.findall(load(Client(), ticket).content.decode()))
    assert tokens != other  # never one visitor's token served to another
    posted = visitor.post(
        f"/tickets/{ticket.pk}/comment/",
        {"body": "Posted from a cached page", "csrfmiddlewaretoken": tokens.pop()},
    )
    assert posted.status_code in (302, 303), posted.status_code
    assert Comment.objects.filter(ticket=ticket, body="Posted from a cached page").exists()
    # From now on the page is theirs (their comment, their pressed buttons): never the cache.
    again = load(visitor, ticket)
    assert again["X-Fixline-Cache"] == "bypass"
    assert "Posted from a cached page" in again.content.decode()


def test_a_signed_in_person_never_gets_the_cached_page(
    world: dict[str, Any], make_ticket: Any
) -> None:
    ticket = make_ticket()
    primed(ticket)
    citizen = Client()
    citizen.force_login(world["outsider"])
    response = load(citizen, ticket)
    assert response["X-Fixline-Cache"] == "bypass"
    assert "outsider" in response.content.decode()  # their user menu


def test_a_returning_anonymous_reporter_sees_their_own_page(
    world: dict[str, Any], make_ticket: Any
) -> None:
    """A visitor whose identity wrote before (here: reacted) gets the view, not the cache."""
    ticket = make_ticket()
    primed(ticket)
    neighbour = Client()
    load(neighbour, ticket)
    cookie = neighbour.cookies["fx_anon"]
    raw = read_anon_cookie(RequestFactory().get("/", headers={"cookie": cookie.output(header="")}))
    assert raw is not None
    services.ticket_react(actor=actor_for(anon=raw), ticket_id=ticket.pk, kind="vote")
    del neighbour.cookies["fx_personal"]  # as a visitor from before the cookie existed
    page = load(neighbour, ticket)
    assert page["X-Fixline-Cache"] == "bypass"
    assert 'data-testid="vote-button" aria-pressed="true"' in page.content.decode()


def test_languages_are_cached_apart(world: dict[str, Any], make_ticket: Any) -> None:
    ticket = make_ticket()
    primed(ticket)
    french = load(Client(), ticket, accept_language="fr")
    assert french["X-Fixline-Cache"] == "miss"
    assert '<html lang="fr"' in french.content.decode()
    assert load(Client(), ticket, accept_language="fr")["X-Fixline-Cache"] == "hit"
    assert '<html lang="en"' in load(Client(), ticket).content.decode()


def test_an_announcement_and_its_hiding_are_in_the_next_load(
    world: dict[str, Any], make_ticket: Any
) -> None:
    # Issue 13: an announcement is not a ticket event, so its service forgets the stored pages
    # of the event's tickets itself.
    now = timezone.now()
    emergency = mod.emergency_create(
        actor=actor_for(world["admin"]),
        name="Storm",
        slug="storm",
        starts_at=now - timedelta(hours=1),
        ends_at=now + timedelta(hours=5),
    )
    ticket = make_ticket()
    Ticket.objects.filter(pk=ticket.pk).update(event=emergency)
    primed(ticket)
    made = mod.announcement_create(
        actor=actor_for(world["admin"]), event="storm", body="Stay home tonight"
    )
    page = load(Client(), ticket)
    assert page["X-Fixline-Cache"] == "miss" and "Stay home tonight" in page.content.decode()
    assert load(Client(), ticket)["X-Fixline-Cache"] == "hit"
    mod.announcement_set_hidden(
        actor=actor_for(world["admin"]), announcement_id=made.pk, hidden=True, reason="wrong"
    )
    assert "Stay home tonight" not in load(Client(), ticket).content.decode()
