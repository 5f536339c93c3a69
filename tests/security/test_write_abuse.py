"""Round 2, write-side abuse (docs/security.md): sybil flags, sanctioned people writing,
vote stuffing with fresh cookies, sanctions lapsing at the salt rotation, and cookie-less
neighbours acting on each other's tickets and offers. Each test is an attack that worked
before its fix."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any
from unittest import mock

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone
from django.utils.formats import date_format
from rest_framework.test import APIClient

from moderation.models import Sanction
from tests.conftest import BOROUGH_POINT, actor_for, client_for
from tests.moderation.conftest import anon_client, comment_on, with_standing
from tests.realtime.test_browser import browser, open_ticket, server  # noqa: F401  (shared fixtures)
from tickets import identity as identity_module
from tickets import services
from tickets.models import Comment, Ticket, Vote

TICKETS = "/api/v1/tickets"


def _flag(client: APIClient, comment: Comment) -> Any:
    return client.post(f"/api/v1/comments/{comment.pk}/flag/", {"reason": "abuse"}, format="json")


def _account(name: str) -> Any:
    return get_user_model().objects.create_user(name, f"{name}@example.org", f"pw-{name}-123")


def _on_address(user: Any, ip: str) -> APIClient:
    client = APIClient(REMOTE_ADDR=ip)
    client.force_authenticate(user=user)
    return client


def _sanction(world: dict[str, Any], author_key: str, kind: str, **extra: Any) -> Any:
    answer = client_for(world["volunteer"]).post(
        "/api/v1/moderation/sanctions/",
        {"author_key": author_key, "kind": kind, "reason": "trolling", **extra},
        format="json",
    )
    assert answer.status_code == 201, answer.content
    return answer.json()


def _close(world: dict[str, Any], ticket: Ticket) -> None:
    services.ticket_transition(actor=actor_for(world["agent"]), ticket_id=ticket.pk, action="close")


# --- 1. Sybil flags ----------------------------------------------------------------------------


def test_three_fresh_accounts_on_one_address_do_not_hide_a_comment(
    world: dict[str, Any], make_ticket: Any
) -> None:
    ticket = make_ticket()
    comment = comment_on(ticket, "The truth about the contractor", user=world["owner"])
    for n in range(3):
        answer = _flag(_on_address(_account(f"sybil{n}"), "192.0.2.77"), comment)
        assert answer.status_code == 201 and answer.json()["hidden"] is False
    comment.refresh_from_db()
    assert comment.visibility == Comment.Visibility.VISIBLE
    public = anon_client("reader-token-000000001", ip="192.0.2.200")
    shown = public.get(f"{TICKETS}/{ticket.pk}/comments/").json()
    assert comment.pk in [c["id"] for c in shown]


def test_accounts_with_standing_still_hide_together(
    world: dict[str, Any], make_ticket: Any
) -> None:
    ticket = make_ticket()
    comment = comment_on(ticket, "buy cheap pills", user=world["outsider"])
    flaggers = [with_standing(_account(f"neighbour{n}"), ticket) for n in range(3)]
    answers = [_flag(_on_address(user, "192.0.2.78"), comment).json() for user in flaggers]
    assert [a["hidden"] for a in answers] == [False, False, True]


def test_flags_never_hide_an_official_reply_it_goes_to_the_queue(
    world: dict[str, Any], make_ticket: Any
) -> None:
    ticket = make_ticket()
    reply = comment_on(ticket, "Crews are scheduled for Monday.", user=world["agent"])
    assert reply.official
    for n in range(4):
        answer = _flag(anon_client(f"angry-neighbour-00{n}", ip=f"192.0.2.{10 + n}"), reply)
        assert answer.status_code == 201 and answer.json()["hidden"] is False
    reply.refresh_from_db()
    assert reply.visibility == Comment.Visibility.VISIBLE
    queue = client_for(world["agent"]).get("/api/v1/moderation/queue/").json()
    assert [i["comment"]["id"] for i in queue["results"]] == [reply.pk]


# --- 8. Sanctioned people write ----------------------------------------------------------------


@pytest.fixture
def banned(world: dict[str, Any], make_ticket: Any) -> dict[str, Any]:
    """The outsider, banned for two days, and a closed ticket with a comment to act on."""
    ticket = make_ticket()
    comment = comment_on(ticket, "first", user=world["outsider"])
    sanction = _sanction(world, comment.author.public_key, "ban", minutes=2 * 24 * 60)
    _close(world, ticket)
    return {"ticket": ticket, "comment": comment, "sanction": sanction}


def _api_write(client: APIClient, path: str, ticket: Ticket, comment: Comment) -> Any:
    if path in ("vote", "thanks", "follow"):
        return client.post(f"{TICKETS}/{ticket.pk}/{path}/")
    if path == "reopen":
        return client.post(
            f"{TICKETS}/{ticket.pk}/transitions/",
            {"action": "reopen", "note": "still broken, says the troll"},
            format="json",
        )
    if path == "flag":
        return _flag(client, comment)
    if path == "comment":
        return client.post(f"{TICKETS}/{ticket.pk}/comments/", {"body": "hi"}, format="json")
    if path == "offer":
        return client.post(
            f"{TICKETS}/{ticket.pk}/offers/",
            {"message": "help", "contact": "x@example.org"},
            format="json",
        )
    assert path == "report"
    return client.post(
        f"{TICKETS}/",
        {"title": "Another one", "service_code": "snow", **BOROUGH_POINT},
        format="json",
    )


WRITE_PATHS = ["vote", "thanks", "follow", "reopen", "flag", "comment", "offer", "report"]


@pytest.mark.parametrize("path", WRITE_PATHS)
def test_a_banned_account_cannot_write_through_the_api(
    world: dict[str, Any], banned: dict[str, Any], path: str
) -> None:
    ticket = banned["ticket"]
    flaggable = comment_on(ticket, "someone else's", user=world["owner"])
    before = Ticket.objects.values("status", "votes", "thanks", "followers").get(pk=ticket.pk)
    answer = _api_write(client_for(world["outsider"]), path, ticket, flaggable)
    assert answer.status_code == 403, (path, answer.status_code, answer.content)
    detail = answer.json()["detail"]
    until = timezone.localtime(Sanction.objects.get(pk=banned["sanction"]["id"]).ends_at)
    # The end in the site's one date format (project/formats), as every page writes dates.
    assert "banned until" in detail and date_format(until, "DATETIME_FORMAT") in detail
    after = Ticket.objects.values("status", "votes", "thanks", "followers").get(pk=ticket.pk)
    assert after == before
    assert Ticket.objects.count() == 1  # no new report either


def test_a_muted_anonymous_browser_cannot_vote_or_reopen_its_ticket(
    world: dict[str, Any],
) -> None:
    visitor = anon_client("muted-browser-token-01", ip="192.0.2.90")
    created = visitor.post(
        f"{TICKETS}/", {"title": "Mine", "service_code": "snow", **BOROUGH_POINT}, format="json"
    )
    ticket = Ticket.objects.get(pk=created.json()["id"])
    _sanction(world, ticket.reporter.public_key, "mute", minutes=60)
    _close(world, ticket)
    reopen = _api_write(visitor, "reopen", ticket, Comment())
    assert reopen.status_code == 403 and "muted until" in reopen.json()["detail"]
    assert visitor.post(f"{TICKETS}/{ticket.pk}/vote/").status_code == 403
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.CLOSED and ticket.votes == 0


def test_the_refusal_is_in_french(world: dict[str, Any], banned: dict[str, Any]) -> None:
    client = client_for(world["outsider"])
    answer = client.post(f"{TICKETS}/{banned['ticket'].pk}/vote/", HTTP_ACCEPT_LANGUAGE="fr")
    assert answer.status_code == 403 and "banni" in answer.json()["detail"]


@pytest.mark.parametrize("kind", ["vote", "follow", "thanks"])
def test_a_banned_account_cannot_use_the_page_buttons(
    world: dict[str, Any], banned: dict[str, Any], kind: str
) -> None:
    ticket = banned["ticket"]
    visitor = Client()
    visitor.force_login(world["outsider"])
    page = visitor.post(f"/tickets/{ticket.pk}/react/", {"kind": kind}, follow=True)
    assert page.status_code == 200
    assert "banned until" in page.content.decode()
    ticket.refresh_from_db()
    assert (ticket.votes, ticket.thanks, ticket.followers) == (0, 0, 1)  # the reporter follows


def test_a_banned_account_cannot_reopen_from_the_page(
    world: dict[str, Any], banned: dict[str, Any]
) -> None:
    ticket = banned["ticket"]
    visitor = Client()
    visitor.force_login(world["outsider"])
    page = visitor.post(
        f"/tickets/{ticket.pk}/transition/",
        {"action": "reopen", "note": "Reopened by a banned troll"},
        follow=True,
    )
    assert "banned until" in page.content.decode()
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.CLOSED
    assert "Reopened by a banned troll" not in page.content.decode()


# --- 9. Vote stuffing with fresh cookies -------------------------------------------------------


def test_fresh_cookies_on_one_address_count_once(world: dict[str, Any], make_ticket: Any) -> None:
    ticket = make_ticket()
    for n in range(8):
        answer = anon_client(f"stuffing-cookie-{n:06}", ip="192.0.2.66").post(
            f"{TICKETS}/{ticket.pk}/vote/"
        )
        assert answer.status_code == 200
    assert answer.json()["votes"] == 1
    assert Vote.objects.filter(ticket=ticket).count() == 8  # each browser remembers its vote
    neighbour = anon_client("next-door-cookie-01", ip="192.0.2.67")
    assert neighbour.post(f"{TICKETS}/{ticket.pk}/vote/").json()["votes"] == 2
    account = _on_address(world["outsider"], "192.0.2.66")
    assert account.post(f"{TICKETS}/{ticket.pk}/vote/").json()["votes"] == 3


def test_an_address_keeps_its_one_follow_until_its_last_browser_unfollows(
    world: dict[str, Any], make_ticket: Any
) -> None:
    ticket = make_ticket()  # its reporter (an account) follows
    first = anon_client("follower-cookie-0001", ip="192.0.2.68")
    second = anon_client("follower-cookie-0002", ip="192.0.2.68")
    assert first.post(f"{TICKETS}/{ticket.pk}/follow/").json()["followers"] == 2
    assert second.post(f"{TICKETS}/{ticket.pk}/follow/").json()["followers"] == 2
    assert first.post(f"{TICKETS}/{ticket.pk}/unfollow/").json()["followers"] == 2
    assert second.post(f"{TICKETS}/{ticket.pk}/unfollow/").json()["followers"] == 1


@pytest.mark.usefixtures("rate_window")
def test_reactions_from_one_address_are_rate_limited(
    world: dict[str, Any], make_ticket: Any, settings: Any
) -> None:
    settings.FIXLINE = {
        **settings.FIXLINE,
        "RATE_LIMITS": {
            **settings.FIXLINE["RATE_LIMITS"],
            "anonymous": {**settings.FIXLINE["RATE_LIMITS"]["anonymous"], "reaction": (2, 60)},
        },
    }
    tickets = [make_ticket(title=f"Pothole {n}") for n in range(4)]
    statuses = []
    for n in range(12):  # a fresh cookie every time; the address allows 5 × 2 per minute
        answer = anon_client(f"flood-cookie-{n:08}", ip="192.0.2.99").post(
            f"{TICKETS}/{tickets[n % 4].pk}/thanks/"
        )
        statuses.append(answer.status_code)
    assert statuses[:10] == [200] * 10
    assert statuses[10:] == [429, 429]
    assert 1 <= int(answer["Retry-After"]) <= 61
    other = anon_client("elsewhere-cookie-01", ip="192.0.2.100")
    assert other.post(f"{TICKETS}/{tickets[0].pk}/thanks/").status_code == 200


# --- 13. Sanctions across the salt rotation; cookie-less ownership -------------------------------


@pytest.fixture
def fresh_salts() -> Iterator[None]:
    """No salt cached from another test (whose database rows were rolled back); a cache miss
    runs the rotation, which also forgets the kept salts."""
    identity_module._salt_cache.clear()
    yield
    identity_module._salt_cache.clear()


@contextmanager
def days_later(days: int) -> Iterator[None]:
    """The clock `days` ahead: the next IP salt rotation happens on the next request."""
    later = timezone.now() + timedelta(days=days)
    with mock.patch("django.utils.timezone.now", return_value=later):
        yield


@pytest.mark.usefixtures("fresh_salts")
def test_an_anonymous_ban_outlives_the_salt_rotation(
    world: dict[str, Any], make_ticket: Any
) -> None:
    ticket = make_ticket()
    troll = anon_client("troll-cookie-000001", ip="192.0.2.44")
    posted = troll.post(f"{TICKETS}/{ticket.pk}/comments/", {"body": "spam"}, format="json")
    author = Comment.objects.get(pk=posted.json()["id"]).author
    _sanction(world, author.public_key, "ban", minutes=7 * 24 * 60)
    for days in (1, 3):
        with days_later(days):
            fresh = anon_client(f"troll-cookie-00000{days + 1}", ip="192.0.2.44")
            again = fresh.post(f"{TICKETS}/{ticket.pk}/comments/", {"body": "x"}, format="json")
            assert again.status_code == 403, days
            neighbour = anon_client("honest-cookie-000001", ip="192.0.2.45")
            fine = neighbour.post(f"{TICKETS}/{ticket.pk}/comments/", {"body": "ok"}, format="json")
            assert fine.status_code == 201
    with days_later(8):  # the ban is over: the address may post again
        back = anon_client("troll-cookie-000009", ip="192.0.2.44")
        assert (
            back.post(f"{TICKETS}/{ticket.pk}/comments/", {"body": "hi"}, format="json").status_code
            == 201
        )


def test_cookieless_neighbours_cannot_reopen_each_others_tickets(
    world: dict[str, Any],
) -> None:
    reporter = APIClient(REMOTE_ADDR="192.0.2.55")  # no cookie jar: known by its address
    created = reporter.post(
        f"{TICKETS}/",
        {"title": "Shared wifi", "service_code": "snow", **BOROUGH_POINT},
        format="json",
    )
    assert created.status_code == 201
    ticket = Ticket.objects.get(pk=created.json()["id"])
    _close(world, ticket)
    neighbour = APIClient(REMOTE_ADDR="192.0.2.55")
    answer = _api_write(neighbour, "reopen", ticket, Comment())
    assert answer.status_code == 403
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.CLOSED


def test_cookieless_neighbours_cannot_withdraw_each_others_offers(
    world: dict[str, Any], make_ticket: Any
) -> None:
    ticket = make_ticket()
    helper = APIClient(REMOTE_ADDR="192.0.2.56")
    offer = _api_write(helper, "offer", ticket, Comment())
    assert offer.status_code == 201
    neighbour = APIClient(REMOTE_ADDR="192.0.2.56")
    withdrawn = neighbour.post(f"/api/v1/offers/{offer.json()['id']}/withdraw/", {}, format="json")
    assert withdrawn.status_code == 403


def test_a_browser_still_reopens_its_own_anonymous_ticket(world: dict[str, Any]) -> None:
    visitor = anon_client("owner-cookie-0000001", ip="192.0.2.57")
    created = visitor.post(
        f"{TICKETS}/", {"title": "Mine", "service_code": "snow", **BOROUGH_POINT}, format="json"
    )
    ticket = Ticket.objects.get(pk=created.json()["id"])
    _close(world, ticket)
    assert _api_write(visitor, "reopen", ticket, Comment()).status_code == 200


def test_a_mailed_link_still_lets_a_cookieless_reporter_reopen(world: dict[str, Any]) -> None:
    """The "is it fixed?" mail hands in the reporter's identity (the link proves the
    address): ownership is refused to callers known by their address, not to that link."""
    reporter = APIClient(REMOTE_ADDR="192.0.2.58")
    created = reporter.post(
        f"{TICKETS}/",
        {
            "title": "Mailed",
            "service_code": "snow",
            **BOROUGH_POINT,
        },
        format="json",
    )
    ticket = Ticket.objects.get(pk=created.json()["id"])
    _close(world, ticket)
    from_the_link = identity_module.Actor(user=None, _identity=ticket.reporter)
    services.ticket_transition(
        actor=from_the_link, ticket_id=ticket.pk, action="reopen", note="Still there"
    )
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.OPEN


# --- The page, in a real browser ---------------------------------------------------------------


@pytest.mark.browser
@pytest.mark.processes
@pytest.mark.timeout(240)  # a fresh demo site is migrated and seeded first
def test_a_banned_citizen_is_told_why_on_the_page(server: Any, browser: Any) -> None:  # noqa: F811
    """A banned citizen presses "Me too" and "Reopen" on a closed ticket: nothing changes,
    and the page says they are banned and until when."""
    from playwright.sync_api import expect

    from tests.realtime.processes import http, token

    ticket_id = open_ticket(server)
    citizen = token(server.url, "citizen", "demo-citizen")
    status, comment = http(
        "POST",
        f"{server.url}/api/v1/tickets/{ticket_id}/comments/",
        {"body": "Before the ban"},
        {"Authorization": f"Token {citizen}"},
    )
    assert status == 201, comment
    volunteer = {"Authorization": f"Token {token(server.url, 'volunteer', 'demo-volunteer')}"}
    status, listed = http(
        "GET", f"{server.url}/api/v1/tickets/{ticket_id}/comments/", None, volunteer
    )
    author_key = next(c["author_key"] for c in listed if c["id"] == comment["id"])
    status, ban = http(
        "POST",
        f"{server.url}/api/v1/moderation/sanctions/",
        {"author_key": author_key, "kind": "ban", "reason": "trolling", "minutes": 120},
        volunteer,
    )
    assert status == 201, ban
    agent = {"Authorization": f"Token {token(server.url, 'agent', 'demo-agent')}"}
    status, closed = http(
        "POST",
        f"{server.url}/api/v1/tickets/{ticket_id}/transitions/",
        {"action": "close", "note": "Fixed."},
        agent,
    )
    assert status == 200, closed
    votes_before = closed["votes"]

    context = browser.new_context(locale="en-US")
    page = context.new_page()
    page.goto(f"{server.url}/accounts/login/")
    page.fill("input[name=username]", "citizen")
    page.fill("input[name=password]", "demo-citizen")
    page.locator("main form [type=submit]").first.click()
    page.wait_for_url(lambda url: "/accounts/login/" not in url)
    page.goto(f"{server.url}/tickets/{ticket_id}/")
    page.get_by_test_id("vote-button").click()
    expect(page.locator(".messages")).to_contain_text("banned until", timeout=5000)
    expect(page.get_by_test_id("vote-count")).to_have_text(str(votes_before))
    # The reply box: its text is the reason, its reopen button the status choice.
    page.fill("#comment-body", "Reopened by a banned troll")
    page.get_by_test_id("transition-reopen").click()
    expect(page.get_by_test_id("reply-message")).to_contain_text("banned until", timeout=5000)
    status, after = http("GET", f"{server.url}/api/v1/tickets/{ticket_id}/")
    assert after["status"] == "closed" and after["votes"] == votes_before
    context.close()
