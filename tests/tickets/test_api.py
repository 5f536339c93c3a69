"""The REST API as a city system, an app or a neighbour's browser calls it."""

from __future__ import annotations

import json
from typing import Any

import pytest
from rest_framework.test import APIClient

from realtime import events
from tests.conftest import BOROUGH_POINT, OUTSIDE_POINT, actor_for
from tickets import services
from tickets.models import Ticket

pytestmark = pytest.mark.django_db

NEW = {
    "title": "Unploughed street",
    "description": "Nobody came",
    "service_code": "snow",
    **BOROUGH_POINT,
}


def test_token_login_returns_a_token_that_authenticates(world: dict[str, Any]) -> None:
    client = APIClient()
    answer = client.post(
        "/api/v1/auth/token/", {"username": "owner", "password": "pw-owner-123"}, format="json"
    )
    assert answer.status_code == 200 and answer.json()["token"]
    client.credentials(HTTP_AUTHORIZATION=f"Token {answer.json()['token']}")
    created = client.post("/api/v1/tickets/", NEW, format="json")
    assert created.status_code == 201
    assert created.json()["reporter"] == "Olive"


def test_wrong_password_gets_no_token(world: dict[str, Any]) -> None:
    answer = APIClient().post(
        "/api/v1/auth/token/", {"username": "owner", "password": "nope"}, format="json"
    )
    assert answer.status_code == 400 and "token" not in answer.json()


def test_anonymous_caller_creates_a_ticket_routed_to_the_borough(
    world: dict[str, Any], anon_api: APIClient
) -> None:
    answer = anon_api.post("/api/v1/tickets/", {**NEW, "anonymous": True}, format="json")
    assert answer.status_code == 201, answer.content
    body = answer.json()
    assert body["jurisdiction"] == "old-port"
    assert body["status"] == "open" and body["reporter"] == "Anonymous"
    assert body["seq"] == 1 and body["followers"] == 1
    assert body["url"].endswith(f"/tickets/{body['id']}/")
    expected = {"id", "title", "description", "status", "service_code", "jurisdiction", "lat", "long", "address",
                "reporter", "views", "followers", "votes", "thanks", "seq", "created_at", "updated_at", "url"}  # fmt: skip
    assert expected <= set(body)


def test_ticket_detail_and_unknown_ticket(
    world: dict[str, Any], make_ticket: Any, anon_api: APIClient
) -> None:
    ticket = make_ticket()
    assert anon_api.get(f"/api/v1/tickets/{ticket.pk}/").json()["title"] == ticket.title
    assert anon_api.get("/api/v1/tickets/999999/").status_code == 404


def test_private_answers_and_contact_never_appear(
    world: dict[str, Any], make_ticket: Any, anon_api: APIClient
) -> None:
    ticket = make_ticket(
        service_code="pothole",
        answers={"depth": "deep", "callback": "after 6pm"},
        contact_email="me@example.org",
    )
    text = anon_api.get(f"/api/v1/tickets/{ticket.pk}/").content.decode()
    assert (
        "after 6pm" not in text and "me@example.org" not in text and "owner@example.org" not in text
    )
    assert json.loads(text)["answers"] == {"depth": "deep"}


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({k: v for k, v in NEW.items() if k != "title"}, "title"),
        ({**NEW, "lat": 91}, "lat"),
        ({**NEW, "lat": -90.5}, "lat"),
        ({**NEW, "long": 181}, "long"),
        ({**NEW, "lat": "north"}, "lat"),
        ({**NEW, "lat": "NaN"}, "lat"),
        ({**NEW, "service_code": "teleporter"}, "service_code"),
        ({**NEW, "title": "x" * 100_000}, "title"),
        ({**NEW, **OUTSIDE_POINT}, "lat"),
        ({**NEW, "anonymous": "maybe"}, "anonymous"),
        ({**NEW, "service_code": "pothole"}, "answers.depth"),
        ({**NEW, "event": "no-such-storm"}, "event"),
    ],
)
def test_bad_ticket_input_is_a_400_naming_the_field(
    world: dict[str, Any], anon_api: APIClient, payload: dict[str, Any], field: str
) -> None:
    answer = anon_api.post("/api/v1/tickets/", payload, format="json")
    assert answer.status_code == 400, answer.content
    assert field in answer.json(), answer.json()
    assert Ticket.objects.count() == 0


def test_malformed_json_is_a_400(world: dict[str, Any], anon_api: APIClient) -> None:
    answer = anon_api.post(
        "/api/v1/tickets/", data='{"title": "x",', content_type="application/json"
    )
    assert answer.status_code == 400
    answer = anon_api.post("/api/v1/tickets/", data="[1, 2]", content_type="application/json")
    assert answer.status_code == 400


def test_list_filters(world: dict[str, Any], make_ticket: Any, anon_api: APIClient) -> None:
    a = make_ticket(title="Snow on Quay street")
    b = make_ticket(title="Graffiti downtown", service_code="graffiti", lat=45.54, long=-73.60)
    services.ticket_transition(
        actor=actor_for(world["agent"]), ticket_id=b.pk, action="acknowledge"
    )

    def ids(query: str) -> set[int]:
        answer = anon_api.get(f"/api/v1/tickets/?{query}")
        assert answer.status_code == 200, answer.content
        return {t["id"] for t in answer.json()["results"]}

    assert ids("") == {a.pk, b.pk}
    assert ids("status=acknowledged") == {b.pk}
    assert ids("service_code=snow") == {a.pk}
    assert ids("jurisdiction=old-port") == {a.pk}
    assert ids("jurisdiction=riverton") == {a.pk, b.pk}  # the city includes its boroughs
    assert ids("q=quay") == {a.pk}
    assert ids("bbox=-73.56,45.50,-73.54,45.51") == {a.pk}
    assert ids("updated_since=2999-01-01T00:00:00Z") == set()
    assert ids("jurisdiction=atlantis") == set()


@pytest.mark.parametrize(
    "query",
    [
        "status=pending",
        "bbox=1,2,3",
        "bbox=a,b,c,d",
        "bbox=NaN,0,1,1",
        "bbox=-73,45,-74,46",
        "updated_since=yesterday",
        "service_code=' OR 1=1 --",
        "page=999",
    ],
)
def test_bad_filters_are_400_or_404_never_500(
    world: dict[str, Any], anon_api: APIClient, query: str
) -> None:
    answer = anon_api.get(f"/api/v1/tickets/?{query}")
    assert answer.status_code in (400, 404), (query, answer.status_code)


def test_list_is_paginated(world: dict[str, Any], make_ticket: Any, agent_api: APIClient) -> None:
    for i in range(27):
        make_ticket(actor=actor_for(world["agent"]), title=f"t{i}")
    page = agent_api.get("/api/v1/tickets/").json()
    assert page["count"] == 27 and len(page["results"]) == 25 and page["next"]


def test_comments_post_and_list_oldest_first(world: dict[str, Any], make_ticket: Any) -> None:
    ticket = make_ticket()
    client = APIClient()
    first = client.post(
        f"/api/v1/tickets/{ticket.pk}/comments/", {"body": "first <b>bold</b>"}, format="json"
    )
    assert first.status_code == 201, first.content
    assert first.json()["body_html"] == "<p>first &lt;b&gt;bold&lt;/b&gt;</p>"
    client.post(f"/api/v1/tickets/{ticket.pk}/comments/", {"body": "second"}, format="json")
    listed = client.get(f"/api/v1/tickets/{ticket.pk}/comments/").json()
    assert [c["body"] for c in listed] == ["first <b>bold</b>", "second"]
    assert all("author_key" not in c for c in listed)


def test_comment_bad_input(world: dict[str, Any], make_ticket: Any, anon_api: APIClient) -> None:
    ticket = make_ticket()
    assert (
        anon_api.post(f"/api/v1/tickets/{ticket.pk}/comments/", {}, format="json").status_code
        == 400
    )
    assert anon_api.post(
        f"/api/v1/tickets/{ticket.pk}/comments/", {"body": 12}, format="json"
    ).status_code in (201, 400)
    assert (
        anon_api.post(
            f"/api/v1/tickets/{ticket.pk}/comments/", {"body": "x" * 6000}, format="json"
        ).status_code
        == 400
    )
    assert (
        anon_api.post("/api/v1/tickets/424242/comments/", {"body": "hi"}, format="json").status_code
        == 404
    )


def test_hidden_comment_disappears_for_the_public_but_not_for_its_author_or_moderators(
    world: dict[str, Any], make_ticket: Any
) -> None:
    ticket = make_ticket()
    author = APIClient()
    author.force_authenticate(world["outsider"])
    comment_id = author.post(
        f"/api/v1/tickets/{ticket.pk}/comments/", {"body": "rude"}, format="json"
    ).json()["id"]
    services.comment_set_visibility(comment_id=comment_id, visibility="hidden", reason="abuse")
    public = APIClient().get(f"/api/v1/tickets/{ticket.pk}/comments/").json()
    assert public == []
    own = author.get(f"/api/v1/tickets/{ticket.pk}/comments/").json()
    assert [(c["id"], c["visibility"]) for c in own] == [(comment_id, "hidden")]
    moderator = APIClient()
    moderator.force_authenticate(world["volunteer"])
    seen = moderator.get(f"/api/v1/tickets/{ticket.pk}/comments/").json()
    assert seen[0]["visibility"] == "hidden" and seen[0]["author_key"]


@pytest.mark.usefixtures("rate_window")
def test_anonymous_comment_rate_limit_answers_429_with_retry_after(
    world: dict[str, Any], make_ticket: Any
) -> None:
    ticket = make_ticket()
    client = APIClient()
    codes = [
        client.post(
            f"/api/v1/tickets/{ticket.pk}/comments/", {"body": f"c{i}"}, format="json"
        ).status_code
        for i in range(6)
    ]
    assert codes == [201] * 5 + [429]
    answer = client.post(f"/api/v1/tickets/{ticket.pk}/comments/", {"body": "again"}, format="json")
    assert answer.status_code == 429 and 1 <= int(answer["Retry-After"]) <= 61


def test_transitions_status_codes(
    world: dict[str, Any], make_ticket: Any, agent_api: APIClient
) -> None:
    ticket = make_ticket()
    url = f"/api/v1/tickets/{ticket.pk}/transitions/"
    assert APIClient().post(url, {"action": "acknowledge"}, format="json").status_code == 403
    outsider = APIClient()
    outsider.force_authenticate(world["outsider"])
    assert outsider.post(url, {"action": "close"}, format="json").status_code == 403
    answer = agent_api.post(url, {"action": "acknowledge", "note": "crew sent"}, format="json")
    assert answer.status_code == 200 and answer.json()["status"] == "acknowledged"
    assert agent_api.post(url, {"action": "acknowledge"}, format="json").status_code == 409
    assert agent_api.post(url, {"action": "close"}, format="json").json()["status"] == "closed"
    assert (
        outsider.post(url, {"action": "reopen"}, format="json").status_code == 400
    )  # reason required
    assert (
        outsider.post(url, {"action": "reopen", "note": "still broken"}, format="json").status_code
        == 200
    )
    assert agent_api.post(url, {"action": "explode"}, format="json").status_code == 400


def test_follow_vote_thanks_are_idempotent_per_person(
    world: dict[str, Any], make_ticket: Any
) -> None:
    ticket = make_ticket()
    outsider = APIClient()
    outsider.force_authenticate(world["outsider"])
    for kind, field in (("follow", "followers"), ("vote", "votes"), ("thanks", "thanks")):
        first = outsider.post(f"/api/v1/tickets/{ticket.pk}/{kind}/").json()
        again = outsider.post(f"/api/v1/tickets/{ticket.pk}/{kind}/").json()
        assert first[field] == again[field] == getattr(ticket, field) + 1


def test_events_endpoint_serves_the_log_since_n(
    world: dict[str, Any], make_ticket: Any, anon_api: APIClient
) -> None:
    ticket = make_ticket()
    for i in range(3):
        services.comment_create(
            actor=actor_for(world["outsider"]), ticket_id=ticket.pk, body=f"c{i}"
        )
    everything = anon_api.get(f"/api/v1/tickets/{ticket.pk}/events/").json()
    assert [e["seq"] for e in everything] == [1, 2, 3, 4]
    for message in everything:
        events.validate(message)
    later = anon_api.get(f"/api/v1/tickets/{ticket.pk}/events/?since=2").json()
    assert [(e["seq"], e["type"]) for e in later] == [
        (3, "comment.created"),
        (4, "comment.created"),
    ]
    assert anon_api.get(f"/api/v1/tickets/{ticket.pk}/events/?since=4").json() == []
    assert anon_api.get(f"/api/v1/tickets/{ticket.pk}/events/?since=-1").status_code == 400
    assert anon_api.get(f"/api/v1/tickets/{ticket.pk}/events/?since=abc").status_code == 400


def test_similar_reports_within_250_m(
    world: dict[str, Any], make_ticket: Any, anon_api: APIClient
) -> None:
    near = make_ticket(lat=45.5050, long=-73.5520)
    make_ticket(lat=45.5050, long=-73.5480)  # ~310 m east: too far
    make_ticket(lat=45.5051, long=-73.5521, service_code="graffiti")  # other type
    answer = anon_api.get(
        "/api/v1/tickets/similar/?service_code=snow&lat=45.5060&long=-73.5525"
    ).json()
    assert answer["count"] == 1 and answer["tickets"][0]["id"] == near.pk
    assert (
        anon_api.get("/api/v1/tickets/similar/?service_code=snow&lat=x&long=1").status_code == 400
    )


def test_services_list_has_custom_questions(world: dict[str, Any], anon_api: APIClient) -> None:
    types = {t["code"]: t for t in anon_api.get("/api/v1/services/").json()}
    assert {"pothole", "snow", "streetlight", "fallen-tree", "graffiti"} <= set(types)
    assert [q["code"] for q in types["pothole"]["questions"]][:2] == ["depth", "lane"]


def test_openapi_schema_is_served(world: dict[str, Any], anon_api: APIClient) -> None:
    answer = anon_api.get("/api/v1/schema/", HTTP_ACCEPT="application/json")
    assert answer.status_code == 200
    text = answer.content.decode()
    assert "/api/v1/tickets/{id}/transitions/" in text and "/api/v1/tickets/{id}/events/" in text


def test_event_log_never_replays_the_text_of_a_hidden_comment(
    world: dict[str, Any], make_ticket: Any
) -> None:
    ticket = make_ticket()
    comment = services.comment_create(
        actor=actor_for(world["outsider"]), ticket_id=ticket.pk, body="my phone is 555-0199"
    )
    services.comment_set_visibility(
        comment_id=comment.pk, visibility="hidden", reason="personal_info"
    )
    log = APIClient().get(f"/api/v1/tickets/{ticket.pk}/events/").json()
    assert "555-0199" not in json.dumps(log)
    assert [(e["seq"], e["type"], e["data"]) for e in log[1:]] == [
        (2, "comment.hidden", {"id": comment.pk}),
        (3, "comment.hidden", {"id": comment.pk}),
    ]
    services.comment_set_visibility(
        comment_id=comment.pk, visibility="visible", reason="ok after edit"
    )
    log = APIClient().get(f"/api/v1/tickets/{ticket.pk}/events/").json()
    assert [e["type"] for e in log[1:]] == ["comment.created", "comment.hidden", "comment.restored"]
    for message in log:
        events.validate(message)
