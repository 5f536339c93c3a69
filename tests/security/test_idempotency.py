"""`Idempotency-Key` on every write endpoint: the same key from the same identity answers the
first answer again and writes nothing, also when the two requests race; another identity's
key is its own; a key reused for another body is refused (422); a bad key is a 400."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.db import connection
from django.db.models import Model
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from moderation.models import Flag, Offer
from security.models import IdempotentRequest
from tests.conftest import BOROUGH_POINT, actor_for
from tickets import services
from tickets.models import Comment, Follow, Integration, Thanks, Ticket, TicketEvent, Vote

OPEN311_KEY = "idempotency-open311-key"


@dataclass
class Write:
    """One write endpoint: where to send what, and which rows a run of it adds."""

    name: str
    path: str
    body: dict[str, Any]
    model: type[Model]
    form: bool = False


def _writes(ticket: Ticket, comment: Comment) -> list[Write]:
    t, c = ticket.pk, comment.pk
    report = {
        "title": "Ice on the stairs",
        "description": "Slippery.",
        "service_code": "snow",
        **BOROUGH_POINT,
    }
    open311 = {
        "api_key": OPEN311_KEY,
        "service_code": "snow",
        "description": "Snow bank blocks the bus stop",
        "lat": str(BOROUGH_POINT["lat"]),
        "long": str(BOROUGH_POINT["long"]),
    }
    return [
        Write("ticket", "/api/v1/tickets/", report, Ticket),
        Write("comment", f"/api/v1/tickets/{t}/comments/", {"body": "Still icy."}, Comment),
        Write(
            "offer",
            f"/api/v1/tickets/{t}/offers/",
            {"message": "I have a shovel.", "contact": "555-0100"},
            Offer,
        ),
        Write("follow", f"/api/v1/tickets/{t}/follow/", {}, Follow),
        Write("vote", f"/api/v1/tickets/{t}/vote/", {}, Vote),
        Write("thanks", f"/api/v1/tickets/{t}/thanks/", {}, Thanks),
        Write("flag", f"/api/v1/comments/{c}/flag/", {"reason": "spam"}, Flag),
        Write("open311-json", "/open311/v2/requests.json", open311, Ticket, form=True),
        Write("open311-xml", "/open311/v2/requests.xml", open311, Ticket, form=True),
    ]


def _client(user: Any = None, *, ip: str = "127.0.0.1") -> APIClient:
    client = APIClient(REMOTE_ADDR=ip)
    if user is not None:
        token, _created = Token.objects.get_or_create(user=user)
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


def _send(client: APIClient, write: Write, key: str | None, **body: Any) -> Any:
    headers = {} if key is None else {"HTTP_IDEMPOTENCY_KEY": key}
    data = {**write.body, **body}
    if write.form:  # Open311 clients post forms (the API's test default is JSON)
        return client.post(write.path, data, format="multipart", **headers)
    return client.post(write.path, data, format="json", **headers)


@pytest.fixture
def setting(world: dict[str, Any], make_ticket: Any) -> dict[str, Any]:
    Integration.ensure(name="Idempotency test client", raw_key=OPEN311_KEY)
    ticket = make_ticket()
    comment = services.comment_create(
        actor=actor_for(anon="first-commenter-0001"), ticket_id=ticket.pk, body="First!"
    )
    return {"ticket": ticket, "comment": comment, "writes": _writes(ticket, comment)}


def _rows(write: Write) -> int:
    return write.model._default_manager.count()


def _names() -> list[str]:
    return [
        "ticket",
        "comment",
        "offer",
        "follow",
        "vote",
        "thanks",
        "flag",
        "open311-json",
        "open311-xml",
    ]


def _pick(setting: dict[str, Any], name: str) -> Write:
    return next(w for w in setting["writes"] if w.name == name)


@pytest.mark.parametrize("name", _names())
def test_the_same_key_twice_writes_once_and_answers_the_same(
    world: dict[str, Any], setting: dict[str, Any], name: str
) -> None:
    write = _pick(setting, name)
    client = _client(world["outsider"])  # not yet following, voting or flagging
    before = _rows(write)
    key = str(uuid.uuid4())
    first = _send(client, write, key)
    assert first.status_code in (200, 201, 202), first.content
    after_first, events_after_first = _rows(write), TicketEvent.objects.count()
    assert after_first == before + 1

    again = _send(client, write, key)
    assert again.status_code == first.status_code
    assert again.content == first.content
    assert again["Content-Type"] == first["Content-Type"]
    assert again["Idempotent-Replayed"] == "true"
    assert _rows(write) == after_first
    assert TicketEvent.objects.count() == events_after_first

    if write.model in (Ticket, Comment, Offer):
        # Without the header the same body is a new write: the key is what made it one.
        other = _send(client, write, None)
        assert other.status_code in (200, 201, 202)
        assert _rows(write) == after_first + 1
    assert not IdempotentRequest.objects.filter(state="in_progress").exists()


def test_anonymous_callers_by_address_and_by_cookie_are_each_their_own(
    world: dict[str, Any], setting: dict[str, Any]
) -> None:
    write = _pick(setting, "comment")
    key = "storm-2026-12-02-comment-1"
    here, there = _client(ip="198.51.100.1"), _client(ip="198.51.100.2")
    first = _send(here, write, key)
    assert first.status_code == 201
    assert _send(here, write, key).content == first.content
    # Another network address with the same key: another person, another comment.
    second = _send(there, write, key)
    assert second.status_code == 201 and second.content != first.content
    assert Comment.objects.filter(body="Still icy.").count() == 2

    # A browser known by its anonymous cookie, seen from two addresses, is one person.
    page = APIClient(REMOTE_ADDR="198.51.100.3")
    page.get(f"/tickets/{setting['ticket'].pk}/")  # the page load hands out the cookie
    third = _send(page, write, key)
    assert third.status_code == 201
    page.defaults["REMOTE_ADDR"] = "198.51.100.4"
    assert _send(page, write, key).content == third.content
    assert Comment.objects.filter(body="Still icy.").count() == 3


def test_two_accounts_with_the_same_key_are_independent(
    world: dict[str, Any], setting: dict[str, Any]
) -> None:
    write = _pick(setting, "ticket")
    key = "shared-key"
    a = _send(_client(world["owner"]), write, key)
    b = _send(_client(world["outsider"]), write, key)
    assert a.status_code == b.status_code == 201
    assert a.json()["id"] != b.json()["id"]
    assert Ticket.objects.filter(title="Ice on the stairs").count() == 2


@pytest.mark.parametrize(
    "key", ["", "x" * 256, "caf\u00e9", "tab\there", "new\nline"], ids=lambda k: repr(k)[:12]
)
def test_a_bad_key_is_a_400_naming_the_header(
    world: dict[str, Any], setting: dict[str, Any], key: str
) -> None:
    write = _pick(setting, "comment")
    before = _rows(write)
    client = _client(world["owner"])
    # The test client passes the raw value; a real HTTP server would refuse some of these.
    answer = client.post(write.path, write.body, format="json", headers={"Idempotency-Key": key})
    assert answer.status_code == 400
    assert "Idempotency-Key" in answer.json()
    assert _rows(write) == before


def test_a_bad_key_on_open311_is_the_standards_error(
    world: dict[str, Any], setting: dict[str, Any]
) -> None:
    write = _pick(setting, "open311-xml")
    answer = _client().post(write.path, write.body, HTTP_IDEMPOTENCY_KEY="x" * 300)
    assert answer.status_code == 400
    assert b"<errors>" in answer.content and b"Idempotency-Key" in answer.content


def test_the_same_key_with_another_body_is_a_422(
    world: dict[str, Any], setting: dict[str, Any]
) -> None:
    write = _pick(setting, "comment")
    client = _client(world["owner"])
    assert _send(client, write, "k-1").status_code == 201
    refused = _send(client, write, "k-1", body="Something else entirely.")
    assert refused.status_code == 422
    assert "Idempotency-Key" in refused.json()
    assert not Comment.objects.filter(body="Something else entirely.").exists()
    # The same key on another endpoint is another request too.
    assert _send(client, _pick(setting, "ticket"), "k-1").status_code == 422


@pytest.mark.usefixtures("rate_window")
def test_an_answer_that_says_not_now_lets_the_key_be_retried(
    world: dict[str, Any], setting: dict[str, Any], settings: Any
) -> None:
    write = _pick(setting, "ticket")
    client = _client(ip="203.0.113.50")  # anonymous: three reports per ten minutes
    for i in range(3):
        assert _send(client, write, f"report-{i}").status_code == 201
    limited = _send(client, write, "report-3")
    assert limited.status_code == 429
    assert not IdempotentRequest.objects.filter(state="in_progress").exists()
    settings.FIXLINE = {
        **settings.FIXLINE,
        "RATE_LIMITS": {
            **settings.FIXLINE["RATE_LIMITS"],
            "anonymous": {**settings.FIXLINE["RATE_LIMITS"]["anonymous"], "ticket": (100, 600)},
        },
    }
    retried = _send(client, write, "report-3")
    assert retried.status_code == 201
    assert "Idempotent-Replayed" not in retried


def test_answers_are_forgotten_after_a_day(
    world: dict[str, Any], setting: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    from datetime import timedelta

    from django.utils import timezone

    write = _pick(setting, "comment")
    client = _client(world["owner"])
    assert _send(client, write, "day-old").status_code == 201
    IdempotentRequest.objects.update(created_at=timezone.now() - timedelta(hours=25))
    again = _send(client, write, "day-old")
    assert again.status_code == 201 and "Idempotent-Replayed" not in again
    assert Comment.objects.filter(body="Still icy.").count() == 2
    assert IdempotentRequest.objects.count() == 1


def _race(send: Callable[[], Any], runners: int = 4) -> list[Any]:
    barrier = threading.Barrier(runners)
    answers: list[Any] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            barrier.wait(timeout=10)
            answers.append(send())
        except BaseException as exc:  # reported in the main thread
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(runners)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors, errors
    return answers


def _check_race(world: dict[str, Any], write: Write, runners: int) -> None:
    before = _rows(write)
    key = f"race-{write.name}"
    user = world["outsider"]
    Token.objects.get_or_create(user=user)
    answers = _race(lambda: _send(_client(user), write, key), runners)
    assert len(answers) == runners
    assert {a.status_code for a in answers} <= {200, 201, 202}
    assert len({a.content for a in answers}) == 1
    assert sum("Idempotent-Replayed" in a for a in answers) == runners - 1
    assert _rows(write) == before + 1


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("name", _names())
def test_two_racing_requests_with_one_key_write_once(
    world: dict[str, Any], setting: dict[str, Any], name: str
) -> None:
    # Real threads on whichever database the suite runs on (SQLite serialises the writers).
    _check_race(world, _pick(setting, name), 2)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("name", _names())
def test_six_racing_requests_with_one_key_write_once_on_postgres(
    world: dict[str, Any], setting: dict[str, Any], name: str
) -> None:
    _check_race(world, _pick(setting, name), 6)
