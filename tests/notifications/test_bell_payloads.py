"""The bell's socket messages match the JSON Schemas derived from their TypedDicts
(`notifications.inapp`): a real `notification.created` and `notification.read`, as pushed."""

from __future__ import annotations

import json
from typing import Any

import jsonschema
import pytest
from channels.auth import AuthMiddlewareStack
from channels.db import database_sync_to_async
from channels.routing import URLRouter
from channels.security.websocket import AllowedHostsOriginValidator
from channels.testing import WebsocketCommunicator
from django.urls import path

from notifications import inapp
from notifications.consumers import NotificationConsumer
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


async def _recv(comm: WebsocketCommunicator) -> dict[str, Any]:
    output = await comm.receive_output(3)
    assert output["type"] == "websocket.send", output
    return json.loads(output["text"])


def test_the_schemas_are_derived_from_the_typed_dicts() -> None:
    created = inapp.data_schema(inapp.NOTIFICATION_CREATED)
    assert created["additionalProperties"] is False
    assert set(created["required"]) == set(inapp.NotificationCreatedData.__annotations__) | set(
        inapp.NotificationData.__annotations__
    )
    read = inapp.data_schema(inapp.NOTIFICATION_READ)
    assert set(read["properties"]) == {"unread", "ids"}


async def test_pushed_bell_messages_match_their_schemas(world: Any, make_ticket: Any) -> None:
    ticket = await database_sync_to_async(make_ticket)()
    cookie = await database_sync_to_async(session_cookie)(world["owner"])
    comm = WebsocketCommunicator(
        APP, "/ws/notifications/", headers=[(b"origin", b"http://testserver"), cookie]
    )
    connected, _ = await comm.connect(timeout=5)
    assert connected
    assert (await _recv(comm))["type"] == "hello"

    await database_sync_to_async(services.comment_create)(
        actor=actor_for(world["agent"]), ticket_id=ticket.pk, body="We are on it."
    )
    await database_sync_to_async(run_tasks)()  # the worker writes and pushes the bell
    created = await _recv(comm)
    assert created["type"] == inapp.NOTIFICATION_CREATED
    jsonschema.validate(created["data"], inapp.data_schema(created["type"]))
    assert created["data"]["ticket"] == ticket.pk and created["data"]["unread"] == 1

    await database_sync_to_async(inapp.mark_read)(world["owner"], [created["data"]["id"]])
    read = await _recv(comm)
    assert read["type"] == inapp.NOTIFICATION_READ
    jsonschema.validate(read["data"], inapp.data_schema(read["type"]))
    assert read["data"] == {"unread": 0, "ids": [created["data"]["id"]]}

    # A message that strays from the type is refused by the derived schema.
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(
            {**created["data"], "email": "x@example.org"}, inapp.data_schema(created["type"])
        )
    await comm.disconnect()
