"""The permission matrix, cell by cell: anonymous, citizen, trusted volunteer, city agent,
borough agent, admin — on a ticket in the borough (both agents act) and one in the city only
(the borough agent does not)."""

from __future__ import annotations

from typing import Any

import pytest

from moderation import services as mod
from tests.conftest import actor_for
from tests.moderation.conftest import ROLES, comment_on, role_client
from tickets import services
from tickets.models import Comment

EVERYWHERE = {"volunteer", "agent", "admin"}
ALLOWED_ON = {"borough": EVERYWHERE | {"borough-agent"}, "city": EVERYWHERE}


def _comment_for(action: str, ticket: Any) -> Comment:
    comment = comment_on(ticket, "Something to moderate", user=None, anon="writer-token-0000001")
    if action == "restore":
        services.comment_set_visibility(comment_id=comment.pk, visibility="hidden", reason="x")
    elif action in ("approve", "reject"):
        services.comment_set_visibility(comment_id=comment.pk, visibility="held", reason="x")
    elif action == "dismiss":
        mod.flag_create(
            actor=actor_for(anon="flagger-token-000001", ip="192.0.2.1"),
            comment_id=comment.pk,
            reason="spam",
        )
    return comment


@pytest.mark.parametrize("place", ["borough", "city"])
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("action", ["hide", "restore", "approve", "reject", "dismiss"])
def test_comment_actions(
    world: dict[str, Any],
    borough_ticket: Any,
    city_ticket: Any,
    action: str,
    role: str,
    place: str,
) -> None:
    ticket = borough_ticket if place == "borough" else city_ticket
    comment = _comment_for(action, ticket)
    if action in ("hide", "restore"):
        url = f"/api/v1/comments/{comment.pk}/{action}/"
    else:
        url = f"/api/v1/moderation/items/{comment.pk}/{action}/"
    answer = role_client(world, role).post(url, {"reason": "matrix"}, format="json")
    allowed = role in ALLOWED_ON[place]
    assert answer.status_code == (200 if allowed else 403), (role, place, answer.content)
    comment.refresh_from_db()
    expected = {
        "hide": "hidden",
        "restore": "visible",
        "approve": "visible",
        "reject": "hidden",
        "dismiss": "visible",
    }[action]
    before = {"restore": "hidden", "approve": "held", "reject": "held"}.get(action, "visible")
    assert comment.visibility == (expected if allowed else before)


@pytest.mark.parametrize("role", ROLES)
def test_queue_access_and_scope(
    world: dict[str, Any], borough_ticket: Any, city_ticket: Any, role: str
) -> None:
    in_borough = _comment_for("approve", borough_ticket)
    in_city = _comment_for("approve", city_ticket)
    answer = role_client(world, role).get("/api/v1/moderation/queue/")
    if role in ("anonymous", "citizen"):
        assert answer.status_code == 403
        return
    assert answer.status_code == 200
    ids = {item["comment"]["id"] for item in answer.json()["results"]}
    assert in_borough.pk in ids
    assert (in_city.pk in ids) == (role != "borough-agent")


@pytest.mark.parametrize("role", ROLES)
def test_sanctions(world: dict[str, Any], borough_ticket: Any, role: str) -> None:
    target = comment_on(borough_ticket, "troll", user=world["citizen"])
    answer = role_client(world, role).post(
        "/api/v1/moderation/sanctions/",
        {"author_key": target.author.public_key, "kind": "mute", "minutes": 5, "reason": "r"},
        format="json",
    )
    allowed = role not in ("anonymous", "citizen")
    assert answer.status_code == (201 if allowed else 403), answer.content


@pytest.mark.parametrize("role", ROLES)
def test_only_admins_sanction_staff(world: dict[str, Any], borough_ticket: Any, role: str) -> None:
    staff = comment_on(borough_ticket, "official", user=world["borough-agent"])
    answer = role_client(world, role).post(
        "/api/v1/moderation/sanctions/",
        {"author_key": staff.author.public_key, "kind": "ban", "reason": "r"},
        format="json",
    )
    assert answer.status_code == (201 if role == "admin" else 403)


@pytest.mark.parametrize("role", ROLES)
def test_declare_event(world: dict[str, Any], role: str) -> None:
    answer = role_client(world, role).post(
        "/api/v1/events/",
        {"name": "Storm", "slug": f"storm-{role}", "starts_at": "2026-01-01T00:00:00Z"},
        format="json",
    )
    allowed = role in ("agent", "borough-agent", "admin")
    assert answer.status_code == (201 if allowed else 403), answer.content


@pytest.mark.parametrize("role", ROLES)
def test_grant_trust(world: dict[str, Any], role: str) -> None:
    answer = role_client(world, role).post(
        "/api/v1/moderation/trust/",
        {"username": "citizen", "reason": "helped all winter"},
        format="json",
    )
    allowed = role in ("agent", "borough-agent", "admin")
    assert answer.status_code == (201 if allowed else 403), answer.content
    assert world["citizen"].groups.filter(name="Trusted volunteers").exists() == allowed


@pytest.mark.parametrize("place", ["borough", "city"])
@pytest.mark.parametrize("role", ROLES)
def test_review_offer(
    world: dict[str, Any], borough_ticket: Any, city_ticket: Any, role: str, place: str
) -> None:
    ticket = borough_ticket if place == "borough" else city_ticket
    offer = mod.offer_create(
        actor=actor_for(anon="helper-token-0000001"),
        ticket_id=ticket.pk,
        message="I have a shovel",
        contact="555-0100",
    )
    answer = role_client(world, role).post(
        f"/api/v1/offers/{offer.pk}/review/", {"decision": "accept"}, format="json"
    )
    allowed = role in ALLOWED_ON[place]
    assert answer.status_code == (200 if allowed else 403), answer.content


@pytest.mark.parametrize("role", ROLES)
def test_read_audit(world: dict[str, Any], role: str) -> None:
    answer = role_client(world, role).get("/api/v1/moderation/audit/")
    assert answer.status_code == (403 if role in ("anonymous", "citizen") else 200)


@pytest.mark.parametrize("role", ROLES)
def test_flag_anyone(world: dict[str, Any], borough_ticket: Any, role: str) -> None:
    comment = comment_on(borough_ticket, "flag me", user=world["owner"])
    answer = role_client(world, role).post(
        f"/api/v1/comments/{comment.pk}/flag/", {"reason": "off_topic"}, format="json"
    )
    assert answer.status_code == 201, answer.content


@pytest.mark.parametrize("role", ROLES)
def test_moderation_page(world: dict[str, Any], role: str) -> None:
    from django.test import Client

    client = Client()
    if role != "anonymous":
        client.force_login(world["outsider"] if role == "citizen" else world[role])
    answer = client.get("/moderation/")
    if role == "anonymous":
        assert answer.status_code == 302 and "/accounts/login/" in answer["Location"]
    else:
        assert answer.status_code == (403 if role == "citizen" else 200)


@pytest.mark.parametrize("place", ["borough", "city"])
@pytest.mark.parametrize("role", ROLES)
def test_is_moderator_for_matches_the_matrix_and_asks_each_answer_once(
    world: dict[str, Any], place: str, role: str
) -> None:
    """The same cells as above, asked of `is_moderator_for` on a fresh user object: at most
    its two queries (the volunteers' group, the agent's jurisdictions), none when asked again,
    and none for an agent whose jurisdictions this request already read (their comment did)."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import AnonymousUser
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tickets import permissions

    jurisdiction = world["old_port"] if place == "borough" else world["city"]
    username = {"anonymous": None, "citizen": "outsider"}.get(role, role)
    fresh = get_user_model().objects.get(username=username) if username else AnonymousUser()
    with CaptureQueriesContext(connection) as first:
        allowed = permissions.is_moderator_for(fresh, jurisdiction.pk)
    assert allowed == (role in ALLOWED_ON[place])
    assert len(first) <= 2
    with CaptureQueriesContext(connection) as again:
        assert permissions.is_moderator_for(fresh, jurisdiction.pk) == allowed
    assert len(again) == 0
    if role in ("agent", "borough-agent") and allowed:
        agent = get_user_model().objects.get(username=role)
        permissions.agent_jurisdiction_ids(agent)  # what their comment's write asked
        with CaptureQueriesContext(connection) as after_a_write:
            assert permissions.is_moderator_for(agent, jurisdiction.pk)
        assert len(after_a_write) == 0
