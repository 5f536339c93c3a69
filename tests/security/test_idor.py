"""IDOR: every object endpoint called by the wrong person — another citizen, an agent of
another jurisdiction (the borough's agent on a university ticket), a volunteer without trust,
anonymous — is refused (401/403/404, or 302 to the login for pages) and leaks nothing: no
secret planted in the objects appears in the answer, and nothing changes.

To cover a new endpoint, add a row to SURFACES."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from rest_framework.test import APIClient

from notifications.models import Notification
from tests.conftest import UNIVERSITY_POINT, actor_for
from tests.notifications.conftest import run_tasks
from tests.security.conftest import route_exists
from tickets import services
from tickets.models import Comment, Ticket

WRONG_PEOPLE = ["outsider", "borough_agent", "untrusted_volunteer", "anonymous"]
SECRETS = ["SECRET-HIDDEN", "SECRET-CONTACT", "SECRET-SANCTION", "owner@example.org",
           "private-contact@example.net"]  # fmt: skip


# Cells known to leak, reported to the feature's owner; each has a strict xfail test below so
# that the fix is noticed (and this entry removed).
KNOWN_LEAKS: dict[tuple[str, str], str] = {}


@dataclass
class Surface:
    name: str
    method: str
    url: str  # formatted with the planted objects
    body: dict[str, Any] = field(default_factory=dict)
    # People for whom the call is legitimately allowed (then only the leak check applies).
    allowed: tuple[str, ...] = ()
    page: bool = False


SURFACES = [
    Surface("transition", "post", "/api/v1/tickets/{ticket}/transitions/", {"action": "acknowledge"}),
    Surface("transition page", "post", "/tickets/{ticket}/transition/", {"action": "acknowledge"},
            page=True),
    Surface("hide comment", "post", "/api/v1/comments/{comment}/hide/", {"reason": "no"}),
    Surface("restore comment", "post", "/api/v1/comments/{hidden}/restore/", {"reason": "no"}),
    Surface("moderation queue", "get", "/api/v1/moderation/queue/", allowed=("borough_agent",)),
    Surface("moderate item", "post", "/api/v1/moderation/items/{comment}/dismiss/",
            {"reason": "x"}),
    Surface("offer review", "post", "/api/v1/offers/{offer}/review/", {"decision": "accept"}),
    Surface("offer withdraw", "post", "/api/v1/offers/{offer}/withdraw/", {"reason": "x"}),
    Surface("offer detail", "get", "/api/v1/offers/{offer}/"),
    Surface("ticket offers", "get", "/api/v1/tickets/{ticket}/offers/",
            allowed=tuple(WRONG_PEOPLE)),
    Surface("sanction", "post", "/api/v1/moderation/sanctions/",
            {"author_key": "{owner_key}", "kind": "ban", "reason": "x"}, allowed=("borough_agent",)),
    Surface("sanction list", "get", "/api/v1/moderation/sanctions/", allowed=("borough_agent",)),
    Surface("sanction revoke", "post", "/api/v1/moderation/sanctions/{sanction}/revoke/",
            {"reason": "x"}, allowed=("borough_agent",)),
    Surface("trust grant", "post", "/api/v1/moderation/trust/",
            {"username": "citizen", "reason": "x"}, allowed=("borough_agent",)),
    Surface("audit log", "get", "/api/v1/moderation/audit/", allowed=("borough_agent",)),
    Surface("declare event", "post", "/api/v1/events/",
            {"name": "X", "slug": "x-idor", "starts_at": "2030-01-01T00:00:00Z"},
            allowed=("borough_agent",)),
    Surface("comments of the ticket", "get", "/api/v1/tickets/{ticket}/comments/",
            allowed=tuple(WRONG_PEOPLE)),
    Surface("ticket", "get", "/api/v1/tickets/{ticket}/", allowed=tuple(WRONG_PEOPLE)),
    Surface("ticket events", "get", "/api/v1/tickets/{ticket}/events/?since=0",
            allowed=tuple(WRONG_PEOPLE)),
    Surface("notifications", "get", "/api/v1/notifications/", allowed=tuple(WRONG_PEOPLE)),
    # Scoped to the caller: someone else's id is a no-op ({"marked": 0}), checked below.
    Surface("notification read", "post", "/api/v1/notifications/{notification}/read/",
            allowed=tuple(WRONG_PEOPLE[:3])),
    Surface("moderation page", "get", "/moderation/", page=True, allowed=("borough_agent",)),
    Surface("dashboard", "get", "/dashboard/", page=True, allowed=("borough_agent",)),
    Surface("ticket page", "get", "/tickets/{ticket}/", page=True, allowed=tuple(WRONG_PEOPLE)),
]  # fmt: skip


@pytest.fixture
def planted(world: dict[str, Any], make_ticket: Any) -> dict[str, Any]:
    from moderation import services as moderation

    owner, admin = world["owner"], world["admin"]
    ticket = make_ticket(
        actor_for(owner),
        service_code="campus-access",
        contact_email="private-contact@example.net",
        **UNIVERSITY_POINT,
    )
    assert ticket.jurisdiction.slug == "riverton-university"
    comment = services.comment_create(actor=actor_for(owner), ticket_id=ticket.pk, body="Hello")
    moderation.flag_create(actor=actor_for(world["outsider"]), comment_id=comment.pk,
                           reason="spam", details="")  # fmt: skip
    hidden = services.comment_create(
        actor=actor_for(owner), ticket_id=ticket.pk, body="SECRET-HIDDEN text"
    )
    moderation.comment_moderate(
        actor=actor_for(admin), comment_id=hidden.pk, action="hide", reason="abuse"
    )
    offer = moderation.offer_create(
        actor=actor_for(owner), message="I can help", contact="SECRET-CONTACT 555-0100",
        ticket_id=ticket.pk,
    )  # fmt: skip
    target = services.comment_create(
        actor=actor_for(anon="a" * 24), ticket_id=ticket.pk, body="troll"
    ).author
    sanction = moderation.sanction_create(
        actor=actor_for(admin), author_key=target.public_key, kind="mute", minutes=5,
        reason="SECRET-SANCTION",
    )  # fmt: skip
    run_tasks()  # the worker writes the bell's notifications
    notification = Notification.objects.filter(user=owner).first()
    assert notification is not None, "the owner's bell got nothing"
    untrusted = get_user_model().objects.create_user("untrusted", "u@example.org", "pw-untrusted-1")
    return {
        "ticket": ticket.pk,
        "comment": comment.pk,
        "hidden": hidden.pk,
        "offer": offer.pk,
        "sanction": sanction.pk,
        "notification": notification.pk,
        "owner_key": comment.author.public_key,
        "people": {
            "outsider": world["outsider"],
            "borough_agent": get_user_model().objects.get(username="borough-agent"),
            "untrusted_volunteer": untrusted,
            "anonymous": None,
        },
    }


def _fill(value: Any, planted: dict[str, Any]) -> Any:
    if isinstance(value, str):
        return value.format(**planted)
    if isinstance(value, dict):
        return {k: _fill(v, planted) for k, v in value.items()}
    return value


def _state(planted: dict[str, Any], who: str) -> tuple[Any, ...]:
    from moderation.models import Offer, Sanction

    ticket = Ticket.objects.get(pk=planted["ticket"])
    return (
        ticket.status,
        Comment.objects.get(pk=planted["comment"]).visibility,
        Comment.objects.get(pk=planted["hidden"]).visibility,
        Offer.objects.get(pk=planted["offer"]).status,
        # Any moderator may revoke a sanction (the borough's agent too).
        None if who == "borough_agent" else Sanction.objects.get(pk=planted["sanction"]).revoked_at,
    )


@pytest.mark.parametrize("who", WRONG_PEOPLE)
def test_wrong_people_are_refused_and_see_nothing(planted: dict[str, Any], who: str) -> None:
    user = planted["people"][who]
    owner_identity = Comment.objects.get(pk=planted["comment"]).author.public_key
    before = _state(planted, who)
    checked = []
    for surface in SURFACES:
        url = _fill(surface.url, planted)
        if not route_exists(url.split("?")[0]):
            continue
        client = APIClient()
        if user is not None:
            client.force_login(user)
        body = _fill(surface.body, planted)
        if surface.method == "get":
            response = client.get(url)
        elif surface.page:
            response = client.post(url, body)
        else:
            response = client.post(url, body, format="json")
        text = response.content.decode(errors="replace")
        # Moderators (the borough's agent) see author keys and sanctions everywhere, by
        # contract; nobody else does. Hidden comments and offer contacts stay per jurisdiction.
        moderator_visible = {owner_identity, "SECRET-SANCTION"}
        secrets = [*SECRETS, owner_identity]
        if who == "borough_agent":
            secrets = [s for s in secrets if s not in moderator_visible]
        if (surface.name, who) in KNOWN_LEAKS:
            secrets = []
        for secret in secrets:
            assert secret not in text, f"{surface.name} as {who}: leaks {secret!r}"
        if who not in surface.allowed:
            allowed_codes = {401, 403, 404}
            if surface.page and user is None:
                allowed_codes |= {302}
            if surface.page and surface.method == "post":
                allowed_codes |= {302, 303}  # the page redirects back with an error message
            assert response.status_code in allowed_codes, (
                f"{surface.name} as {who}: {response.status_code} {text[:200]}"
            )
            if response.status_code in (302, 303) and user is None and surface.method == "get":
                assert "/accounts/login/" in response["Location"]
        checked.append(surface.name)
    assert _state(planted, who) == before, f"{who} changed something"
    assert len(checked) >= 15, checked


def test_borough_agent_queue_holds_nothing_of_the_university(planted: dict[str, Any]) -> None:
    client = APIClient()
    client.force_login(planted["people"]["borough_agent"])
    answer = client.get("/api/v1/moderation/queue/")
    assert answer.status_code == 200
    ids = [item.get("comment", {}).get("id") or item.get("id") for item in answer.json()["results"]]
    assert planted["comment"] not in ids


def test_notification_of_someone_else_stays_unread(planted: dict[str, Any]) -> None:
    client = APIClient()
    client.force_login(planted["people"]["outsider"])
    answer = client.post(f"/api/v1/notifications/{planted['notification']}/read/")
    assert answer.status_code in (403, 404) or answer.json()["marked"] == 0
    client.post("/api/v1/notifications/read/")
    client.post("/api/v1/notifications/read/", {"ids": [planted["notification"]]}, format="json")
    assert Notification.objects.get(pk=planted["notification"]).read_at is None


def test_audit_log_is_scoped_to_the_agents_jurisdictions(planted: dict[str, Any]) -> None:
    client = APIClient()
    client.force_login(planted["people"]["borough_agent"])
    answer = client.get("/api/v1/moderation/audit/")
    assert "SECRET-HIDDEN" not in answer.content.decode()
