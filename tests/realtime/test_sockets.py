"""The WebSocket protocol, rule by rule, through the real ASGI application."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async
from django.db import transaction
from django.utils import timezone

from realtime import counters, events, publish
from realtime.consumers import (
    CLOSE_FORBIDDEN,
    CLOSE_NOT_FOUND,
    CLOSE_TOO_BIG,
    CLOSE_UNAUTHENTICATED,
)
from tests.conftest import CITY_POINT, actor_for
from tests.realtime.conftest import (
    comment,
    connect,
    expect_close,
    nothing_more,
    open_socket,
    recv,
    recv_until,
)
from tickets import selectors, services
from tickets.models import Comment, Ticket

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("stop_background_tasks"),
]


@pytest.fixture
def ticket(make_ticket: Any) -> Ticket:
    return make_ticket()


@pytest.fixture
def agent(world: dict[str, Any]) -> Any:
    return actor_for(world["agent"])


async def test_hello_then_live(ticket: Ticket, agent: Any) -> None:
    comm = await connect(f"/ws/tickets/{ticket.pk}/")
    hello = await recv(comm)
    assert hello["type"] == "hello" and hello["ticket"] == ticket.pk
    assert hello["seq"] == 1  # ticket.created
    assert hello["data"]["watching"] == 1
    assert set(hello["data"]) == {"views", "followers", "votes", "thanks", "watching"}
    await comment(agent, ticket.pk, "On our list.")
    live = await recv_until(comm, lambda m: m["type"] == "comment.created")
    created = live[-1]
    assert created["seq"] == 2 and created["data"]["body"] == "On our list."
    assert created["data"]["official"] is True
    await comm.disconnect()


async def test_replay_since(ticket: Ticket, agent: Any) -> None:
    for n in range(3):
        await comment(agent, ticket.pk, f"note {n}")
    comm = await connect(f"/ws/tickets/{ticket.pk}/?since=0")
    hello = await recv(comm)
    assert hello["seq"] == 4
    replay = [await recv(comm) for _ in range(4)]
    assert [m["seq"] for m in replay] == [1, 2, 3, 4]
    assert replay[0]["type"] == "ticket.created"
    assert [m["data"]["body"] for m in replay[1:]] == ["note 0", "note 1", "note 2"]
    await nothing_more(comm)
    await comm.disconnect()

    comm = await connect(f"/ws/tickets/{ticket.pk}/?since=3")
    await recv(comm)
    assert (await recv(comm))["seq"] == 4
    await nothing_more(comm)
    await comm.disconnect()


async def test_replay_pages_through_long_logs(ticket: Ticket) -> None:
    def append(n: int) -> None:
        with transaction.atomic():
            locked = services._lock_ticket(ticket.pk)
            for _ in range(n):
                services._append_event(
                    locked, events.TICKET_UPDATED, {"changed": []}, at=timezone.now()
                )

    await database_sync_to_async(append)(selectors.EVENTS_PAGE_MAX + 20)
    comm = await connect(f"/ws/tickets/{ticket.pk}/?since=0")
    hello = await recv(comm)
    total = selectors.EVENTS_PAGE_MAX + 21
    assert hello["seq"] == total
    seqs = [(await recv(comm))["seq"] for _ in range(total)]
    assert seqs == list(range(1, total + 1))
    await nothing_more(comm)
    await comm.disconnect()


async def test_no_gap_and_no_duplicate_at_the_seam(ticket: Ticket, agent: Any) -> None:
    """Comments keep arriving while sockets connect and replay: each socket sees every seq
    exactly once, in order."""
    total = 12

    async def writer() -> None:
        for n in range(total):
            await comment(agent, ticket.pk, f"busy {n}")
            await asyncio.sleep(0.01)

    task = asyncio.create_task(writer())
    sockets = []
    for _ in range(4):
        sockets.append(await connect(f"/ws/tickets/{ticket.pk}/?since=0"))
        await asyncio.sleep(0.02)
    await task
    for comm in sockets:
        got = await recv_until(comm, lambda m: m.get("seq") == total + 1)
        seqs = [m["seq"] for m in got if m["type"] != "hello" and m["type"] != "ticket.counters"]
        assert seqs == list(range(1, total + 2))
        await comm.disconnect()


async def test_live_gap_is_filled_from_the_log(
    ticket: Ticket, agent: Any, monkeypatch: Any
) -> None:
    """A live event lost on the way (a layer hiccup) is read back from the log as soon as a
    later one shows the gap."""
    comm = await connect(f"/ws/tickets/{ticket.pk}/")
    await recv(comm)
    real = publish.publish_on_commit
    monkeypatch.setattr(publish, "publish_on_commit", lambda *a, **k: None)
    await comment(agent, ticket.pk, "lost in transit")
    monkeypatch.setattr(publish, "publish_on_commit", real)
    await comment(agent, ticket.pk, "arrives")
    got = await recv_until(comm, lambda m: m.get("seq") == 3)
    durable = [m for m in got if "seq" in m]
    assert [m["seq"] for m in durable] == [2, 3]
    assert durable[0]["data"]["body"] == "lost in transit"
    await comm.disconnect()


async def test_reconnect_receives_exactly_what_was_missed(ticket: Ticket, agent: Any) -> None:
    comm = await connect(f"/ws/tickets/{ticket.pk}/?since=0")
    got = await recv_until(comm, lambda m: m.get("seq") == 1)
    last = got[-1]["seq"]
    await comm.disconnect()
    for n in range(5):
        await comment(agent, ticket.pk, f"while away {n}")
    comm = await connect(f"/ws/tickets/{ticket.pk}/?since={last}")
    hello = await recv(comm)
    assert hello["seq"] == last + 5
    missed = [await recv(comm) for _ in range(5)]
    assert [m["seq"] for m in missed] == list(range(last + 1, last + 6))
    assert [m["data"]["body"] for m in missed] == [f"while away {n}" for n in range(5)]
    await nothing_more(comm)
    await comm.disconnect()


async def test_since_beyond_latest_still_gets_live(ticket: Ticket, agent: Any) -> None:
    comm = await connect(f"/ws/tickets/{ticket.pk}/?since=999")
    assert (await recv(comm))["seq"] == 1
    await comment(agent, ticket.pk, "hello")
    got = await recv_until(comm, lambda m: m["type"] == "comment.created")
    assert got[-1]["seq"] == 2
    await comm.disconnect()


async def test_bad_since_is_an_error(ticket: Ticket) -> None:
    comm = await connect(f"/ws/tickets/{ticket.pk}/?since=abc")
    message = await recv(comm)
    assert message["type"] == "error" and message["data"]["code"] == "bad_since"
    assert await expect_close(comm) == 4400


async def test_unknown_ticket_closes_4404(world: Any) -> None:
    comm = await open_socket("/ws/tickets/987654/")
    connected, _ = await comm.connect()
    assert connected
    assert await expect_close(comm) == CLOSE_NOT_FOUND


async def test_unknown_path_closes_4404(world: Any) -> None:
    comm = await open_socket("/ws/nowhere/")
    connected, _ = await comm.connect()
    assert await expect_close(comm) == CLOSE_NOT_FOUND


async def test_status_change_and_hidden_and_restored(ticket: Ticket, agent: Any) -> None:
    comm = await connect(f"/ws/tickets/{ticket.pk}/")
    await recv(comm)
    await database_sync_to_async(services.ticket_transition)(
        actor=agent, ticket_id=ticket.pk, action="acknowledge", note="Crew booked."
    )
    changed = (await recv_until(comm, lambda m: m["type"] == "ticket.status_changed"))[-1]
    assert changed["data"]["from"] == "open" and changed["data"]["to"] == "acknowledged"
    posted = await comment(agent, ticket.pk, "secret-ish")
    await recv_until(comm, lambda m: m["type"] == "comment.created")
    await database_sync_to_async(services.comment_set_visibility)(
        comment_id=posted.pk, visibility=Comment.Visibility.HIDDEN, reason="test"
    )
    hidden = (await recv_until(comm, lambda m: m["type"] == "comment.hidden"))[-1]
    assert hidden["data"] == {"id": posted.pk}  # no text
    await database_sync_to_async(services.comment_set_visibility)(
        comment_id=posted.pk, visibility=Comment.Visibility.VISIBLE, reason="test"
    )
    restored = (await recv_until(comm, lambda m: m["type"] == "comment.restored"))[-1]
    assert restored["data"]["id"] == posted.pk
    assert restored["seq"] == hidden["seq"] + 1
    await comm.disconnect()


async def test_ping_pong_and_bad_frames_never_disturb_others(ticket: Ticket, agent: Any) -> None:
    bystander = await connect(f"/ws/tickets/{ticket.pk}/")
    await recv(bystander)
    rude = await connect(f"/ws/tickets/{ticket.pk}/")
    await recv(rude)

    await rude.send_to(text_data=json.dumps({"type": "ping"}))
    assert (await recv_until(rude, lambda m: m["type"] != "ticket.counters"))[-1]["type"] == "pong"
    for frame, code in [
        ("{not json", "bad_json"),
        ("[1, 2]", "bad_json"),
        (json.dumps({"type": "subscribe", "ticket": 1}), "unknown_type"),
    ]:
        await rude.send_to(text_data=frame)
        error = (await recv_until(rude, lambda m: m["type"] != "ticket.counters"))[-1]
        assert error["type"] == "error" and error["data"]["code"] == code
    await rude.send_to(bytes_data=b"\x00\x01")
    error = (await recv_until(rude, lambda m: m["type"] != "ticket.counters"))[-1]
    assert error["data"]["code"] == "binary_unsupported"

    await rude.send_to(text_data="x" * 100_000)
    got = []
    while True:
        output = await rude.receive_output(3)
        if output["type"] == "websocket.close":
            assert output["code"] == CLOSE_TOO_BIG
            break
        got.append(json.loads(output["text"]))
    assert got[-1]["type"] == "error" and got[-1]["data"]["code"] == "frame_too_large"

    await comment(agent, ticket.pk, "still here")
    message = (await recv_until(bystander, lambda m: m["type"] == "comment.created"))[-1]
    assert message["data"]["body"] == "still here"
    await bystander.disconnect()


async def test_foreign_origin_is_refused(ticket: Ticket) -> None:
    comm = await open_socket(f"/ws/tickets/{ticket.pk}/", origin=b"http://evil.example")
    connected, _ = await comm.connect()
    assert not connected
    comm = await open_socket(f"/ws/tickets/{ticket.pk}/", origin=None)
    connected, _ = await comm.connect()
    assert not connected


async def test_watching_counts_sockets(ticket: Ticket) -> None:
    first = await connect(f"/ws/tickets/{ticket.pk}/")
    assert (await recv(first))["data"]["watching"] == 1
    second = await connect(f"/ws/tickets/{ticket.pk}/")
    assert (await recv(second))["data"]["watching"] == 2
    counts = (await recv_until(first, lambda m: m["type"] == "ticket.counters"))[-1]
    assert counts["data"]["watching"] == 2
    await second.disconnect()
    counts = (
        await recv_until(
            first, lambda m: m["type"] == "ticket.counters" and m["data"]["watching"] == 1
        )
    )[-1]
    assert await sync_to_async(counters.watching)(ticket.pk) == 1
    await first.disconnect()
    assert await sync_to_async(counters.watching)(ticket.pk) == 0


async def test_counters_coalesced_and_views_flushed_in_batches(
    ticket: Ticket, monkeypatch: Any
) -> None:
    writes = []
    real_add = services.ticket_add_views

    def spy(*, increments: dict[int, int]) -> None:
        writes.append(dict(increments))
        real_add(increments=increments)

    monkeypatch.setattr(services, "ticket_add_views", spy)
    comm = await connect(f"/ws/tickets/{ticket.pk}/")
    await recv(comm)
    loop = asyncio.get_running_loop()
    started = loop.time()
    views = 0
    while loop.time() - started < 2.5:
        for _ in range(10):
            await sync_to_async(counters.record_view)(ticket_id=ticket.pk, visitor_key=f"v{views}")
            views += 1
        await asyncio.sleep(0.05)
    got = []
    deadline = loop.time() + 3
    while loop.time() < deadline:
        if await comm.receive_nothing(timeout=0.1):
            if got and got[-1]["data"]["views"] == views:
                break
            continue
        got.append(await recv(comm))
    elapsed = loop.time() - started
    assert all(m["type"] == "ticket.counters" for m in got)
    assert got[-1]["data"]["views"] == views
    # ≤ 1 a second (plus the one that may open the first second)
    assert len(got) <= int(elapsed) + 2, (len(got), elapsed)
    # Batches, never one write per view.
    assert len(writes) <= int(elapsed * 4) + 2 and sum(sum(w.values()) for w in writes) == views
    await comm.disconnect()
    fresh = await database_sync_to_async(Ticket.objects.get)(pk=ticket.pk)
    assert fresh.views == views


async def test_view_dedup_per_identity(ticket: Ticket) -> None:
    assert await sync_to_async(counters.record_view)(ticket_id=ticket.pk, visitor_key="same")
    assert not await sync_to_async(counters.record_view)(ticket_id=ticket.pk, visitor_key="same")


async def test_feed_scopes(world: dict[str, Any], make_ticket: Any, agent: Any) -> None:
    everything = await connect("/ws/feed/")
    borough = await connect(f"/ws/feed/?jurisdiction={world['old_port'].slug}")
    city = await connect(f"/ws/feed/?jurisdiction={world['city'].slug}")
    university = await connect(f"/ws/feed/?jurisdiction={world['university'].slug}")
    ticket = await database_sync_to_async(make_ticket)()
    for comm in (everything, borough, city):
        created = await recv(comm)
        assert created["type"] == "ticket.created" and created["ticket"] == ticket.pk
    await nothing_more(university, 0.2)
    await database_sync_to_async(services.ticket_transition)(
        actor=agent, ticket_id=ticket.pk, action="acknowledge", note=""
    )
    for comm in (everything, borough, city):
        assert (await recv(comm))["type"] == "ticket.status_changed"
    await comment(agent, ticket.pk, "comments stay off the feed")
    for comm in (everything, borough, city, university):
        await nothing_more(comm, 0.2)
        await comm.disconnect()


async def test_feed_both_scopes_deliver_once(world: dict[str, Any], make_ticket: Any) -> None:
    from tickets.models import EmergencyEvent

    event = await database_sync_to_async(EmergencyEvent.objects.create)(
        name="Ice storm", slug="ice-storm", starts_at=timezone.now()
    )
    comm = await connect(f"/ws/feed/?jurisdiction={world['city'].slug}&event={event.slug}")
    await database_sync_to_async(make_ticket)(event=event.slug, **CITY_POINT)
    created = await recv(comm)
    assert created["type"] == "ticket.created"
    await nothing_more(comm, 0.3)
    await comm.disconnect()


async def test_feed_unknown_or_bad_scope(world: Any) -> None:
    comm = await connect("/ws/feed/?jurisdiction=atlantis")
    assert await expect_close(comm) == CLOSE_NOT_FOUND
    comm = await connect("/ws/feed/?event=%3Cscript%3E")
    assert await expect_close(comm) == 4400


async def test_moderation_refused_for_anonymous_and_citizens(world: dict[str, Any]) -> None:
    comm = await connect("/ws/moderation/")
    assert await expect_close(comm) == CLOSE_UNAUTHENTICATED
    comm = await connect("/ws/moderation/", user=world["citizen"])
    assert await expect_close(comm) == CLOSE_FORBIDDEN


async def test_moderation_accepts_moderators(world: dict[str, Any]) -> None:
    sockets = [
        await connect("/ws/moderation/", user=world[name])
        for name in ("agent", "volunteer", "admin")
    ]
    message = events.envelope(
        type=events.COMMENT_HIDDEN, ticket=1, seq=3, data={"id": 9}, at=timezone.now()
    )
    # A message tied to no jurisdiction reaches every moderator.
    await sync_to_async(publish.send_to_groups)(publish.moderation_groups_for(None), message)
    for comm in sockets:
        assert (await recv(comm))["data"] == {"id": 9}
        await comm.disconnect()


async def test_notifications_bell_is_routed(world: dict[str, Any]) -> None:
    comm = await connect("/ws/notifications/")
    assert await expect_close(comm) == CLOSE_UNAUTHENTICATED
    comm = await connect("/ws/notifications/", user=world["citizen"])
    hello = json.loads((await comm.receive_output(3))["text"])
    assert hello["type"] == "hello"
    await comm.disconnect()
