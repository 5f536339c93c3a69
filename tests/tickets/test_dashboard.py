"""The agents' dashboard: who may see it, the queue (oldest first, filterable, constant query
count), the KPIs, the 30-day chart, and bulk acknowledge / close with per-ticket failures."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.conftest import BOROUGH_POINT, CITY_POINT, actor_for
from tickets import dashboard, services
from tickets.models import Ticket

pytestmark = pytest.mark.django_db


def logged_in(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_only_agents_see_the_dashboard(world: Any) -> None:
    anonymous = Client().get("/dashboard/")
    assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"]
    assert logged_in(world["citizen"]).get("/dashboard/").status_code == 403
    assert logged_in(world["agent"]).get("/dashboard/").status_code == 200
    assert logged_in(world["admin"]).get("/dashboard/").status_code == 200
    assert logged_in(world["citizen"]).get("/dashboard/queue/").status_code == 403
    assert logged_in(world["citizen"]).post("/dashboard/bulk/").status_code == 403


def test_queue_kpis_and_chart(world: Any, make_ticket: Any) -> None:
    agent = actor_for(world["agent"])
    first = make_ticket(title="Oldest pothole")
    second = make_ticket(title="Newer ice", **CITY_POINT)
    done = make_ticket(title="Fixed already", service_code="graffiti")
    services.ticket_transition(actor=agent, ticket_id=second.pk, action="acknowledge")
    services.ticket_transition(actor=agent, ticket_id=done.pk, action="close")
    Ticket.objects.filter(pk=first.pk).update(created_at=timezone.now() - timedelta(days=2))
    html = logged_in(world["agent"]).get("/dashboard/").content.decode()
    rows = re.findall(r'data-testid="queue-row" data-ticket-id="(\d+)"', html)
    assert rows == [str(first.pk), str(second.pk)]  # oldest first, closed ones left out
    assert 'data-testid="kpis"' in html and 'data-testid="kpi-ack"' in html
    assert 'data-testid="per-type"' in html
    assert '<svg class="chart" data-testid="chart"' in html
    assert html.count('class="bar-opened"') == dashboard.CHART_DAYS
    today = timezone.localdate().isoformat()
    assert re.search(rf'data-day="{today}" data-opened="2" data-closed="1"', html)
    assert "/ws/feed/?jurisdiction=" in html  # live

    numbers = dashboard.kpis([j.pk for j in dashboard._scope(world["agent"])], now=timezone.now())
    assert numbers["open"] == 1 and numbers["acknowledged"] == 1
    assert numbers["median_ack_seconds"] is not None and numbers["median_close_seconds"] >= 0
    assert {row["service_type__code"]: row["n"] for row in numbers["per_type"]} == {"snow": 2}


def test_queue_filters(world: Any, make_ticket: Any) -> None:
    snow = make_ticket(title="Snow here", service_code="snow")
    graffiti = make_ticket(title="Tags there", service_code="graffiti", **CITY_POINT)
    client = logged_in(world["agent"])
    html = client.get("/dashboard/queue/", {"service_code": "graffiti"}).content.decode()
    assert f'data-ticket-id="{graffiti.pk}"' in html and f'data-ticket-id="{snow.pk}"' not in html
    services.ticket_transition(
        actor=actor_for(world["agent"]), ticket_id=snow.pk, action="acknowledge"
    )
    html = client.get("/dashboard/queue/", {"status": "acknowledged"}).content.decode()
    assert f'data-ticket-id="{snow.pk}"' in html and f'data-ticket-id="{graffiti.pk}"' not in html
    html = client.get("/dashboard/queue/", {"jurisdiction": "old-port"}).content.decode()
    assert f'data-ticket-id="{graffiti.pk}"' not in html


def test_queue_query_count_does_not_grow_per_row(world: Any, make_ticket: Any) -> None:
    client = logged_in(world["agent"])
    make_ticket(title="One")
    client.get("/dashboard/")
    with CaptureQueriesContext(connection) as few:
        client.get("/dashboard/")
    for i in range(6):
        make_ticket(title=f"More {i}", actor=actor_for(world["admin"]), **BOROUGH_POINT)
    with CaptureQueriesContext(connection) as many:
        client.get("/dashboard/")
    assert len(many) == len(few)


def test_bulk_acknowledge_and_close_report_failures(world: Any, make_ticket: Any) -> None:
    a = make_ticket(title="First")
    b = make_ticket(title="Second")
    client = logged_in(world["agent"])
    answer = client.post(
        "/dashboard/bulk/",
        {"tickets": [a.pk, b.pk], "action": "acknowledge", "note": "On it", "next": "/dashboard/"},
        follow=True,
    )
    assert answer.redirect_chain[-1] == ("/dashboard/", 303)
    assert "2 tickets acknowledged." in answer.content.decode()
    a.refresh_from_db()
    assert a.status == "acknowledged"
    assert a.status_changes.last().note == "On it"
    # Closing one already closed fails for that ticket only, and says so.
    services.ticket_transition(actor=actor_for(world["agent"]), ticket_id=b.pk, action="close")
    answer = client.post(
        "/dashboard/bulk/", {"tickets": [a.pk, b.pk], "action": "close"}, follow=True
    )
    html = answer.content.decode()
    assert "1 ticket closed." in html
    assert f"#{b.pk} was not changed" in html
    a.refresh_from_db()
    assert a.status == "closed"


def test_bulk_respects_permissions_per_ticket(world: Any, make_ticket: Any) -> None:
    inside = make_ticket(title="Borough ticket")
    client = logged_in(world["borough-agent"])
    city = make_ticket(title="City only", **CITY_POINT)
    html = client.post(
        "/dashboard/bulk/", {"tickets": [inside.pk, city.pk], "action": "acknowledge"}, follow=True
    ).content.decode()
    city.refresh_from_db()
    inside.refresh_from_db()
    assert inside.status == "acknowledged"
    assert city.status == "open"
    assert f"#{city.pk} was not changed" in html
    # The borough agent's queue holds the borough's tickets only.
    html = client.get("/dashboard/").content.decode()
    assert f'data-ticket-id="{city.pk}"' not in html
