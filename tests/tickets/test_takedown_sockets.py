"""Takedown on real sockets (a real daphne serving the demo site): an open public copy of the
ticket gets `ticket.hidden` and then nothing (it is closed); a new public socket is refused;
its reporter's socket keeps following it; the public feed hears `ticket.hidden` without any
text and nothing about the ticket afterwards; restore brings it all back."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from typing import Any

import pytest
import websockets
from django.http import HttpResponse
from django.test import override_settings

from tests.realtime.processes import Daphne, demo_env, demo_server, http, token
from tickets.identity import COOKIE_SALT

# The module starts a freshly seeded demo site (migrate + seed_demo), slow on a busy machine.
pytestmark = [pytest.mark.processes, pytest.mark.timeout(300)]

KEY = "takedown-sockets-test-secret-key-0123456789abcdef"
COOKIE = "fx_anon"
TITLE = "Call Bob at 555-0142"
POINT = {"lat": 45.5432, "long": -73.6123}  # in the demo city


@pytest.fixture(scope="module")
def server() -> Iterator[Daphne]:
    yield from demo_server(demo_env(prefix="fixline-takedown-", SECRET_KEY=KEY))


def reporter_cookie() -> str:
    """The anonymous reporter's browser cookie, signed as the server mints it (Django's
    current salting: the old rule's cookies are only accepted as a fallback)."""
    with override_settings(SECRET_KEY=KEY):
        minted = HttpResponse()
        minted.set_signed_cookie(COOKIE, "takedown-reporter-browser-1", salt=COOKIE_SALT)
    return f"{COOKIE}={minted.cookies[COOKIE].value}"


async def receive(ws: Any, predicate: Any, timeout: float = 5) -> dict[str, Any]:
    from realtime import events

    async with asyncio.timeout(timeout):
        while True:
            message = json.loads(await ws.recv())
            events.validate(message)
            if predicate(message):
                return message


async def closed_with(ws: Any, timeout: float = 5) -> tuple[int, list[dict[str, Any]]]:
    """Read until the server closes the socket: its close code and what came before."""
    seen = []
    async with asyncio.timeout(timeout):
        try:
            while True:
                seen.append(json.loads(await ws.recv()))
        except websockets.ConnectionClosed as closed:
            assert closed.rcvd is not None
            return closed.rcvd.code, seen


async def quiet(ws: Any, seconds: float = 1.5) -> list[dict[str, Any]]:
    """What arrives within a while (a generous bound: nothing should)."""
    seen = []
    try:
        async with asyncio.timeout(seconds):
            while True:
                seen.append(json.loads(await ws.recv()))
    except TimeoutError:
        pass
    return seen


def call(server: Daphne, path: str, body: Any, headers: dict[str, str]) -> Any:
    status, answer = http("POST", f"{server.url}{path}", body, headers=headers)
    assert status in (200, 201), (path, status, answer)
    return answer


async def test_open_public_copies_get_ticket_hidden_and_nothing_after(server: Daphne) -> None:
    reporter = {"Cookie": reporter_cookie()}
    agent = {"Authorization": f"Token {token(server.url, 'agent', 'demo-agent')}"}
    filed = await asyncio.to_thread(
        call,
        server,
        "/api/v1/tickets/",
        {"title": TITLE, "service_code": "snow", **POINT},
        reporter,
    )
    ticket_id = filed["id"]
    path = f"/ws/tickets/{ticket_id}/"
    connect = websockets.connect
    async with (
        connect(server.ws + path, origin=server.url) as public,
        connect(server.ws + path, origin=server.url) as public_too,
        connect(server.ws + path, origin=server.url, additional_headers=reporter) as mine,
        connect(server.ws + "/ws/feed/", origin=server.url) as feed,
    ):
        for ws in (public, public_too, mine):
            await receive(ws, lambda m: m["type"] == "hello")
        await asyncio.to_thread(
            call, server, f"/api/v1/tickets/{ticket_id}/hide/", {"reason": "phone"}, agent
        )
        for ws in (public, public_too):
            code, seen = await closed_with(ws)
            assert code == 4404
            hidden = [m for m in seen if m["type"] == "ticket.hidden"]
            assert hidden and hidden[0]["data"] == {"id": ticket_id, "visibility": "hidden"}
            assert seen[-1]["type"] == "ticket.hidden"  # and nothing after it
        got = await receive(mine, lambda m: m["type"] == "ticket.hidden")
        assert got["data"]["visibility"] == "hidden"
        on_feed = await receive(feed, lambda m: m["type"] == "ticket.hidden")
        assert "555-0142" not in json.dumps(on_feed)

        # The reporter still writes and hears it; the agent acknowledges: no public feed hears.
        await asyncio.to_thread(
            call, server, f"/api/v1/tickets/{ticket_id}/comments/", {"body": "Sorry"}, reporter
        )
        await receive(mine, lambda m: m["type"] == "comment.created")
        await asyncio.to_thread(
            call,
            server,
            f"/api/v1/tickets/{ticket_id}/transitions/",
            {"action": "acknowledge"},
            agent,
        )
        await receive(mine, lambda m: m["type"] == "ticket.status_changed")
        assert [m for m in await quiet(feed) if m.get("ticket") == ticket_id] == []

        # A new public socket is refused; the reporter's replay carries no text.
        async with connect(server.ws + path, origin=server.url) as late:
            code, seen = await closed_with(late)
            assert code == 4404 and seen == []
        async with connect(
            server.ws + path + "?since=0", origin=server.url, additional_headers=reporter
        ) as replay:
            latest = (await receive(replay, lambda m: m["type"] == "hello"))["seq"]
            replayed = []
            while not replayed or replayed[-1]["seq"] < latest:
                replayed.append(await receive(replay, lambda m: "seq" in m))
            assert "555-0142" not in json.dumps(replayed)
            assert replayed[0]["type"] == "ticket.hidden"  # ticket.created, redacted
        status, events_answer = await asyncio.to_thread(
            http, "GET", f"{server.url}/api/v1/tickets/{ticket_id}/events/", None, reporter
        )
        assert status == 200 and "555-0142" not in json.dumps(events_answer)

        await asyncio.to_thread(
            call, server, f"/api/v1/tickets/{ticket_id}/restore/", {"reason": "edited"}, agent
        )
        restored = await receive(feed, lambda m: m["type"] == "ticket.restored")
        assert restored["data"] == {"id": ticket_id, "visibility": "visible"}
        async with connect(server.ws + path + "?since=0", origin=server.url) as back:
            created = await receive(back, lambda m: m["type"] == "ticket.created")
            assert created["data"]["title"] == TITLE
