"""Internal notes (and the rest of casework) never leave the staff: the same crawl as the PII
scan (tests/security/test_pii.py) over every public page, API answer, feed, export and
Open311 reply, as anonymous and as signed-in people who are not staff of the ticket; the
socket's replay; and live, a public socket and a volunteer's moderation socket get nothing
of a note while a staff socket on the same ticket gets it."""

from __future__ import annotations

import json
from typing import Any

import pytest
from channels.db import database_sync_to_async
from channels.layers import channel_layers
from django.contrib.auth import get_user_model
from django.test import Client

from realtime import events
from tests.conftest import BOROUGH_POINT, CITY_POINT, actor_for
from tests.realtime.conftest import connect, recv_until
from tests.security.conftest import route_exists
from tests.security.test_pii import PUBLIC_URLS, _body, _crawl
from tests.support.loops import end_background_work
from tickets import services

NOTE = "Zanzibar-internal-note-7731 call the tree contractor"
LIVE_NOTE = "Quokka-live-note-4417 do not tell the public"


@pytest.fixture
def casework(world: dict[str, Any]) -> dict[str, Any]:
    agent = actor_for(world["agent"])
    ticket = services.ticket_create(
        actor=actor_for(world["owner"]), title="Fallen tree", service_code="fallen-tree",
        **BOROUGH_POINT,
    )  # fmt: skip
    services.comment_create(actor=actor_for(world["outsider"]), ticket_id=ticket.pk, body="+1")
    services.note_create(actor=agent, ticket_id=ticket.pk, body=NOTE)
    services.ticket_assign(actor=agent, ticket_id=ticket.pk, assignee="borough-agent")
    services.ticket_edit(actor=agent, ticket_id=ticket.pk, priority="urgent")
    # A second ticket, rerouted to the city itself, with a note of its own.
    moved = services.ticket_create(
        actor=actor_for(world["owner"]), title="Snow", service_code="snow", **BOROUGH_POINT
    )
    services.note_create(actor=agent, ticket_id=moved.pk, body=NOTE)
    services.ticket_edit(actor=agent, ticket_id=moved.pk, **CITY_POINT)
    return {"ticket": ticket.pk, "open311_ticket": moved.pk}


def _viewers(world: dict[str, Any]) -> dict[str, Client]:
    campus, _ = get_user_model().objects.get_or_create(username="campus-agent")
    world["university"].agents.add(campus)
    viewers = {"anonymous": Client()}
    for name in ("owner", "outsider", "volunteer"):
        viewers[name] = Client()
        viewers[name].force_login(world[name])
    viewers["agent of another place"] = Client()
    viewers["agent of another place"].force_login(campus)
    return viewers


@pytest.mark.timeout(400)  # five viewers crawl; the machine is shared
def test_a_note_is_on_no_public_surface(world: dict[str, Any], casework: dict[str, Any]) -> None:
    staff = Client()
    staff.force_login(world["agent"])
    # The crawl would find it if it were there: staff do see it on the ticket page.
    assert NOTE.split()[0] in staff.get(f"/tickets/{casework['ticket']}/").content.decode()
    for who, client in _viewers(world).items():
        # The whole crawl as anonymous; signed-in people, the pages around the tickets.
        pages = _crawl(client, "/", depth=2 if who == "anonymous" else 0)
        for ticket_id in (casework["ticket"], casework["open311_ticket"]):
            pages.update(_crawl(client, f"/tickets/{ticket_id}/", depth=1))
        assert len(pages) >= 6, (who, list(pages))
        checked = 0
        for pattern in PUBLIC_URLS:
            url = pattern.format(**casework)
            if route_exists(url.split("?")[0]):
                pages[url] = _body(client.get(url))
                checked += 1
        assert checked >= 15
        for url, text in pages.items():
            assert NOTE.split()[0] not in text, f"{who} sees the note at {url}"
            assert "casework-panel" not in text, f"{who} sees the casework panel at {url}"
        for path in ("notes/", ""):
            answer = client.get(f"/api/v1/tickets/{casework['ticket']}/{path}")
            assert NOTE.split()[0] not in answer.content.decode(), (who, path)
            assert "assignee" not in answer.content.decode(), (who, path)


@pytest.fixture
async def _clean_sockets() -> Any:
    channel_layers.backends.clear()
    yield
    await end_background_work()
    channel_layers.backends.clear()


async def _all_texts(comm: Any, wait: float = 0.5) -> list[str]:
    texts = []
    while not await comm.receive_nothing(timeout=wait):
        output = await comm.receive_output(timeout=1)
        if output["type"] == "websocket.send":
            texts.append(output["text"])
    return texts


@pytest.mark.django_db(transaction=True)
async def test_a_note_reaches_staff_sockets_only(
    world: dict[str, Any], _clean_sockets: Any
) -> None:
    ticket = await database_sync_to_async(services.ticket_create)(
        actor=actor_for(world["owner"]), title="Tree", service_code="snow", **BOROUGH_POINT
    )
    await database_sync_to_async(services.note_create)(
        actor=actor_for(world["agent"]), ticket_id=ticket.pk, body=NOTE
    )
    path = f"/ws/tickets/{ticket.pk}/?since=0"
    public = await connect(path)
    owner = await connect(path, user=world["owner"])
    volunteer_feed = await connect("/ws/moderation/", user=world["volunteer"])
    staff = await connect(path, user=world["agent"])
    staff_feed = await connect("/ws/moderation/", user=world["borough-agent"])
    replayed = await _all_texts(public) + await _all_texts(owner)
    assert any('"ticket.created"' in text for text in replayed)  # the replay did run
    await _all_texts(staff)

    await database_sync_to_async(services.note_create)(
        actor=actor_for(world["agent"]), ticket_id=ticket.pk, body=LIVE_NOTE
    )
    await database_sync_to_async(services.ticket_assign)(
        actor=actor_for(world["agent"]), ticket_id=ticket.pk, assignee="borough-agent"
    )
    got = await recv_until(staff, lambda m: m["type"] == events.TICKET_ASSIGNED, timeout=5)
    notes = [m for m in got if m["type"] == events.NOTE_CREATED]
    assert notes and notes[0]["data"]["body"] == LIVE_NOTE and "seq" not in notes[0]
    dashboard = []
    while len(dashboard) < 2:
        message = json.loads((await staff_feed.receive_output(timeout=5))["text"])
        if message["type"] in events.STAFF_TYPES:
            dashboard.append(message["type"])
    assert dashboard == [events.NOTE_CREATED, events.TICKET_ASSIGNED]

    for comm in (public, owner, volunteer_feed):
        for text in await _all_texts(comm):
            message = json.loads(text)
            assert message["type"] not in events.STAFF_TYPES, text
            assert "Quokka" not in text and "Zanzibar" not in text, text
    # A reconnect with since=0 replays the public log: still nothing of casework.
    again = await connect(path)
    for text in await _all_texts(again):
        assert "Quokka" not in text and "Zanzibar" not in text and "assign" not in text
    for comm in (public, owner, volunteer_feed, staff, staff_feed, again):
        await comm.disconnect()
