"""Ticket takedown (tickets/services/takedown.py): a moderator hides a ticket with a reason; it
leaves every public surface (home and its map, API lists, feeds, exports, the widget, the event
page, similar reports) and its page is a 404 for the public; its reporter and moderators still
see it, marked; its log never serves its text again; restore brings it all back."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from tests.conftest import BOROUGH_POINT, CITY_POINT, actor_for, client_for
from tickets import services
from tickets.errors import Conflict, InvalidInput, NotAllowed
from tickets.models import EmergencyEvent, Ticket, TicketEvent

pytestmark = pytest.mark.django_db

TITLE = "Call Bob at 555-0142 about the pothole"
DESCRIPTION = "His number again: 555-0142, evenings."
NEEDLE = "555-0142"


@pytest.fixture
def emergency(world: dict[str, Any]) -> EmergencyEvent:
    now = timezone.now()
    return EmergencyEvent.objects.create(
        name="Ice storm", slug="ice-storm", starts_at=now - timedelta(hours=1)
    )


@pytest.fixture
def ticket(make_ticket: Any, emergency: EmergencyEvent) -> Ticket:
    return make_ticket(title=TITLE, description=DESCRIPTION, event="ice-storm")


def hide(world: dict[str, Any], ticket: Ticket, who: str = "agent") -> Any:
    return client_for(world[who]).post(
        f"/api/v1/tickets/{ticket.pk}/hide/", {"reason": "phone number"}, format="json"
    )


def restore(world: dict[str, Any], ticket: Ticket, who: str = "agent") -> Any:
    return client_for(world[who]).post(
        f"/api/v1/tickets/{ticket.pk}/restore/", {"reason": "cleaned up"}, format="json"
    )


# --- Who may, and bad input ------------------------------------------------------------------


def test_moderators_of_the_ticket_hide_and_restore(world: dict[str, Any], ticket: Ticket) -> None:
    for who in ("agent", "borough-agent", "volunteer", "admin"):
        hidden = hide(world, ticket, who)
        assert hidden.status_code == 200, (who, hidden.content)
        assert hidden.json()["visibility"] == "hidden"
        assert restore(world, ticket, who).json()["visibility"] == "visible"
    types = list(
        TicketEvent.objects.filter(ticket=ticket, type__in=["ticket.hidden", "ticket.restored"])
        .order_by("seq")
        .values_list("type", "data")
    )
    assert types[:2] == [
        ("ticket.hidden", {"id": ticket.pk, "visibility": "hidden"}),
        ("ticket.restored", {"id": ticket.pk, "visibility": "visible"}),
    ]
    assert len(types) == 8


def test_everyone_else_gets_403_before_anything_else(world: dict[str, Any], ticket: Ticket) -> None:
    for client in (client_for(world["outsider"]), client_for(world["owner"]), Client()):
        for path in (f"/api/v1/tickets/{ticket.pk}/hide/", "/api/v1/tickets/999999/hide/"):
            answer = client.post(path, {}, content_type="application/json")
            assert answer.status_code == 403, answer.content  # not 400, not 404
    city = services.ticket_create(
        actor=actor_for(world["owner"]), title="Dark", service_code="streetlight", **CITY_POINT
    )
    # An agent of the borough does not moderate the city's own tickets.
    assert hide(world, city, "borough-agent").status_code == 403
    ticket.refresh_from_db()
    assert ticket.visibility == "visible"


def test_bad_input_names_the_field(world: dict[str, Any], ticket: Ticket) -> None:
    agent = client_for(world["agent"])
    url = f"/api/v1/tickets/{ticket.pk}/hide/"
    for body in ({}, {"reason": ""}, {"reason": "   "}, {"reason": "x" * 1001}, {"reason": []}):
        answer = agent.post(url, body, format="json")
        assert answer.status_code == 400, body
        assert "reason" in answer.json(), answer.json()
    assert agent.post(url, [1], format="json").status_code == 400
    with pytest.raises(InvalidInput) as error:
        services.ticket_set_visibility(
            actor=actor_for(world["agent"]), ticket_id=ticket.pk, visibility="gone", reason="r"
        )
    assert error.value.field == "visibility"


def test_twice_is_409(world: dict[str, Any], ticket: Ticket) -> None:
    assert hide(world, ticket).status_code == 200
    assert hide(world, ticket, "volunteer").status_code == 409
    assert restore(world, ticket).status_code == 200
    assert restore(world, ticket).status_code == 409
    with pytest.raises(Conflict):
        services.ticket_set_visibility(
            actor=actor_for(world["admin"]), ticket_id=ticket.pk, visibility="visible", reason="r"
        )
    with pytest.raises(NotAllowed):
        services.ticket_set_visibility(
            actor=actor_for(world["owner"]), ticket_id=ticket.pk, visibility="hidden", reason="r"
        )


# --- Every public surface --------------------------------------------------------------------

Surface = Callable[[Ticket], bytes]


def _get(url: str, **params: Any) -> bytes:
    answer = Client().get(url, params)
    assert answer.status_code == 200, (url, answer.status_code)
    body = b"".join(answer.streaming_content) if answer.streaming else answer.content
    return bytes(body)


SURFACES: dict[str, Surface] = {
    "home page and its map": lambda t: _get("/"),
    "home page filtered": lambda t: _get("/", jurisdiction="old-port"),
    "API list": lambda t: _get("/api/v1/tickets/"),
    "API list searched": lambda t: _get("/api/v1/tickets/", q="pothole"),
    "jurisdiction RSS": lambda t: _get("/feeds/jurisdictions/riverton.rss"),
    "jurisdiction Atom": lambda t: _get("/feeds/jurisdictions/old-port.atom"),
    "event RSS": lambda t: _get("/feeds/events/ice-storm.rss"),
    "area Atom": lambda t: _get("/feeds/area.atom", bbox="-73.6,45.5,-73.5,45.51"),
    "CSV export": lambda t: _get("/api/v1/exports/tickets.csv"),
    "GeoJSON export": lambda t: _get("/api/v1/exports/tickets.geojson"),
    "widget": lambda t: _get("/embed/", jurisdiction="old-port"),
    "event page": lambda t: _get("/events/ice-storm/"),
    "similar reports": lambda t: _get(
        "/api/v1/tickets/similar/", service_code="snow", lat=t.lat, long=t.long
    ),
}


@pytest.mark.parametrize("surface", sorted(SURFACES))
def test_a_hidden_ticket_leaves_every_public_surface_and_restore_brings_it_back(
    world: dict[str, Any], ticket: Ticket, surface: str
) -> None:
    read = SURFACES[surface]
    assert NEEDLE.encode() in read(ticket) or f"/tickets/{ticket.pk}/".encode() in read(ticket)
    assert hide(world, ticket).status_code == 200
    after = read(ticket)
    assert NEEDLE.encode() not in after
    assert f"/tickets/{ticket.pk}/".encode() not in after
    assert restore(world, ticket).status_code == 200
    assert NEEDLE.encode() in read(ticket) or f"/tickets/{ticket.pk}/".encode() in read(ticket)


def test_its_own_page_api_feed_and_log_are_404_for_the_public(
    world: dict[str, Any], ticket: Ticket
) -> None:
    urls = [
        f"/tickets/{ticket.pk}/",
        f"/tickets/{ticket.pk}/actions/",
        f"/api/v1/tickets/{ticket.pk}/",
        f"/api/v1/tickets/{ticket.pk}/events/",
        f"/api/v1/tickets/{ticket.pk}/comments/",
        f"/feeds/tickets/{ticket.pk}.rss",
    ]
    for url in urls:
        assert Client().get(url).status_code == 200, url
    hide(world, ticket)
    for client in (Client(), client_for(world["outsider"])):
        for url in urls:
            answer = client.get(url)
            assert answer.status_code == 404, (url, answer.status_code)
            assert NEEDLE.encode() not in answer.content
    moderator = client_for(world["borough-agent"])
    for url in urls[2:5]:  # the API; a feed has no viewer, so it is a 404 for everyone
        assert moderator.get(url).status_code == 200, url
    # Nor can the public write on it.
    answer = client_for(world["outsider"]).post(f"/api/v1/tickets/{ticket.pk}/vote/", format="json")
    assert answer.status_code == 404
    restore(world, ticket)
    for url in urls:
        assert Client().get(url).status_code == 200, url


def test_its_reporter_and_moderators_still_see_it_marked(
    world: dict[str, Any], ticket: Ticket
) -> None:
    hide(world, ticket)
    for who in ("owner", "agent", "volunteer", "admin"):
        answer = client_for(world[who]).get(f"/api/v1/tickets/{ticket.pk}/")
        assert answer.status_code == 200, who
        assert answer.json()["visibility"] == "hidden" and answer.json()["title"] == TITLE
    for who in ("owner", "agent"):
        page = Client()
        page.force_login(world[who])
        html = page.get(f"/tickets/{ticket.pk}/").content.decode()
        assert TITLE in html and "This ticket is taken down" in html
        french = page.get(f"/tickets/{ticket.pk}/", HTTP_ACCEPT_LANGUAGE="fr").content.decode()
        assert "Ce signalement est retiré" in french
    mine = Client()
    mine.force_login(world["owner"])
    assert TITLE in mine.get("/me/reports/").content.decode()
    # The reporter may still comment on it; nobody else hears of it.
    answer = client_for(world["owner"]).post(
        f"/api/v1/tickets/{ticket.pk}/comments/", {"body": "I removed it"}, format="json"
    )
    assert answer.status_code == 201


def test_an_anonymous_reporter_keeps_seeing_it(
    world: dict[str, Any], make_ticket: Any, emergency: EmergencyEvent
) -> None:
    from tests.moderation.conftest import anon_client

    reporter = anon_client("reporter-cookie-token-1", ip="203.0.113.50")
    filed = reporter.post(
        "/api/v1/tickets/", {"title": TITLE, "service_code": "snow", **BOROUGH_POINT}, format="json"
    )
    assert filed.status_code == 201
    ticket = Ticket.objects.get(pk=filed.json()["id"])
    hide(world, ticket)
    assert reporter.get(f"/api/v1/tickets/{ticket.pk}/").json()["visibility"] == "hidden"
    neighbour = anon_client("neighbour-cookie-tok-2", ip="203.0.113.50")
    assert neighbour.get(f"/api/v1/tickets/{ticket.pk}/").status_code == 404


def test_the_log_never_serves_its_text_again(world: dict[str, Any], ticket: Ticket) -> None:
    agent = client_for(world["agent"])
    agent.patch(
        f"/api/v1/tickets/{ticket.pk}/",
        {"description": f"{DESCRIPTION} (edited)"},
        format="json",
    )
    agent.post(
        f"/api/v1/tickets/{ticket.pk}/transitions/", {"action": "acknowledge"}, format="json"
    )
    url = f"/api/v1/tickets/{ticket.pk}/events/?since=0"
    before = agent.get(url).content
    assert NEEDLE.encode() in before
    hide(world, ticket)
    for who in ("agent", "owner", "admin"):
        answer = client_for(world[who]).get(url)
        assert answer.status_code == 200
        assert NEEDLE.encode() not in answer.content
        envelopes = answer.json()
        assert [e["seq"] for e in envelopes] == list(range(1, len(envelopes) + 1))  # gapless
        assert envelopes[0] == {
            "type": "ticket.hidden",
            "ticket": ticket.pk,
            "seq": 1,
            "at": envelopes[0]["at"],
            "data": {"id": ticket.pk, "visibility": "hidden"},
        }
    restore(world, ticket)
    assert NEEDLE.encode() in Client().get(url).content
    assert json.loads(Client().get(url).content)[0]["type"] == "ticket.created"


def test_the_public_cannot_write_on_it_through_the_pages_either(
    world: dict[str, Any], ticket: Ticket
) -> None:
    hide(world, ticket)
    page = Client()
    page.force_login(world["outsider"])
    for url, data in (
        (f"/tickets/{ticket.pk}/react/", {"kind": "vote"}),
        (f"/tickets/{ticket.pk}/comment/", {"body": "What was it?"}),
        (f"/tickets/{ticket.pk}/transition/", {"action": "reopen", "note": "x"}),
    ):
        assert page.post(url, data).status_code == 404, url
    ticket.refresh_from_db()
    assert ticket.votes == 0 and not ticket.comments.exists()
    reporter = Client()
    reporter.force_login(world["owner"])
    assert reporter.post(f"/tickets/{ticket.pk}/comment/", {"body": "Fixed it"}).status_code == 303
