"""Sanctions cover every way to write. A muted or banned person cannot report, comment, reopen
with a note, vote, thank, follow, offer help or flag — through the API (403, JSON saying why and
until when), the web forms (the page says it) or Open311 (403 in the standard's error list) —
in English and French. A shadow-ban keeps its semantics (only comments and offers are hidden)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from moderation.models import Sanction
from tests.conftest import BOROUGH_POINT, actor_for, client_for
from tests.moderation.conftest import comment_on
from tickets import services
from tickets.models import Comment, Integration, Ticket

pytestmark = pytest.mark.django_db


@pytest.fixture
def closed_ticket(world: dict[str, Any], borough_ticket: Ticket) -> Ticket:
    services.ticket_transition(
        actor=actor_for(world["agent"]), ticket_id=borough_ticket.pk, action="close"
    )
    return borough_ticket


@pytest.fixture
def neighbour_comment(world: dict[str, Any], closed_ticket: Ticket) -> Comment:
    return comment_on(closed_ticket, "Same here", user=world["owner"])


def sanction(world: dict[str, Any], kind: str, **extra: Any) -> Sanction:
    """The outsider (who has written before, so has an identity) is sanctioned."""
    key = actor_for(world["outsider"]).identity().public_key
    answer = client_for(world["volunteer"]).post(
        "/api/v1/moderation/sanctions/",
        {"author_key": key, "kind": kind, "reason": "trolling", **extra},
        format="json",
    )
    assert answer.status_code == 201, answer.content
    return Sanction.objects.get(pk=answer.json()["id"])


ApiWrite = Callable[[Any, Ticket, Comment], Any]

API_WRITES: dict[str, ApiWrite] = {
    "report": lambda c, t, _: c.post(
        "/api/v1/tickets/",
        {"title": "Hole", "service_code": "snow", **BOROUGH_POINT},
        format="json",
    ),
    "comment": lambda c, t, _: c.post(
        f"/api/v1/tickets/{t.pk}/comments/", {"body": "hi"}, format="json"
    ),
    "reopen with a note": lambda c, t, _: c.post(
        f"/api/v1/tickets/{t.pk}/transitions/",
        {"action": "reopen", "note": "Still broken"},
        format="json",
    ),
    "vote": lambda c, t, _: c.post(f"/api/v1/tickets/{t.pk}/vote/", format="json"),
    "thank": lambda c, t, _: c.post(f"/api/v1/tickets/{t.pk}/thanks/", format="json"),
    "follow": lambda c, t, _: c.post(f"/api/v1/tickets/{t.pk}/follow/", format="json"),
    "offer help": lambda c, t, _: c.post(
        f"/api/v1/tickets/{t.pk}/offers/",
        {"message": "I have a shovel", "contact": "me@example.org"},
        format="json",
    ),
    "flag": lambda c, t, comment: c.post(
        f"/api/v1/comments/{comment.pk}/flag/", {"reason": "spam"}, format="json"
    ),
}


def _nothing_written(ticket: Ticket, count_before: int) -> None:
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.CLOSED
    assert (ticket.votes, ticket.thanks, ticket.followers) == (0, 0, 1)  # the reporter follows
    assert Ticket.objects.count() == count_before


@pytest.mark.parametrize("write", sorted(API_WRITES))
def test_a_muted_person_is_told_why_and_until_when_on_every_api_write(
    world: dict[str, Any], closed_ticket: Ticket, neighbour_comment: Comment, write: str
) -> None:
    muted = sanction(world, "mute", minutes=90)
    assert muted.ends_at is not None
    before = Ticket.objects.count()
    client = client_for(world["outsider"])
    answer = API_WRITES[write](client, closed_ticket, neighbour_comment)
    assert answer.status_code == 403, answer.content
    detail = answer.json()["detail"]
    assert "muted until" in detail and str(muted.ends_at.year) in detail
    _nothing_written(closed_ticket, before)


@pytest.mark.parametrize("write", sorted(API_WRITES))
def test_a_banned_person_is_refused_every_api_write(
    world: dict[str, Any], closed_ticket: Ticket, neighbour_comment: Comment, write: str
) -> None:
    sanction(world, "ban")
    before = Ticket.objects.count()
    answer = API_WRITES[write](client_for(world["outsider"]), closed_ticket, neighbour_comment)
    assert answer.status_code == 403
    assert "banned" in answer.json()["detail"]
    _nothing_written(closed_ticket, before)


def test_the_refusal_is_in_french_too(world: dict[str, Any], closed_ticket: Ticket) -> None:
    muted = sanction(world, "mute", minutes=90)
    answer = client_for(world["outsider"]).post(
        f"/api/v1/tickets/{closed_ticket.pk}/vote/", format="json", HTTP_ACCEPT_LANGUAGE="fr"
    )
    assert answer.status_code == 403
    detail = answer.json()["detail"]
    assert "réduit au silence jusqu" in detail and str(muted.ends_at.year) in detail


def _page_messages(client: Client, response: Any) -> str:
    """What the person reads: the page itself, or the page a form sent them back to."""
    if response.status_code in (302, 303):
        response = client.get(response["Location"])
    return response.content.decode()


def test_every_web_form_says_why_and_until_when(
    world: dict[str, Any], closed_ticket: Ticket
) -> None:
    muted = sanction(world, "mute", minutes=90)
    client = Client()
    client.force_login(world["outsider"])
    t = closed_ticket.pk
    forms = {
        "comment": (f"/tickets/{t}/comment/", {"body": "hi"}),
        "vote": (f"/tickets/{t}/react/", {"kind": "vote"}),
        "thank": (f"/tickets/{t}/react/", {"kind": "thanks"}),
        "follow": (f"/tickets/{t}/react/", {"kind": "follow"}),
        "reopen with a note": (f"/tickets/{t}/transition/", {"action": "reopen", "note": "No"}),
        "offer help": (
            f"/tickets/{t}/offer/",
            {"message": "I have a shovel", "contact": "me@example.org"},
        ),
        "report": (
            "/tickets/new/",
            {"title": "Hole", "service_code": "snow", "description": "", **BOROUGH_POINT},
        ),
    }
    before = Ticket.objects.count()
    for name, (url, data) in forms.items():
        response = client.post(url, data)
        assert response.status_code in (303, 403), (name, response.status_code)
        page = _page_messages(client, response)
        assert "You are muted until" in page, name
        assert str(muted.ends_at.year) in page, name
    french = client.post(f"/tickets/{t}/react/", {"kind": "vote"}, HTTP_ACCEPT_LANGUAGE="fr")
    assert (
        "réduit au silence jusqu"
        in client.get(french["Location"], HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    )
    _nothing_written(closed_ticket, before)


def test_open311_reports_are_refused_with_the_reason(world: dict[str, Any]) -> None:
    raw = "fx_open311-sanction-test-key"
    Integration.objects.create(name="App", key_hash=Integration.hash_key(raw), key_hint=raw[:7])
    fields = {"api_key": raw, "service_code": "snow", "email": "troll@example.org", **BOROUGH_POINT}
    first = Client().post("/open311/v2/requests.json", fields)
    assert first.status_code == 200, first.content
    reporter = Ticket.objects.get(pk=json.loads(first.content)[0]["service_request_id"]).reporter
    answer = client_for(world["volunteer"]).post(
        "/api/v1/moderation/sanctions/",
        {"author_key": reporter.public_key, "kind": "mute", "minutes": 60, "reason": "spam"},
        format="json",
    )
    assert answer.status_code == 201
    refused = Client().post("/open311/v2/requests.json", fields)
    assert refused.status_code == 403
    error = json.loads(refused.content)[0]
    assert error["code"] == 403 and "muted until" in error["description"]
    # Someone else through the same app is not affected.
    other = Client().post("/open311/v2/requests.json", {**fields, "email": "kind@example.org"})
    assert other.status_code == 200


def test_a_shadow_ban_keeps_its_semantics(world: dict[str, Any], closed_ticket: Ticket) -> None:
    sanction(world, "shadowban")
    client = client_for(world["outsider"])
    assert client.post(f"/api/v1/tickets/{closed_ticket.pk}/vote/").status_code == 200
    posted = client.post(f"/api/v1/tickets/{closed_ticket.pk}/comments/", {"body": "x"})
    assert posted.status_code == 201
    assert Comment.objects.get(pk=posted.json()["id"]).shadow is True
