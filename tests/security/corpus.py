"""Plants the XSS corpus in the database through every write surface that stores user text,
so pages, feeds, e-mails and the API can be checked for it. Used by the server-side tests
(inside pytest's test database) and by the browser tests (inside a daphne's database, through
`manage.py shell`). Surfaces of features that have not landed are skipped and listed.

To add a surface: write a `_plant_<name>(payloads, ctx)` below and add it to `PLANTERS`."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from django.contrib.auth import get_user_model
from django.test import Client

from tickets import services
from tickets.identity import Actor
from tickets.models import Integration, ServiceQuestion, ServiceType, Ticket

CITY_POINT = {"lat": 45.540, "long": -73.600}
OPEN311_KEY = "security-test-open311-key"


def _agent() -> Actor:
    return Actor(user=get_user_model().objects.get(username="agent"), ip="192.0.2.50")


def _question() -> str:
    """A public free-text question on the pothole type (custom-question answers)."""
    stype = ServiceType.objects.get(code="pothole")
    ServiceQuestion.objects.get_or_create(
        service_type=stype,
        code="xss_note",
        defaults={"description": "Anything else?", "datatype": "string", "private": False},
    )
    return "xss_note"


def _plant_tickets(payloads: list[str], ctx: dict[str, Any]) -> None:
    """Title, description, display name, address and a custom answer: one ticket each."""
    code = _question()
    actor = _agent()
    for payload in payloads:
        ticket = services.ticket_create(
            actor=actor,
            title=payload[:200],
            description=payload,
            service_code="pothole",
            address=payload[:300],
            display_name=payload[:80],
            answers={"depth": "deep", code: payload[:200]},
            **CITY_POINT,
        )
        ctx["tickets"].append(ticket.pk)


def _plant_comments(payloads: list[str], ctx: dict[str, Any]) -> None:
    """Every payload as a comment on one ticket, by an account whose name is a payload."""
    host = ctx["tickets"][0]
    users = get_user_model()
    for i, payload in enumerate(payloads):
        user, _ = users.objects.get_or_create(
            username=f"xss-{i}", defaults={"first_name": payload[:150], "email": ""}
        )
        user.groups.clear()
        services.comment_create(
            actor=Actor(user=user, ip="192.0.2.51"), ticket_id=host, body=payload
        )
        if i % 15 == 14:  # stay under the per-account comment rate limit
            from django.core.cache import cache

            cache.clear()
    ctx["comment_ticket"] = host


def _plant_offers(payloads: list[str], ctx: dict[str, Any]) -> None:
    try:
        from moderation import services as moderation
    except ImportError:
        ctx["skipped"].append("offers (moderation.services.offer_create)")
        return
    actor = _agent()
    host = ctx["tickets"][1]
    for payload in payloads:
        moderation.offer_create(
            actor=actor,
            message=payload,
            contact="offer-contact@example.net",
            ticket_id=host,
            skills=payload[:300],
            availability=payload[:300],
        )
    ctx["offer_ticket"] = host


def _plant_open311(payloads: list[str], ctx: dict[str, Any]) -> None:
    from django.urls import Resolver404, resolve

    try:
        resolve("/open311/v2/requests.json")
    except Resolver404:
        ctx["skipped"].append("Open311 (/open311/v2/)")
        return
    Integration.ensure(name="security tests", raw_key=OPEN311_KEY)
    client = Client()
    for i, payload in enumerate(payloads):
        response = client.post(
            "/open311/v2/requests.json",
            {
                "api_key": OPEN311_KEY,
                "service_code": "pothole",
                "description": payload,
                "attribute[depth]": "deep",
                "device_id": f"xss-device-{i}",
                "first_name": "Xavier",
                "last_name": "Open",
                **CITY_POINT,
            },
        )
        if response.status_code != 201 and response.status_code != 200:
            raise AssertionError(
                f"Open311 POST failed: {response.status_code} {response.content!r}"
            )
        ctx["open311"].append(int(json.loads(response.content)[0]["service_request_id"]))


def _plant_emails(payloads: list[str], ctx: dict[str, Any]) -> None:
    """Runs the notification pipeline over every event of the planted tickets."""
    try:
        from notifications import dispatch
        from notifications.models import Batch
    except ImportError:
        ctx["skipped"].append("e-mails (notifications.dispatch)")
        return
    from tickets.models import TicketEvent

    ids = ctx["tickets"] + ctx["open311"]
    for ticket in Ticket.objects.filter(pk__in=ids):
        try:
            dispatch.send_receipt(ticket)
            dispatch.notify_agents(ticket)
        except Exception as exc:  # noqa: BLE001 - a pipeline change must not hide the rest
            ctx["skipped"].append(f"e-mails: {exc!r}")
            return
    for event in TicketEvent.objects.filter(ticket_id__in=ids):
        dispatch.process_event(event.pk)
    for batch in Batch.objects.all():
        dispatch.flush_batch(batch.pk)


PLANTERS: list[Callable[[list[str], dict[str, Any]], None]] = [
    _plant_tickets,
    _plant_comments,
    _plant_offers,
    _plant_open311,
    _plant_emails,
]


def plant(payloads: list[str], *, emails: bool = True) -> dict[str, Any]:
    ctx: dict[str, Any] = {"tickets": [], "open311": [], "skipped": []}
    for planter in PLANTERS:
        if planter is _plant_emails and not emails:
            continue
        planter(payloads, ctx)
    return ctx
