"""Emergency events (pre-moderation, slow mode) and volunteer offers (states, public view)."""

from __future__ import annotations

from typing import Any

from moderation.models import AuditEntry, Offer
from tests.conftest import BOROUGH_POINT, client_for
from tests.moderation.conftest import anon_client
from tickets.models import Comment, TicketEvent

AREA = {
    "type": "Polygon",
    "coordinates": [[[-73.6, 45.4], [-73.5, 45.4], [-73.5, 45.6], [-73.6, 45.6], [-73.6, 45.4]]],
}


def _declare(world: dict[str, Any], **extra: Any) -> Any:
    body = {
        "name": "Snowstorm",
        "slug": "snowstorm",
        "starts_at": "2020-01-01T00:00:00Z",
        "premoderate_anonymous": True,
        "slow_mode_seconds": 0,
        **extra,
    }
    return client_for(world["agent"]).post("/api/v1/events/", body, format="json")


def _ticket_in_event(client: Any, slug: str = "snowstorm") -> int:
    answer = client.post(
        "/api/v1/tickets/",
        {"title": "Street not ploughed", "service_code": "snow", "event": slug, **BOROUGH_POINT},
        format="json",
    )
    assert answer.status_code == 201, answer.content
    assert answer.json()["event"] == slug
    return answer.json()["id"]


def test_declare_event_and_join(world: dict[str, Any]) -> None:
    answer = _declare(world, area=AREA, ends_at="2099-01-01T00:00:00Z")
    assert answer.status_code == 201, answer.content
    assert answer.json()["active"] is True and answer.json()["area"] == AREA
    assert _declare(world).status_code == 409
    assert _declare(world, slug="bad slug!").status_code == 400
    assert _declare(world, slug="x", area={"type": "Point"}).status_code == 400
    assert _declare(world, slug="y", ends_at="2019-01-01T00:00:00Z").status_code == 400
    ticket_id = _ticket_in_event(client_for(world["owner"]))
    listed = client_for(world["owner"]).get("/api/v1/tickets/?event=snowstorm").json()
    assert ticket_id in [t["id"] for t in listed["results"]]
    page = client_for(world["owner"]).get("/events/snowstorm/")
    assert page.status_code == 200
    assert b"Street not ploughed" in page.content and b"/ws/feed/?event=snowstorm" in page.content
    assert client_for(world["owner"]).get("/events/nothing/").status_code == 404


def test_premoderated_comment_is_held_and_visible_to_its_author_only(
    world: dict[str, Any],
) -> None:
    _declare(world)
    ticket_id = _ticket_in_event(client_for(world["owner"]))
    author = anon_client("held-author-cookie-01", ip="192.0.2.31")
    posted = author.post(
        f"/api/v1/tickets/{ticket_id}/comments/", {"body": "Is anyone coming?"}, format="json"
    )
    assert posted.status_code == 202
    comment_id = posted.json()["id"]
    url = f"/api/v1/tickets/{ticket_id}/comments/"
    mine = {c["id"]: c for c in author.get(url).json()}
    assert mine[comment_id]["visibility"] == "held"
    for other in (anon_client("other-cookie-0000001", ip="192.0.2.32"), client_for(world["owner"])):
        assert comment_id not in [c["id"] for c in other.get(url).json()]
    assert not TicketEvent.objects.filter(
        ticket_id=ticket_id, type__startswith="comment.", data__id=comment_id
    ).exists()
    # An account's comment is not held.
    assert (
        client_for(world["outsider"]).post(url, {"body": "me too"}, format="json").status_code
        == 201
    )
    # A moderator approves it: now public, with its comment.created event.
    approve = client_for(world["volunteer"]).post(
        f"/api/v1/moderation/items/{comment_id}/approve/", {"reason": "fine"}, format="json"
    )
    assert approve.status_code == 200
    assert comment_id in [c["id"] for c in client_for(world["owner"]).get(url).json()]
    assert TicketEvent.objects.filter(
        ticket_id=ticket_id, type="comment.created", data__id=comment_id
    ).exists()


def test_slow_mode(world: dict[str, Any]) -> None:
    _declare(world, premoderate_anonymous=False, slow_mode_seconds=60)
    ticket_id = _ticket_in_event(client_for(world["owner"]))
    client = client_for(world["outsider"])
    url = f"/api/v1/tickets/{ticket_id}/comments/"
    assert client.post(url, {"body": "one"}, format="json").status_code == 201
    assert client.post(url, {"body": "two"}, format="json").status_code == 429


def _offer(client: Any, ticket_id: int, contact: str = "555-0199") -> Any:
    return client.post(
        f"/api/v1/tickets/{ticket_id}/offers/",
        {
            "message": "I can shovel the stairs",
            "skills": "shovel",
            "availability": "evenings",
            "area": "Harbour St",
            "contact": contact,
        },
        format="json",
    )


def test_offer_lifecycle(world: dict[str, Any], borough_ticket: Any) -> None:
    helper = anon_client("helper-cookie-000001", ip="192.0.2.40")
    created = _offer(helper, borough_ticket.pk)
    assert created.status_code == 201, created.content
    offer_id = created.json()["id"]
    assert created.json()["contact"] == "555-0199"  # its author sees their own offer
    public_url = f"/api/v1/tickets/{borough_ticket.pk}/offers/"
    assert client_for(world["owner"]).get(public_url).json() == []  # pending: not shown yet

    volunteer = client_for(world["volunteer"])
    review = f"/api/v1/offers/{offer_id}/review/"
    assert volunteer.post(review, {"decision": "complete"}, format="json").status_code == 409
    accepted = volunteer.post(review, {"decision": "accept", "note": "thanks"}, format="json")
    assert accepted.status_code == 200 and accepted.json()["status"] == "accepted"
    shown = client_for(world["owner"]).get(public_url).json()
    assert shown == [
        {
            "id": offer_id,
            "status": "accepted",
            "author": "A neighbour is helping",
            "created_at": shown[0]["created_at"],
        }
    ]
    assert volunteer.post(review, {"decision": "accept"}, format="json").status_code == 409
    done = volunteer.post(review, {"decision": "complete"}, format="json")
    assert done.json()["status"] == "completed"
    assert volunteer.post(review, {"decision": "bogus"}, format="json").status_code == 400
    log = TicketEvent.objects.filter(ticket=borough_ticket, type__startswith="offer.")
    assert [(e.type, e.data["status"]) for e in log] == [
        ("offer.created", "pending"),
        ("offer.updated", "accepted"),
        ("offer.updated", "completed"),
    ]
    actions = AuditEntry.objects.filter(target_type="offer", target_id=str(offer_id))
    assert sorted(actions.values_list("action", flat=True)) == [
        "offer.accept",
        "offer.complete",
        "offer.create",
    ]


def test_offer_withdraw_by_its_author_only(world: dict[str, Any], borough_ticket: Any) -> None:
    helper = anon_client("helper-cookie-000002", ip="192.0.2.41")
    offer_id = _offer(helper, borough_ticket.pk).json()["id"]
    url = f"/api/v1/offers/{offer_id}/withdraw/"
    assert client_for(world["owner"]).post(url, {}, format="json").status_code == 403
    assert helper.post(url, {"reason": "found someone"}, format="json").status_code == 200
    assert Offer.objects.get(pk=offer_id).status == "withdrawn"
    assert helper.post(url, {}, format="json").status_code == 409


def test_offer_held_by_event_premoderation(world: dict[str, Any]) -> None:
    _declare(world)
    ticket_id = _ticket_in_event(client_for(world["owner"]))
    held = _offer(anon_client("helper-cookie-000003", ip="192.0.2.42"), ticket_id)
    assert held.status_code == 202
    offer_id = held.json()["id"]
    assert not TicketEvent.objects.filter(ticket_id=ticket_id, type__startswith="offer.").exists()
    assert client_for(world["owner"]).get(f"/api/v1/offers/{offer_id}/").status_code == 404
    client_for(world["agent"]).post(
        f"/api/v1/offers/{offer_id}/review/", {"decision": "accept"}, format="json"
    )
    log = TicketEvent.objects.filter(ticket_id=ticket_id, type__startswith="offer.")
    assert [(e.type, e.data["status"]) for e in log] == [("offer.created", "accepted")]
    assert client_for(world["owner"]).get(f"/api/v1/offers/{offer_id}/").status_code == 200
    # An account is not held.
    assert _offer(client_for(world["outsider"]), ticket_id).status_code == 201


def test_offer_on_an_event(world: dict[str, Any]) -> None:
    _declare(world, premoderate_anonymous=False)
    answer = client_for(world["outsider"]).post(
        "/api/v1/events/snowstorm/offers/",
        {"message": "4x4 available", "contact": "555-0123"},
        format="json",
    )
    assert answer.status_code == 201 and answer.json()["event"] == "snowstorm"
    review = client_for(world["borough-agent"]).post(
        f"/api/v1/offers/{answer.json()['id']}/review/", {"decision": "accept"}, format="json"
    )
    assert review.status_code == 200


def test_offer_validation(world: dict[str, Any], borough_ticket: Any) -> None:
    client = client_for(world["owner"])
    url = f"/api/v1/tickets/{borough_ticket.pk}/offers/"
    assert client.post(url, {"message": "hi"}, format="json").status_code == 400
    assert client.post(url, {"contact": "x"}, format="json").status_code == 400
    assert _offer(client, 999999).status_code == 404


def test_held_comment_rejected_stays_hidden(world: dict[str, Any]) -> None:
    _declare(world)
    ticket_id = _ticket_in_event(client_for(world["owner"]))
    posted = anon_client("reject-me-cookie-001", ip="192.0.2.50").post(
        f"/api/v1/tickets/{ticket_id}/comments/", {"body": "spam link"}, format="json"
    )
    comment_id = posted.json()["id"]
    agent = client_for(world["agent"])
    url = f"/api/v1/moderation/items/{comment_id}/reject/"
    assert agent.post(url, {"reason": "spam"}, format="json").status_code == 200
    assert agent.post(url, {"reason": "spam"}, format="json").status_code == 409
    assert Comment.objects.get(pk=comment_id).visibility == "hidden"


def test_ticket_page_offers_help_and_shows_accepted_offers_without_identity(
    world: Any, make_ticket: Any
) -> None:
    from django.test import Client

    from tickets.models import Ticket

    ticket = make_ticket()
    neighbour = Client()
    neighbour.get(f"/tickets/{ticket.pk}/")  # gets the identity cookie
    answer = neighbour.post(
        f"/tickets/{ticket.pk}/offer/",
        {"message": "I have a snow blower", "contact": "+1 555 0142", "availability": "evenings"},
    )
    assert answer.status_code == 303
    from moderation.models import Offer

    offer = Offer.objects.get(ticket=ticket)
    assert offer.status == "pending"
    page = Client().get(f"/tickets/{ticket.pk}/").content.decode()
    assert 'data-testid="offer-form"' in page and 'data-testid="offers-helping"' not in page
    from moderation import services as moderation_services
    from tests.conftest import actor_for

    moderation_services.offer_review(
        actor=actor_for(world["agent"]), offer_id=offer.pk, decision="accept", note="thanks"
    )
    page = Client().get(f"/tickets/{ticket.pk}/").content.decode()
    assert "A neighbour is helping." in page
    assert "555 0142" not in page and "snow blower" not in page
    assert Ticket.objects.filter(pk=ticket.pk).exists()


def test_offer_form_with_missing_contact_says_so(world: Any, make_ticket: Any) -> None:
    from django.test import Client

    ticket = make_ticket()
    client = Client()
    answer = client.post(f"/tickets/{ticket.pk}/offer/", {"message": "I can help"}, follow=True)
    assert answer.status_code == 200
    assert "required" in answer.content.decode().lower()
