"""Announcements: moderators of an event post them (API), everyone reads them newest first,
hidden ones leave, every post is audited, and each one reaches the event page's socket and
every ticket socket of the event's tickets (one group per event), never other tickets."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from channels.db import database_sync_to_async
from channels.layers import channel_layers
from django.test import Client
from django.utils import timezone

from moderation import services as mod
from moderation.models import AuditEntry
from realtime import events
from tests.conftest import BOROUGH_POINT, CITY_POINT, actor_for
from tests.moderation.conftest import role_client
from tests.realtime.conftest import connect, recv, recv_until
from tests.support.loops import end_background_work

SQUARE = {
    "type": "Polygon",
    "coordinates": [
        [[-73.57, 45.49], [-73.53, 45.49], [-73.53, 45.52], [-73.57, 45.52], [-73.57, 45.49]]
    ],
}  # holds BOROUGH_POINT, not CITY_POINT


def declare(world: dict[str, Any], **fields: Any) -> Any:
    now = timezone.now()
    values: dict[str, Any] = {
        "name": "Storm",
        "slug": "storm",
        "starts_at": now - timedelta(hours=1),
        "ends_at": now + timedelta(hours=5),
        **fields,
    }
    return mod.emergency_create(actor=actor_for(world["admin"]), **values)


@pytest.mark.django_db
def test_post_list_hide_and_audit(world: dict[str, Any]) -> None:
    declare(world, jurisdiction="riverton")
    agent = role_client(world, "agent")
    first = agent.post(
        "/api/v1/events/storm/announcements/", {"body": "Shelters open"}, format="json"
    )
    assert first.status_code == 201, first.json()
    assert first.json()["body"] == "Shelters open" and first.json()["event"] == "storm"
    second = agent.post(
        "/api/v1/events/storm/announcements/", {"body": "Plough on Main"}, format="json"
    )
    listed = role_client(world, "anonymous").get("/api/v1/events/storm/announcements/").json()
    assert [a["body"] for a in listed] == ["Plough on Main", "Shelters open"]

    hide = role_client(world, "volunteer").post(
        f"/api/v1/announcements/{second.json()['id']}/hide/",
        {"reason": "wrong street"},
        format="json",
    )
    assert hide.status_code == 200
    listed = role_client(world, "anonymous").get("/api/v1/events/storm/announcements/").json()
    assert [a["body"] for a in listed] == ["Shelters open"]
    assert AuditEntry.objects.filter(action="announcement.create").count() == 2
    assert AuditEntry.objects.filter(action="announcement.hide").count() == 1


@pytest.mark.django_db
def test_who_may_announce_and_bad_input(world: dict[str, Any]) -> None:
    declare(world, jurisdiction="riverton")
    url = "/api/v1/events/storm/announcements/"
    for role in ("anonymous", "citizen", "borough-agent"):
        # the borough's agent does not moderate the whole city; 403 even with an empty body
        assert role_client(world, role).post(url, {}, format="json").status_code == 403, role
    blank = role_client(world, "admin").post(url, {"body": "  "}, format="json")
    assert blank.status_code == 400 and "body" in blank.json()
    long = role_client(world, "admin").post(url, {"body": "x" * 2001}, format="json")
    assert long.status_code == 400 and "body" in long.json()
    assert (
        role_client(world, "admin")
        .post("/api/v1/events/nope/announcements/", {"body": "hi"}, format="json")
        .status_code
        == 404
    )


@pytest.mark.django_db
def test_pages_show_announcements(world: dict[str, Any], make_ticket: Any) -> None:
    declare(world, area=SQUARE)
    ticket = make_ticket(**BOROUGH_POINT)
    other = make_ticket(service_code="snow", **CITY_POINT)
    mod.announcement_create(
        actor=actor_for(world["agent"]), event="storm", body="Stay home tonight"
    )
    event_page = Client().get("/events/storm/").content.decode()
    assert 'data-testid="announcement"' in event_page and "Stay home tonight" in event_page
    assert 'data-testid="announcement-form"' not in event_page  # not for the public
    moderator = Client()
    moderator.force_login(world["agent"])
    assert 'data-testid="announcement-form"' in moderator.get("/events/storm/").content.decode()
    ticket_page = Client().get(f"/tickets/{ticket.pk}/").content.decode()
    assert 'data-testid="event-announcement"' in ticket_page and "Stay home tonight" in ticket_page
    assert (
        'data-testid="event-announcement"'
        not in Client().get(f"/tickets/{other.pk}/").content.decode()
    )


# --- Live ----------------------------------------------------------------------------------


@pytest.fixture
def _fresh_layer() -> Any:
    channel_layers.backends.clear()
    yield
    channel_layers.backends.clear()


@pytest.mark.django_db(transaction=True)
async def test_an_announcement_reaches_event_and_ticket_sockets(
    world: dict[str, Any], make_ticket: Any, _fresh_layer: Any
) -> None:
    await database_sync_to_async(declare)(world, area=SQUARE)
    inside = await database_sync_to_async(make_ticket)(**BOROUGH_POINT)
    outside = await database_sync_to_async(make_ticket)(service_code="snow", **CITY_POINT)
    ticket_socket = await connect(f"/ws/tickets/{inside.pk}/")
    other_socket = await connect(f"/ws/tickets/{outside.pk}/")
    event_socket = await connect("/ws/feed/?event=storm")
    await recv(ticket_socket)  # hello
    await recv(other_socket)
    try:
        announcement = await database_sync_to_async(mod.announcement_create)(
            actor=actor_for(world["volunteer"]), event="storm", body="Warming centre at the library"
        )
        for socket in (ticket_socket, event_socket):
            got = await recv_until(socket, lambda m: m["type"] == "event.announcement", timeout=5)
            message = got[-1]
            events.validate(message)
            assert message["data"]["id"] == announcement.pk
            assert message["data"]["body"] == "Warming centre at the library"
            assert message["data"]["event"] == "storm"
            assert "seq" not in message  # not durable
        # A ticket outside the event gets counters at most, never the announcement.
        seen = []
        while not await other_socket.receive_nothing(timeout=0.5):
            seen.append((await recv(other_socket))["type"])
        assert "event.announcement" not in seen
    finally:
        for socket in (ticket_socket, other_socket, event_socket):
            await socket.disconnect()
        await end_background_work()


@pytest.mark.django_db
def test_the_event_feeds_carry_announcements(world: dict[str, Any], make_ticket: Any) -> None:
    declare(world, area=SQUARE)
    make_ticket(**BOROUGH_POINT)
    mod.announcement_create(actor=actor_for(world["agent"]), event="storm", body="Roads closed")
    for suffix in ("rss", "atom"):
        feed = Client().get(f"/feeds/events/storm.{suffix}").content.decode()
        assert "Roads closed" in feed and "Pothole on Harbour Street" in feed
