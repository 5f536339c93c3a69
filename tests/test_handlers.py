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
