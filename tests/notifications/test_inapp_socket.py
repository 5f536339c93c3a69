"""`/ws/notifications/`: the bell's socket, through session auth and origin validation."""

from __future__ import annotations

import json
from typing import Any

import pytest
from channels.auth import AuthMiddlewareStack
from channels.db import database_sync_to_async
from channels.routing import URLRouter
from channels.security.websocket import AllowedHostsOriginValidator
from channels.testing import WebsocketCommunicator
from django.urls import path

from notifications.consumers import NotificationConsumer
from realtime.consumers import CLOSE_UNAUTHENTICATED
from tests.conftest import actor_for
from tests.notifications.conftest import run_tasks
from tests.realtime.conftest import _fresh_layer, session_cookie  # noqa: F401
from tickets import services

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("stop_background_tasks"),
]

APP = AllowedHostsOriginValidator(
    AuthMiddlewareStack(URLRouter([path("ws/notifications/", NotificationConsumer.as_asgi())]))
)


async def _open(user: Any = None) -> WebsocketCommunicator:
    headers = [(b"origin", b"http://testserver")]
    if user is not None:
        headers.append(await database_sync_to_async(session_cookie)(user))
    return WebsocketCommunicator(APP, "/ws/notifications/", headers=headers)


async def _recv(comm: WebsocketCommunicator) -> dict[str, Any]:
    output = await comm.receive_output(3)
    assert output["type"] == "websocket.send", output
    return json.loads(output["text"])


async def test_the_bell_updates_live(world: Any, make_ticket: Any) -> None:
    ticket = await database_sync_to_async(make_ticket)()
    comm = await _open(world["owner"])
    connected, _ = await comm.connect(timeout=5)
    assert connected
    hello = await _recv(comm)
    assert hello["type"] == "hello" and hello["data"] == {"unread": 0}

    await database_sync_to_async(services.comment_create)(
        actor=actor_for(world["agent"]), ticket_id=ticket.pk, body="We are on it."
    )
    await database_sync_to_async(run_tasks)()  # the worker writes and pushes the bell
    message = await _recv(comm)
    assert message["type"] == "notification.created"
    assert message["ticket"] == ticket.pk
    assert message["data"]["unread"] == 1
    assert "commented on" in message["data"]["text"]
    assert "@" not in json.dumps(message)  # no address of anyone on the socket
    await comm.disconnect()


async def test_anonymous_sockets_are_refused(world: Any) -> None:
    comm = await _open()
    connected, _ = await comm.connect(timeout=5)
    output = await comm.receive_output(3)
    assert output["type"] == "websocket.close" and output["code"] == CLOSE_UNAUTHENTICATED
    assert connected  # accepted, then closed before any data
