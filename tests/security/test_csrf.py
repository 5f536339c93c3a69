"""CSRF: every state-changing form and every session-authenticated API call without a token
is refused (403), and nothing changes. Token-authenticated API calls need no CSRF token (no
cookie is involved), and Open311 POSTs authenticate with their api_key.

To cover a new form or call, add a row to FORMS or API_CALLS."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from rest_framework.test import APIClient

from tests.conftest import BOROUGH_POINT, actor_for
from tests.security.conftest import route_exists
from tickets import services
from tickets.models import Comment, Ticket, TicketEvent

# (url, form data) — posted by a logged-in agent without the CSRF token.
FORMS = [
    ("/tickets/{ticket}/comment/", {"body": "csrf"}),
    ("/tickets/{ticket}/react/", {"kind": "vote"}),
    ("/tickets/{ticket}/transition/", {"action": "acknowledge"}),
    ("/tickets/new/", {"title": "csrf", "service_code": "snow", "lat": "45.505",
                       "long": "-73.552"}),
    ("/accounts/logout/", {}),
    ("/accounts/two-factor/", {"action": "enable", "otp_token": "000000"}),
    ("/accounts/anonymise/", {"confirm": "agent"}),
    ("/accounts/password_change/", {"old_password": "demo-agent", "new_password1": "x",
                                    "new_password2": "x"}),
    ("/alerts/", {"email": "x@example.org"}),
    ("/notifications/read/", {}),
    ("/dashboard/bulk/", {"action": "acknowledge", "tickets": "{ticket}"}),
    ("/i18n/setlang/", {"language": "fr"}),
]  # fmt: skip
ANONYMOUS_FORMS = [
    ("/accounts/login/", {"username": "agent", "password": "demo-agent"}),
    ("/accounts/signup/", {"username": "x", "password1": "a long pass 123", "password2": "a long pass 123"}),
    ("/accounts/login/verify/", {"otp_token": "000000"}),
]  # fmt: skip

# (url, JSON body) — a browser session calling the API without X-CSRFToken.
API_CALLS = [
    ("/api/v1/tickets/", {"title": "csrf", "service_code": "snow", **BOROUGH_POINT}),
    ("/api/v1/tickets/{ticket}/comments/", {"body": "csrf"}),
    ("/api/v1/tickets/{ticket}/transitions/", {"action": "acknowledge"}),
    ("/api/v1/tickets/{ticket}/follow/", {}),
    ("/api/v1/tickets/{ticket}/unfollow/", {}),
    ("/api/v1/tickets/{ticket}/vote/", {}),
    ("/api/v1/tickets/{ticket}/thanks/", {}),
    ("/api/v1/comments/{comment}/flag/", {"reason": "spam"}),
    ("/api/v1/comments/{comment}/hide/", {"reason": "x"}),
    ("/api/v1/comments/{comment}/restore/", {"reason": "x"}),
    ("/api/v1/tickets/{ticket}/offers/", {"message": "m", "contact": "c"}),
    ("/api/v1/moderation/sanctions/", {"author_key": "{author_key}", "kind": "mute",
                                       "minutes": 5, "reason": "x"}),
    ("/api/v1/moderation/trust/", {"username": "citizen", "reason": "x"}),
    ("/api/v1/events/", {"name": "E", "slug": "csrf-event", "starts_at": "2030-01-01T00:00:00Z"}),
    ("/api/v1/notifications/read/", {}),
    ("/api/v1/auth/token/", {"username": "agent", "password": "demo-agent"}),
]  # fmt: skip


@pytest.fixture
def objects(world: dict[str, Any], make_ticket: Any) -> dict[str, Any]:
    ticket = make_ticket()
    comment = services.comment_create(
        actor=actor_for(world["outsider"]), ticket_id=ticket.pk, body="to moderate"
    )
    return {"ticket": ticket.pk, "comment": comment.pk, "author_key": comment.author.public_key}


def _fill(value: Any, objects: dict[str, Any]) -> Any:
    if isinstance(value, str):
        return value.format(**objects)
    if isinstance(value, dict):
        return {k: _fill(v, objects) for k, v in value.items()}
    return value


def _snapshot() -> tuple[int, ...]:
    return (Ticket.objects.count(), Comment.objects.count(), TicketEvent.objects.count())


def test_forms_without_token_are_refused(world: dict[str, Any], objects: dict[str, Any]) -> None:
    before = _snapshot()
    checked = 0
    for url, data in FORMS:
        url = _fill(url, objects)
        if not route_exists(url):
            continue
        client = Client(enforce_csrf_checks=True)
        client.force_login(world["agent"])
        response = client.post(url, _fill(data, objects))
        assert response.status_code == 403, f"{url}: {response.status_code}"
        checked += 1
    for url, data in ANONYMOUS_FORMS:
        response = Client(enforce_csrf_checks=True).post(url, data)
        assert response.status_code == 403, f"{url}: {response.status_code}"
    assert _snapshot() == before
    assert Ticket.objects.get(pk=objects["ticket"]).status == "open"
    world["agent"].refresh_from_db()
    assert world["agent"].is_active and world["agent"].username == "agent"
    assert checked >= 8


def test_the_same_forms_work_with_the_token(world: dict[str, Any], objects: dict[str, Any]) -> None:
    """Proves the refusals above are CSRF, not something else."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(world["agent"])
    client.get(f"/tickets/{objects['ticket']}/")
    token = client.cookies["csrftoken"].value
    response = client.post(
        f"/tickets/{objects['ticket']}/comment/",
        {"body": "with token", "csrfmiddlewaretoken": token},
    )
    assert response.status_code == 303
    assert Comment.objects.filter(body="with token").exists()


def test_session_api_calls_without_token_are_refused(
    world: dict[str, Any], objects: dict[str, Any]
) -> None:
    before = _snapshot()
    checked = 0
    for url, body in API_CALLS:
        url = _fill(url, objects)
        if not route_exists(url):
            continue
        client = APIClient(enforce_csrf_checks=True)
        client.login(username="agent", password="demo-agent")
        response = client.post(url, _fill(body, objects), format="json")
        if url == "/api/v1/auth/token/":
            # Credentials in the body, no session used: nothing a forged request gains.
            assert response.status_code in (200, 403)
            continue
        assert response.status_code == 403, (
            f"{url}: {response.status_code} {response.content[:200]!r}"
        )
        assert b"CSRF" in response.content, url
        checked += 1
    assert _snapshot() == before
    assert checked >= 10


def test_token_api_calls_need_no_csrf(world: dict[str, Any], objects: dict[str, Any]) -> None:
    client = APIClient(enforce_csrf_checks=True)
    answer = client.post(
        "/api/v1/auth/token/", {"username": "agent", "password": "demo-agent"}, format="json"
    )
    client.credentials(HTTP_AUTHORIZATION=f"Token {answer.json()['token']}")
    response = client.post(
        f"/api/v1/tickets/{objects['ticket']}/comments/", {"body": "by token"}, format="json"
    )
    assert response.status_code == 201
