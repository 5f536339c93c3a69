"""CSV and GeoJSON exports: the list API's filters, streamed, public fields only."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import pytest
from django.test import AsyncClient, Client
from django.utils import timezone

from tests.conftest import CITY_POINT, actor_for
from tickets import exports, services
from tickets.models import Ticket

pytestmark = pytest.mark.django_db

SECRET = "hidden.person@example.net"


def body(answer: Any) -> str:
    assert answer.streaming
    return b"".join(answer.streaming_content).decode("utf-8")


def rows_of(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))


@pytest.fixture
def two(world: dict[str, Any], make_ticket: Any) -> dict[str, Ticket]:
    pothole = make_ticket(
        service_code="pothole",
        title='=HYPERLINK("http://evil")',
        answers={"depth": "deep", "callback": "after 6pm"},  # callback is a private answer
        contact_email=SECRET,
        contact_phone="+1-555-0100",
    )
    snow = make_ticket(title="Snow on Maple", **CITY_POINT)
    services.ticket_transition(
        actor=actor_for(world["agent"]), ticket_id=snow.pk, action="close", note="Ploughed"
    )
    return {"pothole": pothole, "snow": snow}


def test_csv_export_streams_public_fields(two: dict[str, Ticket]) -> None:
    answer = Client().get("/api/v1/exports/tickets.csv")
    assert answer.status_code == 200 and answer.streaming
    assert answer["Content-Type"].startswith("text/csv")
    text = body(answer)
    assert SECRET not in text and "555-0100" not in text and "after 6pm" not in text
    rows = rows_of(text)
    assert list(rows[0]) == exports.COLUMNS
    by_id = {int(r["id"]): r for r in rows}
    assert by_id[two["snow"].pk]["status"] == "closed"
    assert by_id[two["snow"].pk]["jurisdiction"] == "riverton"
    pothole = by_id[two["pothole"].pk]
    assert pothole["title"].startswith("'=")  # never a live spreadsheet formula
    assert json.loads(pothole["answers"]) == {"depth": "deep"}
    assert pothole["reporter"] == "Olive" and pothole["url"] == f"/tickets/{two['pothole'].pk}/"


def test_geojson_export_and_filters(two: dict[str, Ticket]) -> None:
    client = Client()
    answer = client.get("/api/v1/exports/tickets.geojson")
    assert answer.status_code == 200 and answer.streaming
    data = json.loads(body(answer))
    assert data["type"] == "FeatureCollection" and len(data["features"]) == 2
    feature = next(f for f in data["features"] if f["id"] == two["snow"].pk)
    assert feature["geometry"] == {
        "type": "Point",
        "coordinates": [CITY_POINT["long"], CITY_POINT["lat"]],
    }
    assert SECRET not in json.dumps(data)
    assert set(feature["properties"]) == set(exports.COLUMNS)
    closed = json.loads(body(client.get("/api/v1/exports/tickets.geojson?status=closed")))
    assert [f["id"] for f in closed["features"]] == [two["snow"].pk]
    borough = rows_of(body(client.get("/api/v1/exports/tickets.csv?jurisdiction=old-port")))
    assert [int(r["id"]) for r in borough] == [two["pothole"].pk]
    bbox = rows_of(body(client.get("/api/v1/exports/tickets.csv?bbox=-73.61,45.53,-73.59,45.55")))
    assert [int(r["id"]) for r in bbox] == [two["snow"].pk]
    found = rows_of(body(client.get("/api/v1/exports/tickets.csv", {"q": "maple"})))
    assert [int(r["id"]) for r in found] == [two["snow"].pk]
    empty = json.loads(body(client.get("/api/v1/exports/tickets.geojson?service_code=graffiti")))
    assert empty["features"] == []


@pytest.mark.parametrize(
    "query",
    ["status=pending", "bbox=1,2,3", "service_code=ufo", "event=nope", "updated_since=yesterday"],
)
def test_bad_filters_are_400_json(two: dict[str, Ticket], query: str) -> None:
    for kind in ("csv", "geojson"):
        answer = Client().get(f"/api/v1/exports/tickets.{kind}?{query}")
        assert answer.status_code == 400
        assert answer["Content-Type"] == "application/json"
        assert query.split("=")[0] in answer.json()


def test_only_get(two: dict[str, Ticket]) -> None:
    assert Client().post("/api/v1/exports/tickets.csv").status_code == 405


def test_thousands_of_tickets_stream_in_chunks(world: dict[str, Any], make_ticket: Any) -> None:
    """Volume fixture: bulk_create is for test data only (production writes go through
    services). The export reads in chunks of 2,000 rows and never builds the whole file."""
    template = make_ticket()
    now = timezone.now()
    fields = {
        f.attname: getattr(template, f.attname)
        for f in Ticket._meta.concrete_fields
        if not f.primary_key
    }
    Ticket.objects.bulk_create(
        [Ticket(**{**fields, "title": f"Bulk {n}", "created_at": now}) for n in range(4999)],
        batch_size=1000,
    )
    answer = Client().get("/api/v1/exports/tickets.csv")
    chunks = 0
    lines = 0
    for chunk in answer.streaming_content:
        chunks += 1
        lines += chunk.count(b"\r\n")
    assert lines == 5001  # header + 5,000 tickets
    assert chunks >= 20  # written as it is read, 200 rows a piece


@pytest.mark.django_db(transaction=True)
async def test_streams_asynchronously_under_asgi(two: dict[str, Ticket]) -> None:
    """Under daphne a sync iterator would be read into a list first: ours is async there."""
    answer = await AsyncClient().get("/api/v1/exports/tickets.geojson")
    assert answer.status_code == 200 and answer.is_async
    parts = [part async for part in answer.streaming_content]
    data = json.loads(b"".join(parts))
    assert len(data["features"]) == 2
