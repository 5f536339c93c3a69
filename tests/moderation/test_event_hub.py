"""Issue 13: the event page is the hub. It lists the event's offers of help (what is offered
and its state, never the contact, message or author; moderators also see the pending ones,
with the console's link) and its activity feed (new tickets, status changes, announcements,
accepted offers; never a taken-down ticket or a hidden announcement), newest first, and an
offer that changes reaches the event page's socket as `event.offer` (public data only)."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from channels.db import database_sync_to_async
from channels.layers import channel_layers
from django.test import Client
from django.utils import timezone

from moderation import services as mod
from moderation.models import Offer
from realtime import events, publish
from tests.conftest import BOROUGH_POINT, actor_for
from tests.realtime.conftest import connect, recv_until
from tests.support.loops import end_background_work
from tickets import services as ticket_services

CONTACT = "+1 555 0199 reach.me@example.net"
MESSAGE = "I live two doors down and can come after 5"


def storm(world: dict[str, Any]) -> Any:
    now = timezone.now()
    return mod.emergency_create(
        actor=actor_for(world["admin"]),
        name="Storm",
        slug="storm",
        starts_at=now - timedelta(hours=1),
        ends_at=now + timedelta(hours=5),
    )


def offer(ticket: Any, who: Any, skills: str = "Snow blower") -> Offer:
    return mod.offer_create(
        actor=actor_for(who),
        ticket_id=ticket.pk,
        message=MESSAGE,
        contact=CONTACT,
        skills=skills,
        availability="evenings",
    )


def page(client: Client) -> str:
    answer = client.get("/events/storm/")
    assert answer.status_code == 200
    return answer.content.decode()


def section(html: str, testid: str) -> str:
    match = re.search(rf'data-testid="{testid}".*?</(ul|ol)>', html, re.S)
    assert match, testid
    return match.group(0)


@pytest.mark.django_db
def test_offers_are_listed_publicly_without_contact_and_pending_ones_for_moderators(
    world: dict[str, Any], make_ticket: Any
) -> None:
    storm(world)
    ticket = make_ticket(title="Drift on Harbour", event="storm", **BOROUGH_POINT)
    accepted = offer(ticket, world["citizen"], skills="Snow blower")
    mod.offer_review(actor=actor_for(world["agent"]), offer_id=accepted.pk, decision="accept")
    pending = offer(ticket, world["outsider"], skills="Shovel and salt")
    declined = offer(ticket, world["owner"], skills="Tractor")
    mod.offer_review(actor=actor_for(world["agent"]), offer_id=declined.pk, decision="decline")

    public = page(Client())
    offers = section(public, "event-offer-list")
    assert f'data-offer-id="{accepted.pk}"' in offers
    assert "Snow blower" in offers and "A neighbour is helping" in offers
    assert f"#{ticket.pk} Drift on Harbour" in offers
    for unseen in ("Shovel and salt", "Tractor", f'data-offer-id="{pending.pk}"'):
        assert unseen not in offers
    assert "event-offer-review" not in public
    for private in ("555 0199", "reach.me", MESSAGE, "evenings"):
        assert private not in public

    moderator = Client()
    moderator.force_login(world["agent"])
    html = page(moderator)
    offers = section(html, "event-offer-list")
    assert f'data-offer-id="{pending.pk}"' in offers and "Shovel and salt" in offers
    assert "Awaiting review" in offers
    assert 'href="/moderation/#offers-queue-title"' in offers
    assert "Tractor" not in offers
    assert "555 0199" not in html and "reach.me" not in html

    french = Client(HTTP_ACCEPT_LANGUAGE="fr")
    offers = section(page(french), "event-offer-list")
    assert "Un voisin ou une voisine aide" in offers and "A neighbour" not in offers


@pytest.mark.django_db
def test_the_activity_feed_has_tickets_changes_announcements_and_accepted_offers(
    world: dict[str, Any], make_ticket: Any
) -> None:
    storm(world)
    first = make_ticket(title="Drift on Harbour", event="storm", **BOROUGH_POINT)
    ticket_services.ticket_transition(
        actor=actor_for(world["agent"]), ticket_id=first.pk, action="acknowledge"
    )
    mod.announcement_create(actor=actor_for(world["agent"]), event="storm", body="Salt trucks out")
    hidden_note = mod.announcement_create(
        actor=actor_for(world["agent"]), event="storm", body="Wrong street, sorry"
    )
    mod.announcement_set_hidden(
        actor=actor_for(world["agent"]), announcement_id=hidden_note.pk, hidden=True, reason="x"
    )
    helping = offer(first, world["citizen"])
    mod.offer_review(actor=actor_for(world["agent"]), offer_id=helping.pk, decision="accept")
    taken_down = make_ticket(title="Rude words here", event="storm", **BOROUGH_POINT)
    ticket_services.ticket_set_visibility(
        actor=actor_for(world["admin"]),
        ticket_id=taken_down.pk,
        visibility="hidden",
        reason="abuse",
    )

    feed = section(page(Client()), "event-activity")
    kinds = re.findall(r'data-kind="(\w+)"', feed)
    assert kinds == ["accepted", "announcement", "status", "ticket"], kinds  # newest first
    assert "Rude words" not in feed and f'data-ticket-id="{taken_down.pk}"' not in feed
    assert "Salt trucks out" in feed and "Status: Acknowledged" in feed
    assert "Offer of help accepted" in feed and "Snow blower" in feed
    assert "Wrong street" not in feed
    for private in ("555 0199", "reach.me", MESSAGE):
        assert private not in feed
    french = section(page(Client(HTTP_ACCEPT_LANGUAGE="fr")), "event-activity")
    assert "Statut : Pris en charge" in french and "Offre d'aide acceptée" in french
    assert "Status:" not in french and "Offer of help" not in french


@pytest.fixture
def _fresh_layer() -> Any:
    channel_layers.backends.clear()
    yield
    channel_layers.backends.clear()


@pytest.mark.django_db(transaction=True)
async def test_an_accepted_offer_reaches_the_event_page_socket_without_its_contact(
    world: dict[str, Any], make_ticket: Any, _fresh_layer: Any
) -> None:
    await database_sync_to_async(storm)(world)
    ticket = await database_sync_to_async(make_ticket)(
        title="Drift on Harbour", event="storm", **BOROUGH_POINT
    )
    socket = await connect("/ws/feed/?event=storm")
    try:
        made = await database_sync_to_async(offer)(ticket, world["citizen"])
        got = await recv_until(socket, lambda m: m["type"] == "event.offer", timeout=5)
        pending = got[-1]
        events.validate(pending)
        assert pending["data"] == {
            "id": made.pk,
            "event": "storm",
            "status": "pending",
            "ticket": ticket.pk,
            "at": pending["data"]["at"],
        }  # unreviewed: that it exists, nothing of what it says
        await database_sync_to_async(mod.offer_review)(
            actor=actor_for(world["agent"]), offer_id=made.pk, decision="accept"
        )
        got = await recv_until(socket, lambda m: m["type"] == "event.offer", timeout=5)
        accepted = got[-1]
        events.validate(accepted)
        assert accepted["data"]["status"] == "accepted"
        assert accepted["data"]["skills"] == "Snow blower"
        assert accepted["data"]["ticket_title"] == "Drift on Harbour"
        assert accepted["data"]["ticket_url"] == f"/tickets/{ticket.pk}/"
        text = str(got)
        for private in ("555 0199", "reach.me", MESSAGE, "evenings"):
            assert private not in text
    finally:
        await socket.disconnect()
        await end_background_work()


@pytest.mark.django_db
def test_a_held_offer_says_nothing_to_the_event_socket(
    world: dict[str, Any], make_ticket: Any, django_capture_on_commit_callbacks: Any
) -> None:
    """Held (a pre-moderated event, a person without an account): nothing public until a
    moderator accepts it."""
    storm(world)
    mod.emergency_update(actor=actor_for(world["admin"]), slug="storm", premoderate_anonymous=True)
    ticket = make_ticket(title="Drift on Harbour", event="storm", **BOROUGH_POINT)
    sent: list[dict[str, Any]] = []

    original = publish.send_to_groups
    try:
        publish.send_to_groups = lambda groups, message: sent.append(message)  # type: ignore[assignment]
        with django_capture_on_commit_callbacks(execute=True):
            held = mod.offer_create(
                actor=actor_for(anon="n" * 20),
                ticket_id=ticket.pk,
                message=MESSAGE,
                contact=CONTACT,
            )
        assert held.held
        assert not [m for m in sent if m["type"] == "event.offer"]
        with django_capture_on_commit_callbacks(execute=True):
            mod.offer_review(actor=actor_for(world["agent"]), offer_id=held.pk, decision="accept")
        [told] = [m for m in sent if m["type"] == "event.offer"]
        assert told["data"]["status"] == "accepted" and "contact" not in told["data"]
    finally:
        publish.send_to_groups = original  # type: ignore[assignment]
