"""`make run`'s one-process shape (FIXLINE_EMBEDDED_WORKER=1): the task worker runs inside
daphne, so what it pushes through the in-memory channel layer (the bell, written by the worker
since the comment's request no longer does it) reaches the sockets of that same process, live."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
import websockets

from tests.realtime.processes import Daphne, demo_env, http, shell, token

pytestmark = [pytest.mark.processes, pytest.mark.timeout(300)]

SESSION = """
from django.conf import settings
from django.contrib.auth import get_user_model
from django.test import Client
client = Client()
client.force_login(get_user_model().objects.get(username="citizen"))
name = settings.SESSION_COOKIE_NAME
print(f"{name}={client.cookies[name].value}")
"""


@pytest.fixture(scope="module")
def server() -> Any:
    env = demo_env(FIXLINE_EMBEDDED_WORKER="1")
    daphne = Daphne(env)
    daphne.env = env  # type: ignore[attr-defined]
    try:
        yield daphne
    finally:
        daphne.stop()


async def test_the_bell_rings_live_from_the_embedded_worker(server: Daphne) -> None:
    status, listed = http("GET", f"{server.url}/api/v1/tickets/?status=open")
    assert status == 200
    ticket = next(t for t in listed["results"] if not t.get("event"))["id"]
    citizen = {"Authorization": f"Token {token(server.url, 'citizen', 'demo-citizen')}"}
    status, answer = http("POST", f"{server.url}/api/v1/tickets/{ticket}/follow/", {}, citizen)
    assert status in (200, 201), answer
    cookie = shell(server.env, SESSION)  # type: ignore[attr-defined]
    async with websockets.connect(
        f"{server.ws}/ws/notifications/",
        origin=server.url,  # type: ignore[arg-type]
        additional_headers={"Cookie": cookie},
        open_timeout=10,
    ) as bell:
        hello = json.loads(await asyncio.wait_for(bell.recv(), 10))
        assert hello["type"] == "hello", hello
        agent = {"Authorization": f"Token {token(server.url, 'agent', 'demo-agent')}"}
        status, answer = await asyncio.to_thread(
            http,
            "POST",
            f"{server.url}/api/v1/tickets/{ticket}/comments/",
            {"body": "A crew is on its way."},
            agent,
        )
        assert status == 201, answer
        # The worker polls every half second; generous for a busy machine.
        message = json.loads(await asyncio.wait_for(bell.recv(), 10))
    assert message["type"] == "notification.created", message
    assert message["ticket"] == ticket
    assert message["data"]["unread"] == hello["data"]["unread"] + 1
