"""Emergencies: declare, edit and end (API and the console's form), bad input named, the audit
entry of each change, and tickets joining an event (explicitly or by its area)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from moderation.models import AuditEntry
from moderation.services import emergency_create
from tests.conftest import BOROUGH_POINT, CITY_POINT, UNIVERSITY_POINT, actor_for
from tests.moderation.conftest import role_client
from tickets.errors import InvalidInput
from tickets.management.commands.seed_demo import OLD_PORT
from tickets.models import EmergencyEvent

pytestmark = pytest.mark.django_db

SQUARE = {
    "type": "Polygon",
    "coordinates": [
        [[-73.61, 45.53], [-73.59, 45.53], [-73.59, 45.55], [-73.61, 45.55], [-73.61, 45.53]]
    ],
}  # holds CITY_POINT only


def body(**overrides: Any) -> dict[str, Any]:
    now = timezone.now()
    return {
        "name": "Snowstorm",
        "slug": "snowstorm",
        "starts_at": (now - timedelta(hours=1)).isoformat(),
        "ends_at": (now + timedelta(days=1)).isoformat(),
        "premoderate_anonymous": True,
        "slow_mode_seconds": 30,
        **overrides,
    }


def declare(world: dict[str, Any], **fields: Any) -> EmergencyEvent:
    now = timezone.now()
    values: dict[str, Any] = {
        "name": "Storm",
        "slug": "storm",
        "starts_at": now - timedelta(hours=1),
        "ends_at": now + timedelta(hours=5),
        **fields,
    }
    return emergency_create(actor=actor_for(world["admin"]), **values)


# --- The API ---------------------------------------------------------------------------------


def test_agent_declares_edits_and_ends_with_an_audit_entry_each(world: dict[str, Any]) -> None:
    agent = role_client(world, "agent")
    created = agent.post("/api/v1/events/", body(jurisdiction="riverton"), format="json")
    assert created.status_code == 201, created.json()
    assert created.json()["jurisdiction"] == "riverton"
    assert created.json()["url"] == "/events/snowstorm/"

    edited = agent.patch(
        "/api/v1/events/snowstorm/",
        {"name": "Big snowstorm", "slow_mode_seconds": 60},
        format="json",
    )
    assert edited.status_code == 200, edited.json()
    assert edited.json()["name"] == "Big snowstorm"
    assert edited.json()["slow_mode_seconds"] == 60
    assert edited.json()["premoderate_anonymous"] is True  # not sent: unchanged
    assert edited.json()["jurisdiction"] == "riverton"

    ended = agent.post("/api/v1/events/snowstorm/end/", {}, format="json")
    assert ended.status_code == 200
    assert ended.json()["active"] is False
    assert agent.post("/api/v1/events/snowstorm/end/", {}, format="json").status_code == 409

    actions = list(
        AuditEntry.objects.filter(target_type="event", target_id="snowstorm")
        .order_by("at", "id")
        .values_list("action", flat=True)
    )
    assert actions == ["event.create", "event.update", "event.end"]
    update = AuditEntry.objects.get(action="event.update")
    assert update.before["name"] == "Snowstorm" and update.after["name"] == "Big snowstorm"


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"ends_at": (timezone.now() - timedelta(days=3)).isoformat()}, "ends_at"),
        ({"slug": "not a slug!"}, "slug"),
        ({"slow_mode_seconds": -5}, "slow_mode_seconds"),
        ({"jurisdiction": "atlantis"}, "jurisdiction"),
        ({"area": "{not json"}, "area"),
        ({"area": {"type": "Point", "coordinates": [0, 0]}}, "area"),
        # unclosed ring (Shapely would close it silently; GeoJSON requires it closed)
        ({"area": {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 1]]]}}, "area"),
        ({"area": {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [0, 0]]]}}, "area"),
        # a bow tie: the ring crosses itself
        (
            {
                "area": {
                    "type": "Polygon",
                    "coordinates": [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]],
                }
            },
            "area",
        ),
        ({"area": SQUARE, "jurisdiction": "riverton"}, "area"),
    ],
)
def test_bad_input_is_a_400_naming_the_field(
    world: dict[str, Any], overrides: dict[str, Any], field: str
) -> None:
    answer = role_client(world, "admin").post("/api/v1/events/", body(**overrides), format="json")
    assert answer.status_code == 400, answer.content
    assert field in answer.json(), answer.json()
    assert not EmergencyEvent.objects.exists()


def test_patch_bad_input_is_named_too(world: dict[str, Any]) -> None:
    declare(world)
    admin = role_client(world, "admin")
    before = (timezone.now() - timedelta(days=9)).isoformat()
    assert (
        "ends_at" in admin.patch("/api/v1/events/storm/", {"ends_at": before}, format="json").json()
    )
    answer = admin.patch("/api/v1/events/storm/", {"area": {"type": "Polygon"}}, format="json")
    assert answer.status_code == 400 and "area" in answer.json()
    for field in ("starts_at", "name"):
        answer = admin.patch("/api/v1/events/storm/", {field: None}, format="json")
        assert answer.status_code == 400 and field in answer.json(), answer.content


def test_who_may_declare_edit_and_end(world: dict[str, Any]) -> None:
    for role in ("anonymous", "citizen", "volunteer"):
        answer = role_client(world, role).post(
            "/api/v1/events/", body(slug=f"s-{role}"), format="json"
        )
        assert answer.status_code == 403, role
    # An agent of the borough cannot declare over the whole city, nor touch a city event.
    borough = role_client(world, "borough-agent")
    assert (
        borough.post("/api/v1/events/", body(jurisdiction="riverton"), format="json").status_code
        == 403
    )
    declare(world, jurisdiction="riverton")
    assert borough.patch("/api/v1/events/storm/", {"name": "x"}, format="json").status_code == 403
    assert borough.post("/api/v1/events/storm/end/", {}, format="json").status_code == 403
    assert (
        role_client(world, "citizen")
        .patch("/api/v1/events/storm/", {"name": "x"}, format="json")
        .status_code
        == 403
    )
    # ...but declares in its own borough.
    ok = borough.post(
        "/api/v1/events/", body(slug="port-flood", jurisdiction="old-port"), format="json"
    )
    assert ok.status_code == 201


# --- Tickets join events -------------------------------------------------------------------


def test_a_ticket_inside_a_drawn_area_joins_outside_does_not(
    world: dict[str, Any], make_ticket: Any
) -> None:
    declare(world, area=SQUARE)
    inside = make_ticket(service_code="snow", **CITY_POINT)
    outside = make_ticket(**BOROUGH_POINT)
    assert inside.emergency_slug == "storm"
    assert outside.event is None


def test_a_ticket_in_the_chosen_jurisdiction_joins(world: dict[str, Any], make_ticket: Any) -> None:
    declare(world, jurisdiction="old-port")
    assert make_ticket(**BOROUGH_POINT).emergency_slug == "storm"
    assert make_ticket(service_code="snow", **CITY_POINT).event is None
    declare(world, slug="citywide", jurisdiction="riverton")  # descendants are inside the city
    assert make_ticket(service_code="snow", **UNIVERSITY_POINT).emergency_slug == "citywide"


def test_ended_or_future_events_take_no_tickets(world: dict[str, Any], make_ticket: Any) -> None:
    now = timezone.now()
    declare(
        world, area=OLD_PORT, starts_at=now - timedelta(days=2), ends_at=now - timedelta(days=1)
    )
    declare(world, slug="later", area=OLD_PORT, starts_at=now + timedelta(days=1), ends_at=None)
    assert make_ticket(**BOROUGH_POINT).event is None


def test_an_explicit_event_must_exist_and_be_in_effect(
    world: dict[str, Any], make_ticket: Any
) -> None:
    storm = declare(world)  # no area: joined only on purpose
    assert make_ticket(event="storm").event == storm
    assert make_ticket(event=storm).event == storm  # the model itself, as the report form passes
    assert make_ticket(event=storm.pk).event == storm
    with pytest.raises(InvalidInput) as unknown:
        make_ticket(event="nope")
    assert unknown.value.field == "event"
    emergency_create(
        actor=actor_for(world["admin"]),
        name="Past",
        slug="past",
        starts_at=timezone.now() - timedelta(days=3),
        ends_at=timezone.now() - timedelta(days=2),
    )
    with pytest.raises(InvalidInput) as past:
        make_ticket(event="past")
    assert past.value.field == "event"


def test_api_and_open311_reports_join_by_area(world: dict[str, Any]) -> None:
    declare(world, area=OLD_PORT)
    answer = role_client(world, "citizen").post(
        "/api/v1/tickets/",
        {"title": "Ice", "service_code": "snow", **BOROUGH_POINT},
        format="json",
    )
    assert answer.status_code == 201, answer.json()
    assert answer.json()["event"] == "storm"


# --- The console's form --------------------------------------------------------------------


def form_client(world: dict[str, Any], who: str = "agent") -> Client:
    client = Client()
    client.force_login(world[who])
    return client


def form_body(**overrides: Any) -> dict[str, Any]:
    now = timezone.localtime()
    return {
        "name": "Ice storm",
        "slug": "ice-storm",
        "starts_at": (now - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
        "ends_at": (now + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M"),
        "jurisdiction": "",
        "area": "",
        "slow_mode_seconds": "20",
        **overrides,
    }


def test_the_form_declares_and_lands_on_the_event_page(world: dict[str, Any]) -> None:
    client = form_client(world)
    page = client.get("/moderation/events/new/")
    assert page.status_code == 200
    assert b'data-testid="event-form"' in page.content and b'type="datetime-local"' in page.content
    import json

    answer = client.post("/moderation/events/new/", form_body(area=json.dumps(SQUARE)))
    assert answer.status_code == 303 and answer["Location"] == "/events/ice-storm/"
    emergency = EmergencyEvent.objects.get(slug="ice-storm")
    assert emergency.area == SQUARE and emergency.slow_mode_seconds == 20 and emergency.is_active()
    assert AuditEntry.objects.filter(action="event.create", target_id="ice-storm").exists()


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"ends_at": "2020-01-01T00:00"}, "ends_at"),
        ({"slow_mode_seconds": "-3"}, "slow_mode_seconds"),
        ({"slug": "bad slug"}, "slug"),
        ({"jurisdiction": "atlantis"}, "jurisdiction"),
        ({"area": '{"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1]]]}'}, "area"),
        ({"area": "not json"}, "area"),
    ],
)
def test_the_form_names_the_wrong_field(
    world: dict[str, Any], overrides: dict[str, Any], field: str
) -> None:
    answer = form_client(world).post("/moderation/events/new/", form_body(**overrides))
    assert answer.status_code == 400
    assert f'data-error-for="{field}"'.encode() in answer.content
    assert not EmergencyEvent.objects.exists()


def test_the_form_edits_and_ends(world: dict[str, Any]) -> None:
    declare(world, jurisdiction="riverton")
    client = form_client(world)
    page = client.get("/moderation/events/storm/edit/")
    assert page.status_code == 200 and b"Storm" in page.content
    answer = client.post(
        "/moderation/events/storm/edit/", form_body(name="Storm, day 2", jurisdiction="riverton")
    )
    assert answer.status_code == 303 and answer["Location"] == "/events/storm/"
    emergency = EmergencyEvent.objects.get(slug="storm")
    assert emergency.name == "Storm, day 2" and emergency.jurisdiction is not None
    assert client.post("/moderation/events/storm/end/").status_code == 303
    assert not EmergencyEvent.objects.get(slug="storm").is_active()
    assert list(
        AuditEntry.objects.filter(target_id="storm")
        .order_by("at", "id")
        .values_list("action", flat=True)
    ) == ["event.create", "event.update", "event.end"]


def test_the_form_is_for_agents_and_admins(world: dict[str, Any]) -> None:
    assert Client().get("/moderation/events/new/").status_code == 302  # to the login page
    assert form_client(world, "volunteer").get("/moderation/events/new/").status_code == 403
    assert (
        form_client(world, "owner").post("/moderation/events/new/", form_body()).status_code == 403
    )
    assert not EmergencyEvent.objects.exists()
