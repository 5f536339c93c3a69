"""Open311 and a taken-down ticket: gone from `requests` (searches and by id) and
`requests/{id}` answers the standard's 404 error list, until it is restored."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from typing import Any

import pytest
from django.test import Client

from tests.conftest import actor_for
from tickets import services
from tickets.models import Ticket

pytestmark = pytest.mark.django_db

BASE = "/open311/v2"
TITLE = "Call Bob at 555-0142"


def ids_in(answer: Any) -> list[str]:
    assert answer.status_code == 200, answer.content
    return [r["service_request_id"] for r in json.loads(answer.content)]


def test_a_hidden_request_is_404_and_absent_then_back(
    world: dict[str, Any], make_ticket: Any
) -> None:
    ticket: Ticket = make_ticket(title="Pothole", description=TITLE)
    client = Client()
    rid = str(ticket.pk)
    assert rid in ids_in(client.get(f"{BASE}/requests.json"))
    assert client.get(f"{BASE}/requests/{rid}.json").status_code == 200

    agent = actor_for(world["agent"])
    services.ticket_set_visibility(
        actor=agent, ticket_id=ticket.pk, visibility="hidden", reason="phone number"
    )
    assert rid not in ids_in(client.get(f"{BASE}/requests.json"))
    assert rid not in ids_in(client.get(f"{BASE}/requests.json", {"service_request_id": rid}))
    answer = client.get(f"{BASE}/requests/{rid}.json")
    assert answer.status_code == 404
    error = json.loads(answer.content)
    assert error[0]["code"] == 404 and error[0]["description"]
    assert b"555-0142" not in answer.content
    xml = client.get(f"{BASE}/requests/{rid}.xml")
    assert xml.status_code == 404
    root = ET.fromstring(xml.content)
    assert root.tag == "errors" and root.findtext("error/code") == "404"
    assert b"555-0142" not in client.get(f"{BASE}/requests.xml").content

    services.ticket_set_visibility(
        actor=agent, ticket_id=ticket.pk, visibility="visible", reason="cleaned"
    )
    assert rid in ids_in(client.get(f"{BASE}/requests.json"))
    assert client.get(f"{BASE}/requests/{rid}.json").status_code == 200
