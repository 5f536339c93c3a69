"""My things: a signed-in citizen's "my reports" and "following" pages, and the `mine=1` /
`following=1` filters of the home page and the API."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from rest_framework.test import APIClient

from tests.conftest import CITY_POINT, actor_for
from tickets import services

pytestmark = pytest.mark.django_db


def _tickets(world: dict[str, Any], make_ticket: Any) -> dict[str, Any]:
    mine = make_ticket(actor=actor_for(world["owner"]), title="My own pothole")
    theirs = make_ticket(actor=actor_for(world["outsider"]), title="Their broken lamp")
    followed = make_ticket(
        actor=actor_for(world["outsider"]), title="Followed snowbank", **CITY_POINT
    )
    services.ticket_react(actor=actor_for(world["owner"]), ticket_id=followed.pk, kind="follow")
    return {"mine": mine, "theirs": theirs, "followed": followed}


def _signed_in(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_my_reports_and_following_pages(world: dict[str, Any], make_ticket: Any) -> None:
    made = _tickets(world, make_ticket)
    owner = _signed_in(world["owner"])
    page = owner.get("/me/reports/")
    assert page.status_code == 200
    text = page.content.decode()
    assert 'data-testid="my-reports"' in text
    # Reporters follow their own report by default, so it is in both lists.
    assert "My own pothole" in text and "Their broken lamp" not in text
    assert "Followed snowbank" not in text
    text = owner.get("/me/following/").content.decode()
    assert 'data-testid="my-following"' in text
    assert "Followed snowbank" in text and "My own pothole" in text
    assert "Their broken lamp" not in text
    # The header links there for signed-in people.
    assert 'href="/me/reports/"' in owner.get("/").content.decode()
    assert made["theirs"].pk


def test_my_pages_ask_anonymous_visitors_to_log_in(world: dict[str, Any]) -> None:
    for url in ("/me/reports/", "/me/following/"):
        answer = Client().get(url)
        assert answer.status_code == 302 and "/accounts/login/" in answer["Location"]
    assert 'href="/me/reports/"' not in Client().get("/").content.decode()


def test_empty_lists_say_so_in_french(world: dict[str, Any]) -> None:
    client = _signed_in(world["outsider"])
    text = client.get("/me/following/", HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert "Vous ne suivez encore aucun signalement." in text


def test_home_filters_mine_and_following(world: dict[str, Any], make_ticket: Any) -> None:
    _tickets(world, make_ticket)
    owner = _signed_in(world["owner"])
    home = owner.get("/").content.decode()
    assert 'name="mine"' in home and 'name="following"' in home

    def titles(client: Client, query: str) -> set[str]:
        answer = client.get(f"/?{query}")
        assert answer.status_code == 200
        rows = answer.context["tickets"]
        return {t.title for t in rows}

    assert titles(owner, "mine=1") == {"My own pothole"}
    assert titles(owner, "following=1") == {"My own pothole", "Followed snowbank"}
    assert titles(owner, "mine=1&following=1") == {"My own pothole"}
    assert len(titles(owner, "mine=0")) == 3
    assert titles(Client(), "mine=1") == set()  # nobody's "mine" without an account
    assert 'name="mine"' not in Client().get("/").content.decode()


def test_api_filters_mine_and_following(world: dict[str, Any], make_ticket: Any) -> None:
    made = _tickets(world, make_ticket)
    owner = APIClient()
    owner.force_authenticate(world["owner"])

    def ids(client: APIClient, query: str) -> set[int]:
        answer = client.get(f"/api/v1/tickets/?{query}")
        assert answer.status_code == 200, answer.content
        return {t["id"] for t in answer.json()["results"]}

    assert ids(owner, "mine=true") == {made["mine"].pk}
    assert ids(owner, "following=1") == {made["mine"].pk, made["followed"].pk}
    assert ids(APIClient(), "following=1") == set()
