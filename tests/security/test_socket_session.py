"""Sockets follow the session (docs/security.md, "Round 2: proxies and sockets", item 4): an
open `/ws/moderation/` stops at logout (4401, that browser's sockets only), when the role
is lost (trust revoked, agent removed from a jurisdiction: 4403), and a session that lacks
the second factor of a 2FA account is refused (4401) or, if 2FA is turned on while it is
open, closed. Real ASGI stack (origin check, session auth, routing) through Channels'
communicator; the write layer and the real logout view are what trigger the closes."""

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
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from moderation import services as mod
from realtime.consumers import CLOSE_FORBIDDEN, CLOSE_UNAUTHENTICATED
from tests.conftest import actor_for
from tickets import services

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("stop_background_tasks"),
]


@pytest.fixture(autouse=True)
def _fresh_layer() -> Any:
    channel_layers.backends.clear()
    yield
    channel_layers.backends.clear()


@pytest.fixture
def ticket(make_ticket: Any) -> Any:
    return make_ticket()


def signed_in(user: Any, *, second_factor: TOTPDevice | None = None) -> Client:
    client = Client()
    client.force_login(user)
    if second_factor is not None:
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = second_factor.persistent_id
        session.save()
    return client


async def open_moderation(client: Client) -> WebsocketCommunicator:
    from project.asgi import application

    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    headers = [
        (b"origin", b"http://testserver"),
        (b"cookie", f"{settings.SESSION_COOKIE_NAME}={cookie}".encode()),
    ]
    comm = WebsocketCommunicator(application, "/ws/moderation/", headers=headers)
    connected, _ = await comm.connect(timeout=5)
    assert connected
    return comm


async def next_frame(comm: WebsocketCommunicator, timeout: float = 5) -> dict[str, Any]:
    output = await comm.receive_output(timeout)
    if output["type"] == "websocket.close":
        return {"closed": output.get("code")}
    return json.loads(output["text"])


async def closed_with(comm: WebsocketCommunicator, timeout: float = 5) -> int | None:
    """The close code, skipping whatever was sent before it; None if still open."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while (left := deadline - loop.time()) > 0:
        try:
            frame = await next_frame(comm, timeout=left)
        except TimeoutError:
            return None
        if "closed" in frame:
            return frame["closed"]
    return None


async def comment(world: dict[str, Any], ticket: Any, body: str) -> None:
    await database_sync_to_async(services.comment_create)(
        actor=actor_for(world["outsider"]), ticket_id=ticket.pk, body=body
    )


async def receives_comment(comm: WebsocketCommunicator, body: str) -> bool:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 5
    while (left := deadline - loop.time()) > 0:
        try:
            frame = await next_frame(comm, timeout=left)
        except TimeoutError:
            return False
        if "closed" in frame:
            return False
        if frame.get("type") == "comment.created" and frame["data"].get("body") == body:
            return True
    return False


async def test_logout_closes_that_browsers_moderation_socket(
    world: dict[str, Any], ticket: Any
) -> None:
    browser = await database_sync_to_async(signed_in)(world["volunteer"])
    other_browser = await database_sync_to_async(signed_in)(world["volunteer"])
    comm = await open_moderation(browser)
    other = await open_moderation(other_browser)
    await comment(world, ticket, "before logout")
    assert await receives_comment(comm, "before logout")
    assert await receives_comment(other, "before logout")

    response = await sync_to_async(browser.post)("/accounts/logout/")
    assert response.status_code in (200, 302)

    assert await closed_with(comm) == CLOSE_UNAUTHENTICATED
    await comment(world, ticket, "after logout")
    assert await receives_comment(other, "after logout")  # the other session stays
    await other.disconnect()


async def test_revoked_trust_closes_the_moderation_socket(
    world: dict[str, Any], ticket: Any
) -> None:
    volunteer = await database_sync_to_async(signed_in)(world["volunteer"])
    comm = await open_moderation(volunteer)
    await comment(world, ticket, "while trusted")
    assert await receives_comment(comm, "while trusted")

    await database_sync_to_async(mod.trust_revoke)(
        actor=actor_for(world["admin"]), username="volunteer", reason="left the programme"
    )

    assert await closed_with(comm) == CLOSE_FORBIDDEN


async def test_agent_removed_from_jurisdiction_in_the_admin_loses_the_feed(
    world: dict[str, Any], ticket: Any
) -> None:
    agent = world["agent"]
    agent_client = await database_sync_to_async(signed_in)(agent)
    comm = await open_moderation(agent_client)

    def remove_from_every_jurisdiction() -> None:
        for place in agent.agent_of.all():
            # The admin's change form saves the m2m with set(): the same signals.
            place.agents.set(place.agents.exclude(pk=agent.pk))

    await database_sync_to_async(remove_from_every_jurisdiction)()
    assert await closed_with(comm) == CLOSE_FORBIDDEN


def _enrol(user: Any) -> TOTPDevice:
    return TOTPDevice.objects.create(user=user, name="phone", confirmed=True)


async def test_two_factor_account_without_a_verified_session_is_refused(
    world: dict[str, Any], ticket: Any
) -> None:
    device = await database_sync_to_async(_enrol)(world["agent"])
    password_only = await database_sync_to_async(signed_in)(world["agent"])
    comm = await open_moderation(password_only)
    assert await closed_with(comm) == CLOSE_UNAUTHENTICATED

    verified = await database_sync_to_async(signed_in)(world["agent"], second_factor=device)
    comm = await open_moderation(verified)
    await comment(world, ticket, "to a verified session")
    assert await receives_comment(comm, "to a verified session")
    await comm.disconnect()


async def test_turning_on_two_factor_closes_older_sessions_sockets(
    world: dict[str, Any], ticket: Any
) -> None:
    older = await database_sync_to_async(signed_in)(world["agent"])
    comm = await open_moderation(older)
    await comment(world, ticket, "before 2FA")
    assert await receives_comment(comm, "before 2FA")

    await database_sync_to_async(_enrol)(world["agent"])

    assert await closed_with(comm) == CLOSE_UNAUTHENTICATED


async def test_bell_socket_closes_on_logout(world: dict[str, Any]) -> None:
    from project.asgi import application

    browser = await database_sync_to_async(signed_in)(world["owner"])
    cookie = browser.cookies[settings.SESSION_COOKIE_NAME].value
    comm = WebsocketCommunicator(
        application,
        "/ws/notifications/",
        headers=[
            (b"origin", b"http://testserver"),
            (b"cookie", f"{settings.SESSION_COOKIE_NAME}={cookie}".encode()),
        ],
    )
    connected, _ = await comm.connect(timeout=5)
    assert connected
    assert (await next_frame(comm))["type"] == "hello"
    await sync_to_async(browser.post)("/accounts/logout/")
    assert await closed_with(comm) == CLOSE_UNAUTHENTICATED


async def test_periodic_recheck_catches_what_no_signal_announces(
    world: dict[str, Any], settings: Any
) -> None:
    """A session removed behind the write layer's back (expired, deleted by hand) still ends
    the socket within FIXLINE_WS_RECHECK_SECONDS."""
    from django.contrib.sessions.models import Session

    settings.FIXLINE = {**settings.FIXLINE, "WS_RECHECK_SECONDS": 1}
    browser = await database_sync_to_async(signed_in)(world["volunteer"])
    comm = await open_moderation(browser)
    await database_sync_to_async(lambda: Session.objects.all().delete())()
    assert await closed_with(comm, timeout=10) == CLOSE_UNAUTHENTICATED
