"""Injection: every filter and query parameter is fed SQL metacharacters, huge numbers, NaN
and unicode edge cases. The answer is a 400 or a correct (empty) result, never a 500. The
suite runs on SQLite and again on PostgreSQL (`make test`), so both are covered.

To cover a new parameter, add it to PARAMETERS (GET) or BODIES (POST)."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import pytest
from django.test import Client

from tests.security.conftest import route_exists

# Raw query-string values (already percent-encoded where they must be).
NASTY = [
    quote("' OR '1'='1"),
    quote("1; DROP TABLE tickets_ticket; --"),
    quote('" OR ""="'),
    quote("1' UNION SELECT username, password FROM auth_user --"),
    quote("%_%"),
    quote("\\"),
    "1e309",
    "-1e309",
    str(10**30),
    str(-(10**30)),
    "NaN",
    "nan",
    "Infinity",
    "-inf",
    "0x7fffffff",
    "%00",
    "a%00b",
    "%E2%80%AE",  # RTL override
    "%ED%A0%80",  # lone surrogate, as UTF-8 bytes
    "%F0%9F%92%A9",  # emoji
    "%FF%FE",  # invalid UTF-8
    "x" * 5000,
    "[]",
    "{}",
    "2025-13-45T99:99",
    "2025-01-01T00:00:00%2B99:00",
    "1,2,3",
    "NaN,NaN,NaN,NaN",
    "1e309,0,1,1",
    "-180,-90,180,90%00",
]

# (path, parameter names): every filter of the list API and the other parsers.
PARAMETERS = [
    ("/api/v1/tickets/", ["status", "service_code", "jurisdiction", "event", "bbox", "q",
                          "updated_since", "page", "page_size", "ordering"]),
    ("/api/v1/tickets/{ticket}/events/", ["since"]),
    ("/api/v1/tickets/similar/", ["service_code", "lat", "long"]),
    ("/", ["status", "service_code", "jurisdiction", "event", "bbox", "q", "updated_since", "page"]),
    ("/tickets/new/", ["lat", "long", "service_code"]),
    ("/open311/v2/requests.json", ["service_request_id", "service_code", "start_date", "end_date",
                                   "status", "jurisdiction_id", "lat", "long", "page", "page_size"]),
    ("/open311/v2/requests.xml", ["service_request_id", "start_date", "jurisdiction_id"]),
    ("/open311/v2/services.json", ["jurisdiction_id"]),
    ("/feeds/area.rss", ["bbox"]),
    ("/feeds/jurisdictions/riverton.rss", ["status"]),
    ("/api/v1/exports/tickets.csv", ["status", "bbox", "updated_since", "q"]),
    ("/api/v1/exports/tickets.geojson", ["bbox", "jurisdiction"]),
    ("/api/v1/moderation/queue/", ["status", "page"]),
    ("/api/v1/events/", ["active", "page"]),
    ("/embed/", ["jurisdiction", "event", "bbox", "status", "service_code"]),
]  # fmt: skip

PATH_VALUES = ["0", "-1", str(10**30), "99999999999999999999", "1e309", "%27%20OR%201=1"]
PATHS = [
    "/api/v1/tickets/{v}/",
    "/api/v1/tickets/{v}/comments/",
    "/api/v1/tickets/{v}/events/",
    "/tickets/{v}/",
    "/open311/v2/requests/{v}.json",
    "/open311/v2/tokens/{v}.json",
    "/open311/v2/services/{v}.json",
    "/feeds/tickets/{v}.rss",
    "/feeds/jurisdictions/{v}.rss",
    "/feeds/events/{v}.rss",
    "/api/v1/services/{v}/",
    "/api/v1/offers/{v}/",
    "/api/v1/events/{v}/",
]


@pytest.fixture
def agent_client(world: dict[str, Any], make_ticket: Any) -> tuple[Client, int]:
    ticket = make_ticket()
    client = Client()
    client.force_login(world["agent"])  # moderators reach the most parameters
    return client, ticket.pk


def _get(client: Client, url: str) -> Any:
    try:
        return client.get(url)
    except UnicodeDecodeError:  # the test client itself cannot build such a request
        pytest.fail(f"{url[:120]} crashed the request")


def test_query_parameters_never_cause_a_500(agent_client: tuple[Client, int]) -> None:
    client, ticket_id = agent_client
    statuses: dict[int, int] = {}
    for path, names in PARAMETERS:
        path = path.format(ticket=ticket_id)
        if not route_exists(path):
            continue
        for name in names:
            for value in NASTY:
                url = f"{path}?{name}={value}"
                response = _get(client, url)
                statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
                assert response.status_code < 500, f"{url[:160]} -> {response.status_code}"
                assert response.status_code in (200, 400, 404), (url[:160], response.status_code)
    assert statuses.get(400, 0) > 20  # the parsers do refuse things


def test_path_parameters_never_cause_a_500(agent_client: tuple[Client, int]) -> None:
    client, _ticket_id = agent_client
    for pattern in PATHS:
        for value in PATH_VALUES:
            url = pattern.format(v=value)
            response = _get(client, url)
            assert response.status_code in (400, 404), f"{url} -> {response.status_code}"


def test_sql_metacharacters_are_just_text(agent_client: tuple[Client, int]) -> None:
    client, _ticket_id = agent_client
    assert client.get("/api/v1/tickets/").json()["count"] >= 1
    for value in NASTY[:6]:
        answer = client.get(f"/api/v1/tickets/?q={value}")
        assert answer.status_code == 200
        assert answer.json()["count"] == 0  # nothing matches: no condition was injected
    # And a title that holds them is found literally.
    from tests.conftest import actor_for
    from tickets import services

    services.ticket_create(
        actor=actor_for(), title="Sign says ' OR '1'='1", service_code="snow", lat=45.505,
        long=-73.552,
    )  # fmt: skip
    answer = client.get("/api/v1/tickets/?q=" + quote("' OR '1'='1"))
    assert [t["title"] for t in answer.json()["results"]] == ["Sign says ' OR '1'='1"]


BODIES = [
    ("/api/v1/tickets/", {"title": "t", "service_code": "snow", "lat": 45.505, "long": -73.552}),
    ("/api/v1/tickets/{ticket}/comments/", {"body": "hello"}),
    ("/api/v1/tickets/{ticket}/transitions/", {"action": "acknowledge", "note": ""}),
    ("/api/v1/tickets/{ticket}/offers/", {"message": "m", "contact": "c"}),
    ("/api/v1/moderation/sanctions/", {"author_key": "x", "kind": "mute", "minutes": 5,
                                       "reason": "r"}),
    ("/api/v1/events/", {"name": "n", "slug": "s", "starts_at": "2030-01-01T00:00:00Z"}),
    ("/api/v1/auth/token/", {"username": "agent", "password": "x"}),
]  # fmt: skip
BODY_VALUES: list[Any] = [
    "' OR 1=1 --", float("nan"), float("inf"), 10**30, -(10**30), 1e308, "1e309", None, [],
    {"$gt": ""}, True, "\u202e", "\ud800", "a\x00b", "💩" * 10, "x" * 100_000,
]  # fmt: skip


def test_json_bodies_never_cause_a_500(agent_client: tuple[Client, int]) -> None:
    import json

    client, ticket_id = agent_client
    for path, valid in BODIES:
        path = path.format(ticket=ticket_id)
        if not route_exists(path):
            continue
        for key in valid:
            for value in BODY_VALUES:
                body = {**valid, key: value}
                # json.dumps writes NaN/Infinity and lone surrogates as JSON extensions, as
                # a hostile client would.
                raw = json.dumps(body, ensure_ascii=True)
                response = client.post(path, raw, content_type="application/json")
                assert response.status_code < 500, f"{path} {key}={str(value)[:40]!r} -> 500"
    for path, _valid in BODIES:
        path = path.format(ticket=ticket_id)
        for raw in ("{", "[1,2]", "null", '"x"', "NaN", '{"a": 1e999999}', "\x00"):
            response = client.post(path, raw, content_type="application/json")
            assert response.status_code < 500, f"{path} body {raw!r} -> 500"


def test_open311_post_parameters_never_cause_a_500(world: dict[str, Any]) -> None:
    if not route_exists("/open311/v2/requests.json"):
        pytest.skip("Open311 does not exist yet")
    from tickets.models import Integration

    Integration.ensure(name="injection", raw_key="injection-key")
    client = Client()
    valid = {"api_key": "injection-key", "service_code": "snow", "lat": "45.505",
             "long": "-73.552", "description": "d"}  # fmt: skip
    for key in ["service_code", "lat", "long", "description", "email", "first_name",
                "address_string", "attribute[depth]", "jurisdiction_id", "api_key", "device_id"]:  # fmt: skip
        for value in ["' OR 1=1 --", "NaN", "1e309", str(10**30), "\u202e", "a\x00b", "x" * 20_000]:
            response = client.post("/open311/v2/requests.json", {**valid, key: value})
            assert response.status_code < 500, f"open311 {key}={value[:30]!r} -> 500"


def test_nul_in_the_query_string_is_removed(world: dict[str, Any], make_ticket: Any) -> None:
    """PostgreSQL refuses NUL in text: without the middleware these are 500s there."""
    make_ticket(title="nulbyte")
    client = Client()
    assert client.get("/?jurisdiction=river%00ton").status_code == 200
    answer = client.get("/api/v1/tickets/?q=nul%00byte&jurisdiction=old%00-port")
    assert answer.status_code == 200
    assert [t["title"] for t in answer.json()["results"]] == ["nulbyte"]
