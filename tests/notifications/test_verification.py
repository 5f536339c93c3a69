"""Someone else's inbox cannot be flooded: an address receives nothing but one verification
mail until it is verified, every kind of mail is bounded per address per hour, and the
password-reset mail goes through the outbox, queued by the worker for any address."""

from __future__ import annotations

import re
from typing import Any

from django.contrib.auth import get_user_model
from django.test import Client
from django_tasks_db.models import DBTaskResult

from notifications.models import AddressVerification, Delivery
from notifications.verification import mark_verified
from tests.conftest import actor_for
from tests.notifications.conftest import run_tasks, to
from tickets import services

VICTIM = "victim@example.net"


def sign_up(username: str, email: str, ip: str = "198.51.100.20") -> Any:
    response = Client(REMOTE_ADDR=ip).post(
        "/accounts/signup/",
        {
            "username": username,
            "email": email,
            "password1": "a-long-passphrase-42",
            "password2": "a-long-passphrase-42",
        },
    )
    assert response.status_code == 303, response.content
    return get_user_model().objects.get(username=username)


def link_in(message: Any) -> str:
    found = re.search(r"http://\S+/accounts/verify/\S+/", message.body)
    assert found, message.body
    return found.group(0).split("127.0.0.1:8000", 1)[-1]


def test_signup_sends_one_verification_mail_and_its_link_verifies(
    world: Any, outbox: list, unverified: None
) -> None:
    user = sign_up("newcomer", "New.Comer@example.net")
    run_tasks()
    [message] = outbox
    assert message.to == ["new.comer@example.net"] and "Verify" in message.subject
    assert "new.comer" not in link_in(message)  # the link carries an id, not the address
    client = Client()
    page = client.get(link_in(message))
    assert page.status_code == 200 and 'data-testid="notification-action"' in page.content.decode()
    assert AddressVerification.objects.get(user=user).verified_at is None  # not by a GET
    assert client.post(link_in(message)).status_code == 200
    assert AddressVerification.objects.get(user=user).verified_at is not None
    assert Client().get("/accounts/verify/forged-token/").status_code == 400


def test_unverified_addresses_receive_nothing_but_the_verification(
    world: Any, make_ticket: Any, outbox: list, clock: Any, unverified: None
) -> None:
    people = [sign_up(f"victim{n}", VICTIM, ip=f"198.51.100.{30 + n}") for n in range(5)]
    ticket = make_ticket(actor_for(people[0]))
    for person in people:
        services.ticket_react(actor=actor_for(person), ticket_id=ticket.pk, kind="follow")
    services.comment_create(actor=actor_for(world["agent"]), ticket_id=ticket.pk, body="On it")
    services.ticket_transition(
        actor=actor_for(world["agent"]), ticket_id=ticket.pk, action="close", note="Done"
    )
    Client().post("/accounts/password_reset/", {"email": VICTIM})
    make_ticket(actor_for(anon="c" * 20), contact_email=VICTIM, anonymous=True)
    clock.advance(seconds=61)
    run_tasks()
    clock.advance(days=8)
    run_tasks()
    kinds = [d.kind for d in Delivery.objects.filter(recipient=VICTIM)]
    assert set(kinds) == {"verify_email"} and len(kinds) == 3  # the hourly bound
    assert len(to(outbox, VICTIM)) == 3
    assert to(outbox, "owner@example.org") == []  # the unverified owner: nothing either


def test_a_verified_address_shared_by_many_accounts_gets_at_most_the_bound(
    world: Any, make_ticket: Any, outbox: list, clock: Any, settings: Any
) -> None:
    settings.FIXLINE = {
        **settings.FIXLINE,
        "EMAIL_PER_RECIPIENT_HOURLY": {
            **settings.FIXLINE["EMAIL_PER_RECIPIENT_HOURLY"],
            "default": 4,
        },
    }
    User = get_user_model()
    people = [User.objects.create_user(f"flood{n}", VICTIM, "pw-123456") for n in range(6)]
    for person in people:  # even if each account got its link clicked
        mark_verified(email=VICTIM, user=person)
    ticket = make_ticket()
    for person in people:
        services.ticket_react(actor=actor_for(person), ticket_id=ticket.pk, kind="follow")
    services.comment_create(actor=actor_for(world["agent"]), ticket_id=ticket.pk, body="On it")
    for n in range(6):
        Client(REMOTE_ADDR=f"203.0.113.{n}").post("/accounts/password_reset/", {"email": VICTIM})
    clock.advance(seconds=61)
    run_tasks()
    sent = [d.kind for d in Delivery.objects.filter(recipient=VICTIM)]
    assert sent.count("follower_update") == 4
    assert sent.count("password_reset") == 3
    clock.advance(hours=1, seconds=1)  # the next hour has its own share
    Client().post("/accounts/password_reset/", {"email": VICTIM})
    run_tasks()
    assert Delivery.objects.filter(recipient=VICTIM, kind="password_reset").count() == 6


def test_area_alert_confirmations_are_bounded_per_address(world: Any, outbox: list) -> None:
    for n in range(6):
        Client(REMOTE_ADDR=f"203.0.113.{40 + n}").post(
            "/alerts/", {"email": VICTIM, "jurisdiction": "riverton"}
        )
    run_tasks()
    assert len(to(outbox, VICTIM)) == 3


def test_password_reset_takes_the_same_path_for_known_and_unknown_addresses(
    world: Any, outbox: list
) -> None:
    assert Client().get("/accounts/password_reset/").status_code == 200  # Django's form
    answers = []
    for address in ("citizen@example.org", "nobody@example.net"):
        before = DBTaskResult.objects.count()
        response = Client().post("/accounts/password_reset/", {"email": address})
        answers.append((response.status_code, response["Location"]))
        # The request only enqueues one task; it sends nothing itself.
        assert DBTaskResult.objects.count() == before + 1 and outbox == []
    assert answers[0] == answers[1] == (302, "/accounts/password_reset/done/")
    run_tasks()
    [message] = outbox
    assert message.to == ["citizen@example.org"] and "/accounts/reset/" in message.body
    reset_path = re.search(r"/accounts/reset/\S+/", message.body)
    assert reset_path and Client().get(reset_path.group(0)).status_code == 302  # valid link


def test_contact_address_of_an_anonymous_report_is_asked_to_verify_first(
    world: Any, make_ticket: Any, outbox: list
) -> None:
    first = make_ticket(
        actor_for(anon="a" * 20), contact_email="neighbour@example.net", anonymous=True
    )
    run_tasks()
    [ask] = to(outbox, "neighbour@example.net")
    assert "Verify" in ask.subject
    Client().post(link_in(ask))
    second = make_ticket(actor_for(anon="a" * 20), contact_email="neighbour@example.net")
    run_tasks()
    # The first report's receipt, held until the address was proven, and the second's.
    receipts = [m.subject for m in to(outbox, "neighbour@example.net") if "Received" in m.subject]
    assert sorted(receipts) == sorted(f"Received: #{t.pk} {t.title}" for t in (first, second))


def test_preferences_page_sends_the_link_again(world: Any, outbox: list, unverified: None) -> None:
    client = Client()
    client.force_login(world["owner"])
    page = client.get("/notifications/preferences/")
    assert 'data-testid="verify-again"' in page.content.decode()
    assert client.post("/accounts/verify-again/").status_code == 303
    run_tasks()
    assert [m.to for m in outbox] == [["owner@example.org"]]
    Client().post(link_in(outbox[0]))
    assert (
        'data-testid="verify-again"'
        not in client.get("/notifications/preferences/").content.decode()
    )


def test_an_address_verified_by_its_owner_is_not_verified_for_other_accounts(
    world: Any, make_ticket: Any, outbox: list, clock: Any
) -> None:
    owner = get_user_model().objects.create_user("victim", VICTIM, "pw-123456")
    mark_verified(email=VICTIM, user=owner)
    intruder = sign_up("intruder", VICTIM)
    ticket = make_ticket()
    for person in (owner, intruder):
        services.ticket_react(actor=actor_for(person), ticket_id=ticket.pk, kind="follow")
    services.comment_create(actor=actor_for(world["agent"]), ticket_id=ticket.pk, body="On it")
    clock.advance(seconds=61)
    run_tasks()
    updates = Delivery.objects.filter(recipient=VICTIM, kind="follower_update")
    assert updates.count() == 1  # the owner's, not a second one for the intruder's account
    assert Delivery.objects.filter(recipient=VICTIM, kind="verify_email").count() == 1
