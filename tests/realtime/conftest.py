"""Helpers for socket tests: the real ASGI application (origin validation, session auth,
routing), a communicator factory, and a receive that validates every message against
`realtime.events`."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from channels.db import database_sync_to_async
from channels.layers import channel_layers
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.test import Client

from realtime import events
from tickets import services

ORIGIN = (b"origin", b"http://testserver")


@pytest.fixture(autouse=True)
def _fresh_layer() -> Any:
    """A new in-memory layer per test: its queues belong to the test's event loop."""
    channel_layers.backends.clear()
    yield
    channel_layers.backends.clear()


def application() -> Any:
    from project.asgi import application as app

    return app


def session_cookie(user: Any) -> tuple[bytes, bytes]:
    client = Client()
    client.force_login(user)
    value = client.cookies[settings.SESSION_COOKIE_NAME].value
    return (b"cookie", f"{settings.SESSION_COOKIE_NAME}={value}".encode())


async def open_socket(
    path: str, *, user: Any = None, origin: bytes | None = b"http://testserver"
) -> WebsocketCommunicator:
    headers = []
    if origin is not None:
        headers.append((b"origin", origin))
    if user is not None:
        headers.append(await database_sync_to_async(session_cookie)(user))
    return WebsocketCommunicator(application(), path, headers=headers)


async def connect(path: str, **kwargs: Any) -> WebsocketCommunicator:
    comm = await open_socket(path, **kwargs)
    connected, _ = await comm.connect(timeout=5)
    assert connected, f"{path} refused"
    return comm


async def recv(comm: WebsocketCommunicator, timeout: float = 3) -> dict[str, Any]:
    """Next message, validated against the event schemas."""
    output = await comm.receive_output(timeout)
    assert output["type"] == "websocket.send", output
    message = json.loads(output["text"])
    events.validate(message)
    return message


async def recv_until(
    comm: WebsocketCommunicator, predicate: Any, timeout: float = 5
) -> list[dict[str, Any]]:
    """Messages up to and including the first one for which `predicate` is true."""
    got = []
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        message = await recv(comm, timeout=max(0.05, deadline - loop.time()))
        got.append(message)
        if predicate(message):
            return got


async def expect_close(comm: WebsocketCommunicator, timeout: float = 3) -> int:
    output = await comm.receive_output(timeout)
    assert output["type"] == "websocket.close", output
    return output.get("code")


async def nothing_more(comm: WebsocketCommunicator, wait: float = 0.3) -> None:
    """No durable event within `wait` seconds (counters may come and go)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + wait
    while (left := deadline - loop.time()) > 0:
        if await comm.receive_nothing(timeout=left):
            return
        message = await recv(comm)
        assert message["type"] == "ticket.counters", f"unexpected {message}"


def comment(actor: Any, ticket_id: int, body: str) -> Any:
    return database_sync_to_async(services.comment_create)(
        actor=actor, ticket_id=ticket_id, body=body
    )
