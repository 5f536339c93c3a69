"""Cross-site WebSocket hijacking: a page on another site opening our sockets with the
victim's session cookie (browsers send it) is refused before any data is sent, on every
socket path. The same cookie from our own origin works (so the refusal is the Origin check)."""

from __future__ import annotations

from typing import Any

import pytest
from channels.db import database_sync_to_async
from channels.layers import channel_layers
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.test import Client

from tests.conftest import actor_for
from tickets import services

pytestmark = pytest.mark.django_db(transaction=True)

FOREIGN_ORIGINS = [b"https://evil.example", b"null", b"http://testserver.evil.example"]


@pytest.fixture(autouse=True)
def _fresh_layer() -> Any:
    channel_layers.backends.clear()
    yield
    channel_layers.backends.clear()


def _cookie(user: Any) -> tuple[bytes, bytes]:
    client = Client()
    client.force_login(user)
    value = client.cookies[settings.SESSION_COOKIE_NAME].value
    return (b"cookie", f"{settings.SESSION_COOKIE_NAME}={value}".encode())


def _paths(ticket_id: int) -> list[str]:
    return [
        f"/ws/tickets/{ticket_id}/?since=0",
        "/ws/feed/?jurisdiction=riverton",
        "/ws/moderation/",
    ]


async def _opens(path: str, headers: list[tuple[bytes, bytes]]) -> tuple[bool, Any]:
    from project.asgi import application

    comm = WebsocketCommunicator(application, path, headers=headers)
    connected, _code = await comm.connect(timeout=5)
    first = None
    if connected and "/ws/tickets/" in path:  # the ticket socket starts with a hello
        first = await comm.receive_output(timeout=3)
    await comm.disconnect()
    return connected, first


async def test_foreign_origin_with_a_valid_session_is_refused(world: dict[str, Any]) -> None:
    ticket = await database_sync_to_async(services.ticket_create)(
        actor=actor_for(world["owner"]), title="ws", service_code="snow", lat=45.505, long=-73.552
    )
    cookie = await database_sync_to_async(_cookie)(world["agent"])
    for path in _paths(ticket.pk):
        for origin in FOREIGN_ORIGINS:
            connected, first = await _opens(path, [(b"origin", origin), cookie])
            assert not connected, f"{path} accepted Origin {origin!r}: {first}"
        connected, _first = await _opens(path, [cookie])  # no Origin at all (not a browser)
        assert not connected, f"{path} accepted a socket without Origin"
    # The same cookie from our own origin is fine: it is the Origin that was refused.
    for path in _paths(ticket.pk):
        connected, first = await _opens(path, [(b"origin", b"http://testserver"), cookie])
        assert connected, path
        assert first is None or first["type"] == "websocket.send"
