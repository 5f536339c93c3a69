"""The API's edges parse what the services no longer parse: a 400 names each wrong field with
the write layer's message, and who may act is still checked before what was sent."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from moderation import services
from tests.conftest import actor_for, client_for
from tests.moderation.conftest import comment_on
from tickets.errors import InvalidInput

EVENT = {"name": "Storm", "slug": "storm", "starts_at": "2020-01-01T00:00:00Z"}


def test_who_before_what(world: dict[str, Any]) -> None:
    citizen = client_for(world["outsider"])
    assert citizen.post("/api/v1/events/", {}, format="json").status_code == 403
    assert citizen.post("/api/v1/moderation/trust/", {}, format="json").status_code == 403
    assert citizen.post("/api/v1/moderation/sanctions/", {}, format="json").status_code == 403


@pytest.mark.parametrize(
    ("extra", "field", "message"),
    [
        ({"starts_at": "nope"}, "starts_at", "Must be a date and time (ISO 8601)."),
        ({"slug": "bad slug"}, "slug", "Letters, digits, hyphens and underscores only."),
        ({"slow_mode_seconds": "abc"}, "slow_mode_seconds", "Between 0 and 86400 seconds."),
        ({"anonymous_comment_limit": 5000}, "anonymous_comment_limit", "Between 0 and 1000"),
        ({"premoderate_anonymous": "maybe"}, "premoderate_anonymous", "Must be true or false."),
        ({"ends_at": "2019-01-01T00:00:00Z"}, "ends_at", "The end must come after the start."),
        ({"area": {"type": "Point"}}, "area", "Polygon or MultiPolygon"),
        ({"name": "  "}, "name", "This field is required."),
    ],
)
def test_emergency_fields(
    world: dict[str, Any], extra: dict[str, Any], field: str, message: str
) -> None:
    answer = client_for(world["agent"]).post("/api/v1/events/", {**EVENT, **extra}, format="json")
    assert answer.status_code == 400
    assert message in answer.json()[field][0]


def test_emergency_form_spellings(world: dict[str, Any]) -> None:
    answer = client_for(world["agent"]).post(
        "/api/v1/events/",
        {**EVENT, "premoderate_anonymous": "on", "slow_mode_seconds": "30", "ends_at": ""},
    )
    assert answer.status_code == 201, answer.content
    data = answer.json()
    assert data["premoderate_anonymous"] is True and data["slow_mode_seconds"] == 30
    assert data["ends_at"] is None and data["starts_at"] == "2020-01-01T00:00:00Z"


@pytest.mark.parametrize(
    ("extra", "field", "message"),
    [
        ({"kind": "mute", "minutes": "abc"}, "minutes", "Must be a whole number of minutes."),
        ({"kind": "mute", "minutes": True}, "minutes", "Must be a whole number of minutes."),
        ({"kind": "mute", "minutes": 0}, "minutes", "Must be between 1 and 5256000 minutes."),
        ({"kind": "mute"}, "minutes", "A mute needs a duration in minutes."),
        ({"kind": "rate_limit", "limit_count": "x"}, "limit_count", "A rate limit needs"),
        ({"kind": "exile"}, "kind", "Kind must be mute, ban, shadowban or rate_limit."),
    ],
)
def test_sanction_fields(
    world: dict[str, Any], borough_ticket: Any, extra: dict[str, Any], field: str, message: str
) -> None:
    key = comment_on(borough_ticket, user=world["outsider"]).author.public_key
    answer = client_for(world["volunteer"]).post(
        "/api/v1/moderation/sanctions/",
        {"author_key": key, "reason": "r", **extra},
        format="json",
    )
    assert answer.status_code == 400
    assert message in answer.json()[field][0]


def test_limits_are_read_for_a_rate_limit_only(world: dict[str, Any], borough_ticket: Any) -> None:
    key = comment_on(borough_ticket, user=world["outsider"]).author.public_key
    answer = client_for(world["volunteer"]).post(
        "/api/v1/moderation/sanctions/",
        {"author_key": key, "kind": "ban", "reason": "r", "limit_count": "x"},
        format="json",
    )
    assert answer.status_code == 201 and answer.json()["limit_count"] is None


def test_text_is_text(world: dict[str, Any], borough_ticket: Any) -> None:
    comment = comment_on(borough_ticket, user=world["outsider"])
    agent = client_for(world["agent"])
    hide = f"/api/v1/comments/{comment.pk}/hide/"
    assert agent.post(hide, {"reason": 5}, format="json").json() == {"reason": ["Must be text."]}
    long = agent.post(hide, {"reason": "x" * 1001}, format="json").json()
    assert long == {"reason": ["At most 1000 characters (this has 1001)."]}
    assert agent.post(hide, [], format="json").json() == {
        "detail": "The body must be a JSON object."
    }


def test_audit_query(world: dict[str, Any]) -> None:
    admin = client_for(world["admin"])
    assert admin.get("/api/v1/moderation/audit/?limit=abc").json() == {
        "limit": ["Must be a whole number."]
    }
    assert admin.get("/api/v1/moderation/audit/?limit=5000&offset=-1").status_code == 200
    assert admin.get("/api/v1/moderation/audit/?format=csv&limit=abc").status_code == 200


def test_services_keep_the_domain_rules(world: dict[str, Any]) -> None:
    agent = actor_for(world["agent"])
    start = datetime(2020, 1, 1, tzinfo=UTC)
    with pytest.raises(InvalidInput) as refused:
        services.emergency_create(
            actor=agent, name="Storm", slug="storm", starts_at=start, ends_at=start
        )
    assert refused.value.field == "ends_at"
    emergency = services.emergency_create(actor=agent, name="Storm", slug="storm", starts_at=start)
    assert emergency.slug == "storm" and emergency.slow_mode_seconds == 0
