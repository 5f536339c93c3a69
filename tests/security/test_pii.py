"""PII scan: seed e-mail addresses, phone numbers, names and network addresses through every
way they enter (report contact fields, Open311 first/last name, e-mail and phone, offer
contacts, account e-mails, REMOTE_ADDR), then crawl every public page (links from / to depth
2), API answer, feed, export and socket payload, as anonymous: 0 hits.

To cover a new public surface, add its URL to PUBLIC_URLS (pages are found by the crawl)."""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import urljoin, urlsplit

import pytest
from asgiref.sync import async_to_sync
from channels.layers import channel_layers
from django.test import Client

from tests.conftest import BOROUGH_POINT, actor_for
from tests.security.conftest import route_exists
from tickets import services
from tickets.models import Integration

PII = {
    "reporter e-mail": "pii.reporter@example.net",
    "reporter phone": "+1 514 555 0142",
    "reporter name": "Philippa Privatename",
    "open311 e-mail": "open311.person@example.net",
    "open311 first": "Octavian",
    "open311 last": "Lastnameson",
    "open311 phone": "514-555-0177",
    "offer contact": "offer.helper@example.net 438-555-0123",
    "account e-mail": "owner@example.org",
    "other account e-mail": "outsider@example.org",
    "ip v4": "203.0.113.201",
    "ip v6": "2001:db8:abcd::42",
    "seed ip": "192.0.2.201",
}
# Digits-only forms of the phone numbers, in case something reformats them.
PHONE_DIGITS = ["5145550142", "5145550177", "4385550123"]

PUBLIC_URLS = [
    "/api/v1/tickets/",
    "/api/v1/tickets/?page=2",
    "/api/v1/tickets/{ticket}/",
    "/api/v1/tickets/{ticket}/comments/",
    "/api/v1/tickets/{ticket}/events/?since=0",
    "/api/v1/tickets/{ticket}/offers/",
    "/api/v1/tickets/{open311_ticket}/",
    "/api/v1/tickets/{open311_ticket}/events/?since=0",
    "/api/v1/services/",
    "/api/v1/events/",
    "/api/v1/schema/",
    "/open311/v2/requests.json",
    "/open311/v2/requests.xml",
    "/open311/v2/requests/{open311_ticket}.json",
    "/open311/v2/requests/{open311_ticket}.xml",
    "/open311/v2/services.json",
    "/feeds/jurisdictions/riverton.rss",
    "/feeds/jurisdictions/riverton.atom",
    "/feeds/jurisdictions/old-port.rss",
    "/feeds/tickets/{ticket}.rss",
    "/feeds/tickets/{open311_ticket}.atom",
    "/feeds/area.rss?bbox=-74,45,-73,46",
    "/api/v1/exports/tickets.csv",
    "/api/v1/exports/tickets.geojson",
    "/embed/",
    "/embed/?jurisdiction=old-port",
    "/widget/",
]


@pytest.fixture
def seeded(world: dict[str, Any]) -> dict[str, Any]:
    from moderation import services as moderation

    owner = world["owner"]
    ticket = services.ticket_create(
        actor=actor_for(owner, ip=PII["ip v4"]),
        title="Broken bench",
        description="Near the fountain.",
        service_code="snow",
        display_name="Olive",
        contact_email=PII["reporter e-mail"],
        contact_name=PII["reporter name"],
        contact_phone=PII["reporter phone"],
        **BOROUGH_POINT,
    )
    services.comment_create(
        actor=actor_for(anon="p" * 24, ip=PII["ip v6"]), ticket_id=ticket.pk, body="Same here"
    )
    services.comment_create(actor=actor_for(world["outsider"]), ticket_id=ticket.pk, body="+1")
    offer = moderation.offer_create(
        actor=actor_for(world["outsider"]), message="I have a shovel", contact=PII["offer contact"],
        ticket_id=ticket.pk,
    )  # fmt: skip
    moderation.offer_review(actor=actor_for(world["admin"]), offer_id=offer.pk, decision="accept")
    open311_ticket = None
    if route_exists("/open311/v2/requests.json"):
        Integration.ensure(name="pii", raw_key="pii-key")
        answer = Client(REMOTE_ADDR=PII["ip v4"]).post(
            "/open311/v2/requests.json",
            {"api_key": "pii-key", "service_code": "snow", "description": "Icy", "email":
             PII["open311 e-mail"], "first_name": PII["open311 first"], "last_name":
             PII["open311 last"], "phone": PII["open311 phone"], **BOROUGH_POINT},
        )  # fmt: skip
        assert answer.status_code in (200, 201), answer.content
        open311_ticket = int(json.loads(answer.content)[0]["service_request_id"])
    # Browsing and reporting from known addresses.
    browser = Client(REMOTE_ADDR=PII["ip v4"])
    browser.get(f"/tickets/{ticket.pk}/")
    browser.post(f"/tickets/{ticket.pk}/comment/", {"body": "From the browser"})
    return {"ticket": ticket.pk, "open311_ticket": open311_ticket or ticket.pk}


def _hits(text: str) -> list[str]:
    found = [name for name, value in PII.items() if value.lower() in text.lower()]
    # Phone numbers however they are punctuated (runs of digits, separators removed).
    for run in re.findall(r"[\d\s().+-]{10,}", text):
        digits = re.sub(r"\D", "", run)
        found += [d for d in PHONE_DIGITS if d in digits]
    return found


def _body(response: Any) -> str:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content).decode(errors="replace")
    return response.content.decode(errors="replace")


def _crawl(client: Client, start: str, depth: int) -> dict[str, str]:
    seen: dict[str, str] = {}
    frontier = [start]
    for _level in range(depth + 1):
        following = []
        for url in frontier:
            if url in seen:
                continue
            response = client.get(url)
            seen[url] = _body(response) if response.status_code == 200 else ""
            if "html" not in response.get("Content-Type", ""):
                continue
            for href in re.findall(r'href="([^"#]+)', seen[url]):
                target = urljoin(url, href.replace("&amp;", "&"))
                parts = urlsplit(target)
                if parts.netloc and parts.netloc != "testserver":
                    continue
                path = parts.path + (f"?{parts.query}" if parts.query else "")
                if path.startswith(("/static/", "/admin/", "/accounts/logout", "/media/")):
                    continue
                following.append(path)
        frontier = following
    return seen


def test_no_personal_data_on_any_public_surface(seeded: dict[str, Any]) -> None:
    client = Client()
    pages = _crawl(client, "/", depth=2)
    assert len(pages) >= 10, list(pages)
    for url, text in pages.items():
        assert not _hits(text), f"{url}: {_hits(text)}"
    checked = 0
    for pattern in PUBLIC_URLS:
        url = pattern.format(**seeded)
        if not route_exists(url.split("?")[0]):
            continue
        response = client.get(url)
        if response.status_code == 404:
            continue
        assert response.status_code == 200, (url, response.status_code)
        text = _body(response)
        assert not _hits(text), f"{url}: {_hits(text)}"
        checked += 1
    assert checked >= 15


@pytest.mark.django_db(transaction=True)
def test_no_personal_data_in_socket_payloads(world: dict[str, Any]) -> None:
    """The ticket socket replays the durable log (since=0): check every message."""
    from channels.testing import WebsocketCommunicator

    from project.asgi import application

    channel_layers.backends.clear()
    ticket = services.ticket_create(
        actor=actor_for(world["owner"], ip=PII["ip v4"]), title="Socket", service_code="snow",
        contact_email=PII["reporter e-mail"], contact_phone=PII["reporter phone"],
        contact_name=PII["reporter name"], **BOROUGH_POINT,
    )  # fmt: skip
    services.comment_create(actor=actor_for(world["owner"]), ticket_id=ticket.pk, body="hi")
    from moderation import services as moderation

    moderation.offer_create(
        actor=actor_for(world["outsider"]), message="help", contact=PII["offer contact"],
        ticket_id=ticket.pk,
    )  # fmt: skip

    async def replay() -> list[str]:
        comm = WebsocketCommunicator(
            application,
            f"/ws/tickets/{ticket.pk}/?since=0",
            headers=[(b"origin", b"http://testserver")],
        )
        connected, _ = await comm.connect(timeout=5)
        assert connected
        texts = []
        while not await comm.receive_nothing(timeout=0.5):
            output = await comm.receive_output(timeout=1)
            if output["type"] == "websocket.send":
                texts.append(output["text"])
        await comm.disconnect()
        return texts

    messages = async_to_sync(replay)()
    assert len(messages) >= 3  # hello, ticket.created, comment.created (and more)
    for text in messages:
        assert not _hits(text), f"socket: {_hits(text)} in {text[:200]}"
    channel_layers.backends.clear()
