"""What a ticket socket's handshake costs (issue 14, join storms; docs/performance.md,
"Storms"): an anonymous socket without a session cookie opens with at most ONE database query
and never touches the session store; a signed-in socket still gets its session and its
casework rights. Real ASGI stack (origin check, socket cap, session, routing) through Channels'
communicator, real database."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async
from channels.layers import channel_layers
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore
from django.db import connection, connections
from django.test import Client
from django.test.utils import CaptureQueriesContext

from tests.conftest import actor_for
from tickets import services

pytestmark = pytest.mark.django_db(transaction=True)

# This module doubles as a session engine (SESSION_ENGINE is a module with a SessionStore):
# the database store, counting every store the socket stack builds.
stores_built: list[str | None] = []


class SessionStore(DatabaseSessionStore):
    def __init__(self, session_key: str | None = None) -> None:
        stores_built.append(session_key)
        super().__init__(session_key)


@pytest.fixture(autouse=True)
def _fresh_layer() -> Any:
    channel_layers.backends.clear()
    yield
    channel_layers.backends.clear()


@pytest.fixture(autouse=True)
async def _stop_background_tasks() -> Any:
    yield
    current = asyncio.current_task()
    tasks = [t for t in asyncio.all_tasks() if t is not current and not t.done()]
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    await sync_to_async(connections.close_all)()


@pytest.fixture
def counting_sessions(settings: Any) -> list[str | None]:
    settings.SESSION_ENGINE = __name__
    stores_built.clear()
    return stores_built


class Queries:
    """Every query of the consumers' database thread (`database_sync_to_async` runs them all
    on one thread, whose connection is not the test's)."""

    def __init__(self) -> None:
        self.context: CaptureQueriesContext | None = None
        self.sql: list[str] = []

    async def __aenter__(self) -> Queries:
        def start() -> None:
            self.context = CaptureQueriesContext(connection)
            self.context.__enter__()

        await database_sync_to_async(start)()
        return self

    async def __aexit__(self, *exc: Any) -> None:
        def stop() -> None:
            assert self.context is not None
            self.context.__exit__(None, None, None)
            self.sql = [q["sql"] for q in self.context.captured_queries]

        await database_sync_to_async(stop)()


async def open_ticket_socket(ticket_id: int, *, cookie: str | None = None) -> Any:
    from project.asgi import application

    headers = [(b"origin", b"http://testserver")]
    if cookie:
        headers.append((b"cookie", cookie.encode()))
    comm = WebsocketCommunicator(application, f"/ws/tickets/{ticket_id}/")
    comm.scope["headers"] = headers
    connected, _ = await comm.connect(timeout=5)
    assert connected
    hello = json.loads((await comm.receive_output(5))["text"])
    assert hello["type"] == "hello", hello
    return comm, hello


async def test_anonymous_handshake_is_one_query_and_no_session(
    make_ticket: Any, counting_sessions: list[str | None]
) -> None:
    ticket = await database_sync_to_async(make_ticket)()
    await database_sync_to_async(services.comment_create)(
        actor=actor_for(anon="neighbour"), ticket_id=ticket.pk, body="Still there."
    )
    # A cookie that is not the session's (a visitor's own preferences) changes nothing.
    async with Queries() as queries:
        comm, hello = await open_ticket_socket(ticket.pk, cookie="django_language=fr")
    assert hello["seq"] == 2  # created + the comment: the socket knows where the log is
    assert hello["data"]["watching"] == 1
    assert len(queries.sql) <= 1, "\n".join(queries.sql)
    assert counting_sessions == []  # no session store built, so none read
    await comm.disconnect()


async def test_signed_in_handshake_still_reads_its_session(
    world: dict[str, Any], make_ticket: Any, counting_sessions: list[str | None]
) -> None:
    """The session cookie brings the session back: an agent's socket gets casework events."""
    ticket = await database_sync_to_async(make_ticket)()

    def login() -> str:
        client = Client()
        client.force_login(world["agent"])
        return client.cookies[settings.SESSION_COOKIE_NAME].value

    key = await database_sync_to_async(login)()
    comm, hello = await open_ticket_socket(
        ticket.pk, cookie=f"{settings.SESSION_COOKIE_NAME}={key}"
    )
    assert key in counting_sessions
    await database_sync_to_async(services.note_create)(
        actor=actor_for(world["agent"]), ticket_id=ticket.pk, body="Crew booked for Monday."
    )
    message = json.loads((await comm.receive_output(5))["text"])
    assert message["type"] == "note.created", message
    await comm.disconnect()
