"""Production shape: two daphne processes behind one Redis and one PostgreSQL act as one.
A comment posted through process A reaches sockets on A and B with the same seq, and
`watching` counts the sockets of both."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
import websockets
from django.db import connection

from tests.realtime.processes import Daphne, base_env, http

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.processes,
    pytest.mark.django_db(transaction=True),
]


def database_url() -> str:
    s = connection.settings_dict
    auth = s["USER"] + (f":{s['PASSWORD']}" if s.get("PASSWORD") else "")
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


@pytest.fixture
def daphnes(redis_server: Any) -> Any:
    env = base_env(DATABASE_URL=database_url(), REDIS_URL=redis_server.url)
    started = []
    try:
        for _ in range(2):
            started.append(Daphne(env))
        yield started
    finally:
        for daphne in started:
            daphne.stop()


@pytest.fixture
def ticket(make_ticket: Any) -> Any:
    return make_ticket()  # committed (transaction=True): the daphne processes see it


async def receive(ws: Any, predicate: Any, timeout: float = 5) -> dict[str, Any]:
    from realtime import events

    async with asyncio.timeout(timeout):
        while True:
            message = json.loads(await ws.recv())
            events.validate(message)
            if predicate(message):
                return message


async def test_two_processes_act_as_one(daphnes: list[Daphne], ticket: Any) -> None:
    a, b = daphnes
    path = f"/ws/tickets/{ticket.pk}/?since={ticket.seq}"
    async with (
        websockets.connect(a.ws + path, origin=a.url) as on_a,
        websockets.connect(b.ws + path, origin=b.url) as on_b,
    ):
        hello_a = await receive(on_a, lambda m: m["type"] == "hello")
        hello_b = await receive(on_b, lambda m: m["type"] == "hello")
        assert hello_a["seq"] == hello_b["seq"] == ticket.seq
        # Presence lives in Redis: the second socket's hello counts the first one too.
        assert hello_a["data"]["watching"] + hello_b["data"]["watching"] == 3
        for ws in (on_a, on_b):
            await receive(
                ws, lambda m: m["type"] == "ticket.counters" and m["data"]["watching"] == 2
            )

        status, answer = await asyncio.to_thread(
            http,
            "POST",
            f"{a.url}/api/v1/tickets/{ticket.pk}/comments/",
            {"body": "Posted through process A"},
        )
        assert status == 201, answer
        got_a = await receive(on_a, lambda m: m["type"] == "comment.created")
        got_b = await receive(on_b, lambda m: m["type"] == "comment.created")
        assert got_a == got_b
        assert got_a["seq"] == ticket.seq + 1
        assert got_a["data"]["body"] == "Posted through process A"

    # Both sockets gone: the presence set empties (a fresh socket sees only itself).
    async with websockets.connect(b.ws + path, origin=b.url) as again:
        hello = await receive(again, lambda m: m["type"] == "hello")
        assert hello["data"]["watching"] == 1
        assert hello["seq"] == ticket.seq + 1


async def test_foreign_origin_refused_by_a_real_server(daphnes: list[Daphne], ticket: Any) -> None:
    with pytest.raises(websockets.InvalidStatus):
        async with websockets.connect(
            f"{daphnes[0].ws}/ws/tickets/{ticket.pk}/", origin="http://evil.example"
        ):
            pass
