"""The notifications and alerts pages (issue 18): "2 minutes ago" in the reader's language,
and the alert area chosen on a map whose coordinates are the form's real fields."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from typing import Any

from django.test import Client
from django.utils import timezone

from notifications.models import AreaSubscription, Notification
from tests.conftest import actor_for
from tests.notifications.conftest import run_tasks
from tickets import services


def test_inbox_says_how_long_ago(world: Any, make_ticket: Any) -> None:
    ticket = make_ticket()
    services.comment_create(actor=actor_for(world["agent"]), ticket_id=ticket.pk, body="On it.")
    run_tasks()  # the worker writes the bell
    Notification.objects.filter(user=world["owner"]).update(
        created_at=timezone.now() - timedelta(minutes=2, seconds=10)
    )
    client = Client()
    client.force_login(world["owner"])
    times = re.findall(
        r'data-testid="notification-time">([^<]+)<', client.get("/notifications/").content.decode()
    )
    assert times == ["2\xa0minutes ago"]
    french = Client(HTTP_ACCEPT_LANGUAGE="fr")
    french.force_login(world["owner"])
    html = french.get("/notifications/").content.decode()
    assert re.findall(r'data-testid="notification-time">([^<]+)<', html) == ["il y a 2\xa0minutes"]
    assert 'class="notification-item unread"' in html


def map_data(html: str) -> dict[str, Any]:
    match = re.search(r'<script id="map-data" type="application/json">(.*?)</script>', html, re.S)
    assert match, "no map data"
    return dict(json.loads(match.group(1)))


def test_alerts_page_has_a_map_pre_centred_by_a_ticket(world: Any, make_ticket: Any) -> None:
    ticket = make_ticket()
    # The ticket page links to the alerts page, centred on the ticket.
    detail = Client().get(ticket.get_absolute_url()).content.decode()
    link = re.search(r'href="(/alerts/\?lat=[^"]+)" data-testid="alert-street-link"', detail)
    assert link, "no 'alert me about this street' link"
    html = Client().get(link.group(1).replace("&amp;", "&")).content.decode()
    assert 'data-testid="map"' in html and 'data-map="alerts"' in html
    assert map_data(html)["centre"] == {"lat": round(ticket.lat, 5), "long": round(ticket.long, 5)}
    # The coordinates stay the form's real field; nothing asks to "draw a rectangle".
    assert 'name="bbox"' in html and "draw a rectangle" not in html and "---------" not in html
    # Nonsense in the query is ignored.
    assert map_data(Client().get("/alerts/?lat=x&long=1").content.decode())["centre"] is None
    assert map_data(Client().get("/alerts/?lat=100&long=1").content.decode())["centre"] is None


def test_the_map_area_subscribes_and_type_names_are_french(world: Any, outbox: list) -> None:
    french = Client(HTTP_ACCEPT_LANGUAGE="fr")
    html = french.get("/alerts/").content.decode()
    assert "Nid-de-poule" in html and "Rue non déneigée" in html
    answer = french.post(
        "/alerts/",
        {"email": "rue@example.net", "bbox": "-73.5601,45.5043,-73.5512,45.5101"},
    )
    assert answer.status_code == 200
    sub = AreaSubscription.objects.get(email="rue@example.net")
    assert (sub.min_long, sub.min_lat, sub.max_long, sub.max_lat) == (
        -73.5601,
        45.5043,
        -73.5512,
        45.5101,
    )
    too_large = french.post("/alerts/", {"email": "big@example.net", "bbox": "-75,44,-72,47"})
    assert "Cette zone est trop grande" in too_large.content.decode()
