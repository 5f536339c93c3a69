"""Shared fixtures: the demo world (a city, a borough, a university, request types), the
people in it (owner = a citizen who reports, outsider = another citizen, an anonymous
visitor, an agent, a trusted volunteer, an admin) and API clients for each."""

from __future__ import annotations

import os
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from realtime import counters
from tests.support.loops import end_background_work
from tickets import services
from tickets.identity import Actor
from tickets.management.commands.seed_demo import Command as Seed

BOROUGH_POINT = {"lat": 45.505, "long": -73.552}  # Old Port borough, inside the city
CITY_POINT = {"lat": 45.540, "long": -73.600}  # the city only
UNIVERSITY_POINT = {"lat": 45.505, "long": -73.583}
OUTSIDE_POINT = {"lat": 48.85, "long": 2.35}  # Paris: no jurisdiction here


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _fresh_process_state() -> Any:
    from django.utils import translation

    cache.clear()
    counters.reset_for_tests()
    # LocaleMiddleware leaves the last request's language active in the thread: a French page
    # test must not make the next test's messages French.
    translation.activate("en")
    yield
    translation.activate("en")
    cache.clear()


@pytest.fixture(autouse=True)
def _postgres_when_asked(request: pytest.FixtureRequest) -> None:
    if request.node.get_closest_marker("postgres"):
        from django.db import connection

        if connection.vendor != "postgresql":
            pytest.fail("this test needs PostgreSQL: run it through `make test` (DATABASE_URL)")


@pytest.fixture
def rate_window() -> None:
    """Fixed-window rate limits (`tickets/ratelimit.py`) count again from zero at every multiple
    of their window, and every window here is a multiple of a minute: a test that counts up to
    a limit starts with at least 10 s left in this minute, or waits for the next one (six POSTs
    straddling a minute once let the sixth through in a fresh clone)."""
    left = 60 - time.time() % 60
    if left < 10:
        time.sleep(left + 0.05)


@pytest.fixture
async def stop_background_tasks() -> AsyncIterator[None]:
    """For async tests: after the test, cancel the tasks it left running and close the
    connections of asgiref's thread (tests/support/loops.py)."""
    yield
    await end_background_work()


@pytest.fixture
def world(db: Any) -> dict[str, Any]:
    seed = Seed()
    users = seed._accounts()
    places = seed._jurisdictions(users)
    seed._service_types(places)
    from django.contrib.auth import get_user_model

    owner = get_user_model().objects.create_user(
        "owner", "owner@example.org", "pw-owner-123", first_name="Olive"
    )
    outsider = get_user_model().objects.create_user(
        "outsider", "outsider@example.org", "pw-outsider-123"
    )
    return {**places, **users, "owner": owner, "outsider": outsider}


def actor_for(user: Any = None, *, anon: str | None = None, ip: str = "198.51.100.7") -> Actor:
    return Actor(user=user, anon_token=anon, ip=ip)


@pytest.fixture
def make_ticket(world: dict[str, Any]) -> Any:
    def make(actor: Actor | None = None, **overrides: Any) -> Any:
        fields = {
            "title": "Pothole on Harbour Street",
            "description": "Deep and wide.",
            "service_code": "snow",
            **BOROUGH_POINT,
        }
        fields.update(overrides)
        return services.ticket_create(actor=actor or actor_for(world["owner"]), **fields)

    return make


def client_for(user: Any = None, *, anon_cookie: bool = False) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user=user)
    return client


@pytest.fixture
def anon_api() -> APIClient:
    return APIClient()


@pytest.fixture
def owner_api(world: dict[str, Any]) -> APIClient:
    return client_for(world["owner"])


@pytest.fixture
def outsider_api(world: dict[str, Any]) -> APIClient:
    return client_for(world["outsider"])


@pytest.fixture
def agent_api(world: dict[str, Any]) -> APIClient:
    return client_for(world["agent"])


@pytest.fixture(scope="session")
def redis_server() -> Any:
    from tests.support.servers import Redis

    server = Redis().start()
    yield server
    server.stop()


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in {"1", "true", "yes"}
