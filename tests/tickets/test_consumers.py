"""What a ticket socket's handshake costs (issue 14, join storms; docs/performance.md,
"Storms"): an anonymous socket without a session cookie opens with at most ONE database query
and never touches the session store; a signed-in socket still gets its session and its
casework rights. Real ASGI stack (origin check, socket cap, session, routing) through Channels'
communicator, real database."""

from __future__ import annotations

import json
from typing import Any

import pytest
from channels.db import database_sync_to_async
from channels.layers import channel_layers
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from tests.conftest import actor_for
from tickets import services

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("stop_background_tasks"),
]

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


async def receive_json(comm: Any) -> dict[str, Any]:
    message: dict[str, Any] = json.loads((await comm.receive_output(5))["text"])
    return message


async def test_anonymous_handshakes_share_the_row_until_the_ticket_changes(
    make_ticket: Any,
) -> None:
    """A join storm reads the ticket once (tickets/socket_rows.py); an event delivered to the
    ticket's sockets makes the next handshake read it again, so no `hello` is older than an
    event its socket did not get live."""
    ticket = await database_sync_to_async(make_ticket)()
    first, hello = await open_ticket_socket(ticket.pk)
    assert hello["seq"] == 1
    async with Queries() as queries:
        second, hello = await open_ticket_socket(ticket.pk)
    assert queries.sql == []  # the first socket's row, shared
    assert hello["seq"] == 1
    assert hello["data"]["watching"] == 2  # presence is counted per socket, not shared

    await database_sync_to_async(services.comment_create)(
        actor=actor_for(anon="neighbour"), ticket_id=ticket.pk, body="Still there."
    )
    for comm in (first, second):
        assert (await receive_json(comm))["seq"] == 2  # live, to the sockets already there
    async with Queries() as queries:
        third, hello = await open_ticket_socket(ticket.pk)
    assert len(queries.sql) == 1  # forgotten when the comment was delivered: read again
    assert hello["seq"] == 2
    for comm in (first, second, third):
        await comm.disconnect()


async def test_a_since_past_the_shared_row_reads_the_ticket_itself(make_ticket: Any) -> None:
    """A page fresher than the shared row (an event committed, not yet delivered here):
    `since` is checked against the ticket's own row, not clamped to the shared one (that
    would replay events the page already shows)."""
    from tickets import socket_rows

    ticket = await database_sync_to_async(make_ticket)()
    first, _ = await open_ticket_socket(ticket.pk)
    entry = socket_rows._rows[ticket.pk]
    socket_rows._rows[ticket.pk] = entry._replace(row=entry.row._replace(seq=0))  # stale
    async with Queries() as queries:
        comm, hello = await open_ticket_socket_since(ticket.pk, 1)
    # Its own row (the replay from the page's seq is read by a task shared with other
    # sockets replaying from there, `socket_rows.shared_replay`, and may run on another
    # thread: what it sends is what matters, below).
    assert len(queries.sql) >= 1 and '"tickets_ticket"' in queries.sql[0], queries.sql
    assert all('"seq" > 0' not in sql for sql in queries.sql), queries.sql
    assert hello["seq"] == 1
    assert await comm.receive_nothing(0.2)  # nothing replayed: the page has seq 1
    for each in (first, comm):
        await each.disconnect()


async def open_ticket_socket_since(ticket_id: int, since: int) -> Any:
    from project.asgi import application

    comm = WebsocketCommunicator(application, f"/ws/tickets/{ticket_id}/?since={since}")
    comm.scope["headers"] = [(b"origin", b"http://testserver")]
    connected, _ = await comm.connect(timeout=5)
    assert connected
    hello = await receive_json(comm)
    assert hello["type"] == "hello", hello
    return comm, hello
