"""Live: a hide reaches open ticket sockets within a second; `/ws/moderation/` carries new
comments, flags, held items, offers (with contact) and every action; ticket sockets never
carry a contact."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from typing import Any

import pytest
from channels.db import database_sync_to_async
from channels.layers import channel_layers

from moderation import feed
from moderation import services as mod
from realtime.consumers import CLOSE_FORBIDDEN, CLOSE_UNAUTHENTICATED
from tests.conftest import actor_for
from tests.realtime.conftest import (
    connect,
    expect_close,
    open_socket,
    recv,
    recv_until,
)
from tickets import services

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("stop_background_tasks"),
]


@pytest.fixture(autouse=True)
def _fresh_layer() -> Any:
    """A new in-memory layer per test: its queues belong to the test's event loop."""
    channel_layers.backends.clear()
    yield
    channel_layers.backends.clear()


CONTACT = "socket-secret-contact@example.org"


async def recv_moderation(comm: Any, wanted: str, timeout: float = 3) -> dict[str, Any]:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        output = await comm.receive_output(max(0.05, deadline - loop.time()))
        message = json.loads(output["text"])
        feed.validate(message)
        if message["type"] == wanted:
            return message


@pytest.fixture
def ticket(make_ticket: Any) -> Any:
    return make_ticket()


async def test_hide_reaches_an_open_ticket_socket_within_a_second(
    world: dict[str, Any], ticket: Any
) -> None:
    comment = await database_sync_to_async(services.comment_create)(
        actor=actor_for(world["outsider"]), ticket_id=ticket.pk, body="nasty"
    )
    comm = await connect(f"/ws/tickets/{ticket.pk}/")
    await recv(comm)  # hello
    loop = asyncio.get_running_loop()
    started = loop.time()
    await database_sync_to_async(mod.comment_moderate)(
        actor=actor_for(world["volunteer"]), comment_id=comment.pk, action="hide", reason="abuse"
    )
    got = await recv_until(comm, lambda m: m["type"] == "comment.hidden", timeout=1)
    assert loop.time() - started < 1.0
    assert got[-1]["data"] == {"id": comment.pk}
    await comm.disconnect()


async def test_moderation_feed(world: dict[str, Any], ticket: Any) -> None:
    comm = await connect("/ws/moderation/", user=world["volunteer"])
    comment = await database_sync_to_async(services.comment_create)(
        actor=actor_for(anon="feed-author-cookie01"), ticket_id=ticket.pk, body="first!"
    )
    created = await recv_moderation(comm, "comment.created")
    assert created["data"]["id"] == comment.pk
    assert created["data"]["author_key"] == comment.author.public_key
    assert created["data"]["jurisdiction"] == "old-port"

    await database_sync_to_async(mod.flag_create)(
        actor=actor_for(world["owner"]), comment_id=comment.pk, reason="spam"
    )
    flagged = await recv_moderation(comm, "flag.created")
    assert flagged["data"]["comment"] == comment.pk and flagged["data"]["score"] == 1.0

    await database_sync_to_async(mod.comment_moderate)(
        actor=actor_for(world["agent"]), comment_id=comment.pk, action="hide", reason="spam"
    )
    action = await recv_moderation(comm, "moderation.action")
    assert action["data"]["action"] == "hide" and action["data"]["by"] == "agent"
    assert action["data"]["target"] == {"type": "comment", "id": comment.pk}
    assert action["data"]["reason"] == "spam"

    await database_sync_to_async(mod.offer_create)(
        actor=actor_for(anon="feed-helper-cookie01"),
        ticket_id=ticket.pk,
        message="I can help",
        contact=CONTACT,
    )
    offer = await recv_moderation(comm, "offer.created")
    assert offer["data"]["contact"] == CONTACT
    await comm.disconnect()


async def test_held_comment_goes_to_moderators(world: dict[str, Any], make_ticket: Any) -> None:
    await database_sync_to_async(mod.emergency_create)(
        actor=actor_for(world["agent"]),
        name="Storm",
        slug="storm",
        starts_at=datetime(2020, 1, 1, tzinfo=UTC),
        premoderate_anonymous=True,
    )
    ticket = await database_sync_to_async(make_ticket)(event="storm")
    comm = await connect("/ws/moderation/", user=world["agent"])
    comment = await database_sync_to_async(services.comment_create)(
        actor=actor_for(anon="held-feed-cookie-001"), ticket_id=ticket.pk, body="to review"
    )
    assert comment.visibility == "held"
    held = await recv_moderation(comm, "comment.held")
    assert held["data"]["id"] == comment.pk and held["data"]["visibility"] == "held"
    await comm.disconnect()


async def test_ticket_socket_offer_events_carry_no_contact(
    world: dict[str, Any], ticket: Any
) -> None:
    comm = await connect(f"/ws/tickets/{ticket.pk}/")
    await recv(comm)
    offer = await database_sync_to_async(mod.offer_create)(
        actor=actor_for(anon="ticket-helper-cookie"),
        ticket_id=ticket.pk,
        message="I have salt",
        contact=CONTACT,
    )
    await database_sync_to_async(mod.offer_review)(
        actor=actor_for(world["volunteer"]), offer_id=offer.pk, decision="accept"
    )
    got = await recv_until(
        comm, lambda m: m["type"] == "offer.updated" and m["data"]["status"] == "accepted"
    )
    for message in got:
        assert CONTACT not in json.dumps(message)
        assert "I have salt" not in json.dumps(message)
    await comm.disconnect()


@pytest.mark.parametrize("who", ["anonymous", "outsider"])
async def test_moderation_socket_refuses_others(world: dict[str, Any], who: str) -> None:
    user = None if who == "anonymous" else world[who]
    comm = await open_socket("/ws/moderation/", user=user)
    connected, _ = await comm.connect(timeout=5)
    assert connected
    code = await expect_close(comm)
    assert code == (CLOSE_UNAUTHENTICATED if user is None else CLOSE_FORBIDDEN)


async def test_agents_watch_only_their_jurisdictions(
    world: dict[str, Any], make_ticket: Any
) -> None:
    """The borough agent sees the borough's comments, not the university's; the city agent
    (a parent jurisdiction) and a trusted volunteer see both."""
    from tests.conftest import UNIVERSITY_POINT

    borough_ticket = await database_sync_to_async(make_ticket)()
    campus_ticket = await database_sync_to_async(make_ticket)(
        service_code="campus-access", **UNIVERSITY_POINT
    )
    borough = await connect("/ws/moderation/", user=world["borough-agent"])
    city = await connect("/ws/moderation/", user=world["agent"])
    volunteer = await connect("/ws/moderation/", user=world["volunteer"])
    on_campus = await database_sync_to_async(services.comment_create)(
        actor=actor_for(anon="campus-commenter-0001"), ticket_id=campus_ticket.pk, body="campus"
    )
    in_borough = await database_sync_to_async(services.comment_create)(
        actor=actor_for(anon="borough-commenter-001"), ticket_id=borough_ticket.pk, body="borough"
    )
    for comm in (city, volunteer):
        first = await recv_moderation(comm, "comment.created")
        second = await recv_moderation(comm, "comment.created")
        assert [first["data"]["id"], second["data"]["id"]] == [on_campus.pk, in_borough.pk]
    seen = await recv_moderation(borough, "comment.created")
    assert seen["data"]["id"] == in_borough.pk  # the campus comment never reached it
    for comm in (borough, city, volunteer):
        await comm.disconnect()
