"""The middleware chain under daphne (project/handlers.py, issue 14): no sync↔async hop
inside it. Django says each one at DEBUG on `django.request` ("Synchronous handler adapted
for ..." / "Asynchronous handler adapted for ..."); the chain that project.asgi serves says
none, while Django's stock ASGI handler, on the same middleware list, does."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import pytest
from django.core.handlers.asgi import ASGIHandler

from project.asgi import django_asgi_app

pytestmark = pytest.mark.django_db


def adaptations(handler_class: type[ASGIHandler], caplog: Any) -> list[str]:
    caplog.clear()
    with caplog.at_level(logging.DEBUG, logger="django.request"):
        handler_class()
    return [r.getMessage() for r in caplog.records if "adapted" in r.getMessage()]


def test_no_middleware_is_adapted(settings: Any, caplog: Any) -> None:
    settings.DEBUG = True  # Django logs adaptations only with DEBUG on
    assert adaptations(ASGIHandler, caplog), "the stock handler adapts this chain somewhere"
    assert adaptations(type(django_asgi_app), caplog) == []


# The file it asks for is a static file: WhiteNoise answers with a FileResponse, whose
# iterator is synchronous, and Django's ASGI handler reads it in a thread and says so (in
# production nginx serves static files; docs/deploy.md).
@pytest.mark.filterwarnings("ignore:StreamingHttpResponse must consume synchronous iterators")
async def test_pages_are_served_through_the_served_handler() -> None:
    """The handler still serves: a page through the ASGI interface, end to end."""
    sent: list[dict[str, Any]] = []
    received: list[bool] = []

    async def receive() -> dict[str, Any]:
        if received:  # the client stays connected until the handler is done
            await asyncio.Future()
        received.append(True)
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": "/static/js/ticket-live.js",
        "raw_path": b"/static/js/ticket-live.js",
        "query_string": b"",
        "headers": [(b"host", b"127.0.0.1")],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
    }
    await django_asgi_app(scope, receive, send)
    assert sent[0]["type"] == "http.response.start"
    assert sent[0]["status"] == 200


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
async def test_cancelled_requests_give_their_connections_back() -> None:
    """A request whose handler is cancelled once its answer is out (before Django's
    `request_finished`) still gives its thread's connection back to the pool: 15 of them in a
    row on a pool of 10 all answer, where the 11th used to wait 5 s for a connection and get
    a 503 (project/handlers.py, `returning_connections`)."""
    from asgiref.testing import ApplicationCommunicator

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": "/api/v1/tickets/",
        "raw_path": b"/api/v1/tickets/",
        "query_string": b"",
        "headers": [(b"host", b"127.0.0.1"), (b"accept", b"application/json")],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
    }
    statuses = []
    for _ in range(15):
        talk = ApplicationCommunicator(django_asgi_app, scope)
        await talk.send_input({"type": "http.request", "body": b""})
        start = await talk.receive_output(20)
        while (await talk.receive_output(20)).get("more_body"):
            pass
        talk.stop(exceptions=False)  # what a dropped communicator or a gone client does
        statuses.append(start["status"])
    assert statuses == [200] * 15
