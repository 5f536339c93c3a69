"""Flags: once per person, trust-weighted, automatic hiding at the threshold, the queue."""

from __future__ import annotations

from typing import Any

from moderation.models import Flag
from tests.conftest import client_for
from tests.moderation.conftest import anon_client, comment_on, with_standing
from tickets.models import Comment, TicketEvent


def _flag(client: Any, comment: Comment, reason: str = "abuse") -> Any:
    return client.post(
        f"/api/v1/comments/{comment.pk}/flag/", {"reason": reason, "details": "rude"}, format="json"
    )


def test_three_distinct_anonymous_people_hide_a_comment(
    world: dict[str, Any], borough_ticket: Any
) -> None:
    comment = comment_on(borough_ticket, "You are all idiots", user=world["outsider"])
    for n in range(2):
        answer = _flag(anon_client(f"flagger-token-00000{n}", ip=f"192.0.2.{n + 1}"), comment)
        assert answer.status_code == 201 and answer.json()["hidden"] is False
    comment.refresh_from_db()
    assert comment.visibility == "visible"
    answer = _flag(anon_client("flagger-token-000009", ip="192.0.2.9"), comment)
    assert answer.status_code == 201 and answer.json()["hidden"] is True
    comment.refresh_from_db()
    assert comment.visibility == "hidden" and comment.moderation_reason == "flagged"
    hidden = TicketEvent.objects.get(ticket=borough_ticket, type="comment.hidden")
    assert hidden.data == {"id": comment.pk}
    public = anon_client("someone-else-000001", ip="192.0.2.50").get(
        f"/api/v1/tickets/{borough_ticket.pk}/comments/"
    )
    assert comment.pk not in [c["id"] for c in public.json()]


def test_one_trusted_volunteer_hides(world: dict[str, Any], borough_ticket: Any) -> None:
    comment = comment_on(borough_ticket, "spam spam", user=world["outsider"])
    answer = _flag(client_for(world["volunteer"]), comment, "spam")
    assert answer.status_code == 201 and answer.json()["hidden"] is True


def test_cookies_cleared_on_one_address_count_once(
    world: dict[str, Any], borough_ticket: Any
) -> None:
    comment = comment_on(borough_ticket, "inconvenient truth", user=world["outsider"])
    for n in range(5):
        assert (
            _flag(anon_client(f"troll-cookie-000000{n}", ip="192.0.2.66"), comment).status_code
            == 201
        )
    comment.refresh_from_db()
    assert comment.visibility == "visible"


def test_once_per_identity(world: dict[str, Any], borough_ticket: Any) -> None:
    comment = comment_on(borough_ticket, "hm", user=world["outsider"])
    client = client_for(world["owner"])
    assert _flag(client, comment).status_code == 201
    second = _flag(client, comment, "spam")
    assert second.status_code == 409
    assert Flag.objects.filter(comment=comment).count() == 1


def test_bad_reason_and_unknown_comment(world: dict[str, Any], borough_ticket: Any) -> None:
    comment = comment_on(borough_ticket, "hm", user=world["outsider"])
    client = client_for(world["owner"])
    assert _flag(client, comment, "because").status_code == 400
    assert client.post("/api/v1/comments/999999/flag/", {"reason": "spam"}).status_code == 404


def test_hidden_comment_cannot_be_flagged_by_the_public(
    world: dict[str, Any], borough_ticket: Any
) -> None:
    comment = comment_on(borough_ticket, "hm", user=world["outsider"])
    client_for(world["agent"]).post(
        f"/api/v1/comments/{comment.pk}/hide/", {"reason": "abuse"}, format="json"
    )
    assert _flag(client_for(world["owner"]), comment).status_code == 404


def test_queue_most_urgent_first_and_actions_resolve(
    world: dict[str, Any], borough_ticket: Any
) -> None:
    # Two citizens with standing, on one address: their flags count apart.
    with_standing(world["owner"], borough_ticket)
    with_standing(world["citizen"], borough_ticket)
    mild = comment_on(borough_ticket, "mild", user=world["outsider"])
    bad = comment_on(borough_ticket, "bad", user=world["outsider"])
    _flag(client_for(world["owner"]), mild)
    _flag(client_for(world["owner"]), bad)
    _flag(client_for(world["citizen"]), bad)
    agent = client_for(world["agent"])
    queue = agent.get("/api/v1/moderation/queue/").json()
    assert [i["comment"]["id"] for i in queue["results"]] == [bad.pk, mild.pk]
    assert queue["results"][0]["score"] == 2.0
    assert queue["results"][0]["comment"]["author_key"] == bad.author.public_key
    dismissed = agent.post(
        f"/api/v1/moderation/items/{mild.pk}/dismiss/", {"reason": "fine"}, format="json"
    )
    assert dismissed.status_code == 200
    again = agent.post(
        f"/api/v1/moderation/items/{mild.pk}/dismiss/", {"reason": "fine"}, format="json"
    )
    assert again.status_code == 409
    queue = agent.get("/api/v1/moderation/queue/").json()
    assert [i["comment"]["id"] for i in queue["results"]] == [bad.pk]


def test_dismissing_flags_undoes_an_automatic_hide(
    world: dict[str, Any], borough_ticket: Any
) -> None:
    comment = comment_on(borough_ticket, "fine actually", user=world["outsider"])
    _flag(client_for(world["volunteer"]), comment)
    comment.refresh_from_db()
    assert comment.visibility == "hidden"
    answer = client_for(world["agent"]).post(
        f"/api/v1/moderation/items/{comment.pk}/dismiss/", {"reason": "not abuse"}, format="json"
    )
    assert answer.status_code == 200
    comment.refresh_from_db()
    assert comment.visibility == "visible"
    types = list(TicketEvent.objects.filter(ticket=borough_ticket).values_list("type", flat=True))
    assert types[-2:] == ["comment.hidden", "comment.restored"]


def test_actions_need_a_reason(world: dict[str, Any], borough_ticket: Any) -> None:
    comment = comment_on(borough_ticket, "hm", user=world["outsider"])
    answer = client_for(world["agent"]).post(f"/api/v1/comments/{comment.pk}/hide/", {})
    assert answer.status_code == 400 and "reason" in answer.json()


def test_second_identical_action_is_a_conflict(world: dict[str, Any], borough_ticket: Any) -> None:
    comment = comment_on(borough_ticket, "hm", user=world["outsider"])
    url = f"/api/v1/comments/{comment.pk}/hide/"
    assert client_for(world["agent"]).post(url, {"reason": "a"}).status_code == 200
    assert client_for(world["volunteer"]).post(url, {"reason": "b"}).status_code == 409
    hidden = TicketEvent.objects.filter(ticket=borough_ticket, type="comment.hidden")
    assert hidden.count() == 1


def test_standing_needs_age_and_a_settled_history(
    world: dict[str, Any], borough_ticket: Any
) -> None:
    from datetime import timedelta

    from django.utils import timezone

    from moderation.selectors import has_standing

    user = world["citizen"]
    assert not has_standing(user)  # new
    type(user).objects.filter(pk=user.pk).update(date_joined=timezone.now() - timedelta(days=30))
    user.refresh_from_db()
    assert not has_standing(user)  # old, but nothing public yet
    fresh = comment_on(borough_ticket, "just now", user=user)
    assert not has_standing(user)  # a comment from a minute ago is no history
    Comment.objects.filter(pk=fresh.pk).update(created_at=timezone.now() - timedelta(days=2))
    assert has_standing(user)
    assert has_standing(world["agent"]) and not has_standing(None)
