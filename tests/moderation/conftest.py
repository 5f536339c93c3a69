"""Helpers for moderation tests: API clients for every role, anonymous browsers (signed
identity cookie + their own address), and tickets in a borough and in the city only."""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings
from django.core import signing
from rest_framework.test import APIClient

from tests.conftest import BOROUGH_POINT, CITY_POINT, actor_for, client_for
from tickets import services
from tickets.identity import COOKIE_SALT
from tickets.models import Comment, Ticket

ROLES = ["anonymous", "citizen", "volunteer", "agent", "borough-agent", "admin"]


def anon_client(token: str = "anon-browser-token-0001", ip: str = "203.0.113.10") -> APIClient:
    """An anonymous browser: its signed identity cookie, its network address."""
    name = settings.FIXLINE["ANON_COOKIE_NAME"]
    client = APIClient(REMOTE_ADDR=ip)
    client.cookies[name] = signing.get_cookie_signer(salt=name + COOKIE_SALT).sign(token)
    return client


def role_client(world: dict[str, Any], role: str) -> APIClient:
    if role == "anonymous":
        return anon_client()
    user = world["outsider"] if role == "citizen" else world[role]
    return client_for(user)


@pytest.fixture
def clients(world: dict[str, Any]) -> dict[str, APIClient]:
    return {role: role_client(world, role) for role in ROLES}


@pytest.fixture
def borough_ticket(make_ticket: Any) -> Ticket:
    return make_ticket(**BOROUGH_POINT)


@pytest.fixture
def city_ticket(make_ticket: Any) -> Ticket:
    return make_ticket(title="Dark street", service_code="streetlight", **CITY_POINT)


def comment_on(ticket: Ticket, body: str = "A comment", **actor: Any) -> Comment:
    return services.comment_create(actor=actor_for(**actor), ticket_id=ticket.pk, body=body)


def with_standing(user: Any, ticket: Ticket) -> Any:
    """Make `user` an account with standing (moderation.selectors.has_standing): a month old,
    with a visible comment from two days ago. Its flags then count on their own."""
    from datetime import timedelta

    from django.utils import timezone

    long_ago = timezone.now() - timedelta(days=30)
    type(user).objects.filter(pk=user.pk).update(date_joined=long_ago)
    user.date_joined = long_ago
    old = comment_on(ticket, "an earlier, settled comment", user=user)
    Comment.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=2))
    return user
