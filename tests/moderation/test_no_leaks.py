"""A volunteer's contact never leaks: scan every public answer, page, feed and export."""

from __future__ import annotations

from typing import Any

from django.test import Client
from django.urls import Resolver404, resolve

from tests.conftest import client_for
from tests.moderation.conftest import anon_client

CONTACT = "secret-contact-5550142@example.org"


def _public_urls(ticket_id: int, offer_id: int, comment_id: int) -> list[str]:
    urls = [
        "/api/v1/tickets/",
        f"/api/v1/tickets/{ticket_id}/",
        f"/api/v1/tickets/{ticket_id}/comments/",
        f"/api/v1/tickets/{ticket_id}/events/?since=0",
        f"/api/v1/tickets/{ticket_id}/offers/",
        f"/api/v1/offers/{offer_id}/",
        "/api/v1/events/",
        "/api/v1/events/storm/",
        "/",
        f"/tickets/{ticket_id}/",
        "/events/storm/",
        f"/feeds/tickets/{ticket_id}.rss",
        f"/feeds/tickets/{ticket_id}.atom",
        "/feeds/events/storm.rss",
        "/feeds/events/storm.atom",
        "/feeds/jurisdictions/old-port.rss",
        "/api/v1/exports/tickets.csv",
        "/api/v1/exports/tickets.geojson",
        "/open311/v2/requests.json",
        "/open311/v2/requests.xml",
        f"/open311/v2/requests/{ticket_id}.json",
    ]
    present = []
    for url in urls:
        try:
            resolve(url.split("?")[0])
        except Resolver404:
            continue
        present.append(url)
    return present


def test_contact_never_in_a_public_answer(world: dict[str, Any]) -> None:
    agent = client_for(world["agent"])
    agent.post(
        "/api/v1/events/",
        {"name": "Storm", "slug": "storm", "starts_at": "2020-01-01T00:00:00Z"},
        format="json",
    )
    ticket = (
        client_for(world["owner"])
        .post(
            "/api/v1/tickets/",
            {
                "title": "Ice",
                "service_code": "snow",
                "event": "storm",
                "lat": 45.505,
                "long": -73.552,
            },
            format="json",
        )
        .json()
    )
    comment = (
        client_for(world["owner"])
        .post(f"/api/v1/tickets/{ticket['id']}/comments/", {"body": "still icy"}, format="json")
        .json()
    )
    helper = anon_client("leaky-helper-cookie1", ip="192.0.2.77")
    offer = helper.post(
        f"/api/v1/tickets/{ticket['id']}/offers/",
        {"message": "I can salt it", "contact": CONTACT, "skills": "salt"},
        format="json",
    ).json()
    assert agent.get(f"/api/v1/offers/{offer['id']}/").json()["contact"] == CONTACT
    agent.post(f"/api/v1/offers/{offer['id']}/review/", {"decision": "accept"}, format="json")

    urls = _public_urls(ticket["id"], offer["id"], comment["id"])
    assert len(urls) >= 9
    viewers = {
        "anonymous": lambda: anon_client("viewer-cookie-000001", ip="192.0.2.78"),
        "citizen": lambda: client_for(world["outsider"]),
        "page-visitor": Client,
    }
    for name, make in viewers.items():
        for url in urls:
            answer = make().get(url)
            assert answer.status_code in (200, 302), (name, url, answer.status_code)
            if answer.streaming:
                body = b"".join(answer.streaming_content).decode()
            else:
                body = answer.content.decode()
            assert CONTACT not in body, (name, url)
            assert "5550142" not in body, (name, url)
    # ...while the people handling offers do see it.
    listed = agent.get(f"/api/v1/tickets/{ticket['id']}/offers/").json()
    assert listed[0]["contact"] == CONTACT
