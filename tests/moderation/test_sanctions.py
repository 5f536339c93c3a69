"""Sanctions: mute, ban, shadow-ban (three viewpoints), rate-limit overrides; anonymous
sanctions follow the address hash, account sanctions never spill over."""

from __future__ import annotations

from typing import Any

import pytest

from moderation.models import Sanction
from tests.conftest import client_for
from tests.moderation.conftest import anon_client, comment_on
from tickets.models import Comment, TicketEvent


def _sanction(world: dict[str, Any], author_key: str, kind: str, **extra: Any) -> Any:
    return client_for(world["volunteer"]).post(
        "/api/v1/moderation/sanctions/",
        {"author_key": author_key, "kind": kind, "reason": "trolling", **extra},
        format="json",
    )


def _post(client: Any, ticket: Any, body: str = "hello") -> Any:
    return client.post(f"/api/v1/tickets/{ticket.pk}/comments/", {"body": body}, format="json")


def test_ban_blocks_posting_but_not_reading(world: dict[str, Any], borough_ticket: Any) -> None:
    first = comment_on(borough_ticket, "first", user=world["outsider"])
    answer = _sanction(world, first.author.public_key, "ban")
    assert answer.status_code == 201 and answer.json()["ends_at"] is None
    client = client_for(world["outsider"])
    blocked = _post(client, borough_ticket)
    assert blocked.status_code == 403 and "banned" in blocked.json()["detail"]
    assert client.get(f"/api/v1/tickets/{borough_ticket.pk}/comments/").status_code == 200
    offer = client.post(
        f"/api/v1/tickets/{borough_ticket.pk}/offers/",
        {"message": "help", "contact": "x@example.org"},
        format="json",
    )
    assert offer.status_code == 403


def test_mute_needs_minutes_and_expires(world: dict[str, Any], borough_ticket: Any) -> None:
    first = comment_on(borough_ticket, "first", user=world["outsider"])
    assert _sanction(world, first.author.public_key, "mute").status_code == 400
    answer = _sanction(world, first.author.public_key, "mute", minutes=30)
    assert answer.status_code == 201
    assert "muted until" in _post(client_for(world["outsider"]), borough_ticket).json()["detail"]
    sanction = Sanction.objects.get(pk=answer.json()["id"])
    Sanction.objects.filter(pk=sanction.pk).update(
        starts_at=sanction.starts_at.replace(year=2020), ends_at=sanction.ends_at.replace(year=2020)
    )
    assert _post(client_for(world["outsider"]), borough_ticket).status_code == 201


def test_a_sanction_is_in_force_only_between_its_start_and_its_end(
    world: dict[str, Any], borough_ticket: Any
) -> None:
    first = comment_on(borough_ticket, "first", user=world["outsider"])
    answer = _sanction(world, first.author.public_key, "mute", minutes=30)
    sanction = Sanction.objects.get(pk=answer.json()["id"])
    starts, ends = sanction.starts_at, sanction.ends_at
    client = client_for(world["outsider"])
    Sanction.objects.filter(pk=sanction.pk).update(starts_at=starts.replace(year=2099))
    assert _post(client, borough_ticket).status_code == 201  # not started yet
    Sanction.objects.filter(pk=sanction.pk).update(starts_at=starts, ends_at=None)
    assert _post(client, borough_ticket).status_code == 403  # no end: in force
    Sanction.objects.filter(pk=sanction.pk).update(ends_at=ends)
    assert _post(client, borough_ticket).status_code == 403  # until its end


def test_revoke_lifts(world: dict[str, Any], borough_ticket: Any) -> None:
    first = comment_on(borough_ticket, "first", user=world["outsider"])
    sanction = _sanction(world, first.author.public_key, "ban").json()
    volunteer = client_for(world["volunteer"])
    url = f"/api/v1/moderation/sanctions/{sanction['id']}/revoke/"
    assert volunteer.post(url, {"reason": "apologised"}, format="json").status_code == 200
    assert volunteer.post(url, {"reason": "again"}, format="json").status_code == 409
    assert _post(client_for(world["outsider"]), borough_ticket).status_code == 201


def test_shadowban_three_viewpoints(world: dict[str, Any], borough_ticket: Any) -> None:
    first = comment_on(borough_ticket, "first", user=world["outsider"])
    _sanction(world, first.author.public_key, "shadowban")
    author = client_for(world["outsider"])
    posted = _post(author, borough_ticket, "nobody sees this")
    assert posted.status_code == 201  # the author is not told
    comment_id = posted.json()["id"]
    assert Comment.objects.get(pk=comment_id).shadow is True
    url = f"/api/v1/tickets/{borough_ticket.pk}/comments/"

    mine = {c["id"]: c for c in author.get(url).json()}
    assert comment_id in mine

    for other in (client_for(world["owner"]), anon_client()):
        assert comment_id not in [c["id"] for c in other.get(url).json()]

    seen = {c["id"]: c for c in client_for(world["agent"]).get(url).json()}
    assert seen[comment_id]["visibility"] == "shadowed"
    assert seen[comment_id]["author_key"] == first.author.public_key

    log = TicketEvent.objects.filter(ticket=borough_ticket, type="comment.created")
    assert comment_id not in [e.data["id"] for e in log]


def test_anonymous_sanction_follows_the_address_not_the_cookie(
    world: dict[str, Any], borough_ticket: Any
) -> None:
    troll = anon_client("troll-cookie-00000001", ip="198.51.100.66")
    posted = _post(troll, borough_ticket, "troll")
    assert posted.status_code == 201
    key = Comment.objects.get(pk=posted.json()["id"]).author.public_key
    assert _sanction(world, key, "ban").status_code == 201
    assert _post(troll, borough_ticket).status_code == 403
    fresh_cookie = anon_client("troll-cookie-00000002", ip="198.51.100.66")
    assert _post(fresh_cookie, borough_ticket).status_code == 403
    # A neighbour with an account on the same address is not affected...
    neighbour = client_for(world["owner"])
    neighbour.defaults["REMOTE_ADDR"] = "198.51.100.66"
    assert _post(neighbour, borough_ticket).status_code == 201
    # ...nor is an anonymous person elsewhere.
    assert (
        _post(anon_client("elsewhere-cookie-0001", ip="198.51.100.67"), borough_ticket).status_code
        == 201
    )


def test_account_sanction_never_spills_over_to_the_address(
    world: dict[str, Any], borough_ticket: Any
) -> None:
    account = client_for(world["outsider"])
    account.defaults["REMOTE_ADDR"] = "198.51.100.80"
    posted = _post(account, borough_ticket, "hi")
    key = Comment.objects.get(pk=posted.json()["id"]).author.public_key
    answer = _sanction(world, key, "ban")
    assert answer.json()["follows_address"] is False
    assert _post(account, borough_ticket).status_code == 403
    same_address = anon_client("housemate-cookie-0001", ip="198.51.100.80")
    assert _post(same_address, borough_ticket).status_code == 201


@pytest.mark.usefixtures("rate_window")
def test_rate_limit_override(world: dict[str, Any], borough_ticket: Any) -> None:
    first = comment_on(borough_ticket, "first", user=world["outsider"])
    answer = _sanction(
        world, first.author.public_key, "rate_limit", limit_count=1, limit_seconds=3600
    )
    assert answer.status_code == 201
    client = client_for(world["outsider"])
    assert _post(client, borough_ticket, "one").status_code == 201
    second = _post(client, borough_ticket, "two")
    assert second.status_code == 429 and "Retry-After" in second


def test_unknown_key_and_kind(world: dict[str, Any]) -> None:
    assert _sanction(world, "nope", "ban").status_code == 400
    volunteer = client_for(world["volunteer"])
    answer = volunteer.post(
        "/api/v1/moderation/sanctions/",
        {"author_key": "x", "kind": "exile", "reason": "r"},
        format="json",
    )
    assert answer.status_code == 400 and "kind" in answer.json()
