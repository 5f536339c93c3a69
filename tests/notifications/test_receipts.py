"""The receipt, agent notifications and the in-app bell for new tickets."""

from __future__ import annotations

from typing import Any

from notifications.models import Delivery, Notification, NotificationPreference
from notifications.verification import mark_verified
from tests.conftest import BOROUGH_POINT, actor_for
from tests.notifications.conftest import html_of, run_tasks, to


def test_receipt_says_where_the_ticket_went(world: Any, make_ticket: Any, outbox: list) -> None:
    make_ticket(actor_for(world["outsider"]), title="Earlier pothole")
    ticket = make_ticket()  # by owner, at the same spot, same type
    assert not to(outbox, "owner@example.org")  # only once the worker runs
    run_tasks()

    [receipt] = [m for m in to(outbox, "owner@example.org") if "Received" in m.subject]
    assert f"#{ticket.pk}" in receipt.subject
    text, html = receipt.body, html_of(receipt)
    for body in (text, html):
        assert f"http://127.0.0.1:8000/tickets/{ticket.pk}/" in body
        assert "Old Port" in body  # the borough's name
        assert "Old Port public works" in body  # the team
        assert "oldport@riverton.example.org" in body  # its public contact
    assert "There is 1 similar open report nearby." in text
    assert receipt.extra_headers["List-Unsubscribe"].startswith("<http://127.0.0.1:8000/")
    assert receipt.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def test_receipt_goes_to_the_contact_address_of_an_anonymous_reporter(
    world: Any, make_ticket: Any, outbox: list
) -> None:
    mark_verified(email="neighbour@example.net")  # unverified: test_verification.py
    make_ticket(actor_for(anon="a" * 20), contact_email="neighbour@example.net", anonymous=True)
    make_ticket(actor_for(anon="b" * 20), anonymous=True)  # no address: no receipt, no error
    run_tasks()
    assert [m.subject for m in to(outbox, "neighbour@example.net")] == [
        m.subject for m in outbox if "Received" in m.subject
    ]


def test_agents_hear_at_once_or_in_a_daily_digest(
    world: Any, make_ticket: Any, outbox: list, clock: Any
) -> None:
    agent = world["borough-agent"]  # the Old Port borough's agent
    first = make_ticket()
    run_tasks()
    [instant] = to(outbox, agent.email)
    assert f"New ticket #{first.pk}" in instant.subject
    assert Notification.objects.filter(user=agent, ticket=first, read_at__isnull=True).exists()

    NotificationPreference.objects.create(user=agent, new_tickets="daily")
    outbox.clear()
    second = make_ticket(title="Second")
    third = make_ticket(title="Third", **BOROUGH_POINT)
    run_tasks()
    assert not to(outbox, agent.email)
    clock.advance(days=1, minutes=1)
    run_tasks()
    [digest] = to(outbox, agent.email)
    assert "2 new tickets" in digest.subject
    assert f"#{second.pk} Second" in digest.body and f"#{third.pk} Third" in digest.body


def test_french_recipients_get_french_mail(world: Any, make_ticket: Any, outbox: list) -> None:
    NotificationPreference.objects.create(user=world["owner"], language="fr")
    make_ticket()
    run_tasks()
    [receipt] = [m for m in to(outbox, "owner@example.org")]
    assert receipt.subject.startswith("Reçu")
    assert "Merci pour votre signalement." in receipt.body
    assert Delivery.objects.get(recipient="owner@example.org").language == "fr"


def test_a_french_agent_reads_the_types_french_name_and_an_english_one_the_english(
    world: Any, make_ticket: Any, outbox: list
) -> None:
    """Issue 18: the type's name in the recipient's language (its French name from the admin),
    in the text and HTML parts alike; the status too."""
    agent = world["borough-agent"]
    pref = NotificationPreference.objects.create(user=agent, language="fr")
    ticket = make_ticket(service_code="snow")
    run_tasks()
    [mail] = to(outbox, agent.email)
    assert mail.subject.startswith("Nouveau signalement") and f"{ticket.pk}" in mail.subject
    for body in (mail.body, html_of(mail)):
        assert "Rue non déneigée" in body, body
        assert "Unploughed" not in body, body
    pref.language = "en"
    pref.save()
    outbox.clear()
    make_ticket(service_code="snow", title="Second")
    run_tasks()
    [mail] = to(outbox, agent.email)
    assert "Unploughed street" in mail.body and "Rue non déneigée" not in mail.body


def test_an_email_given_on_the_report_form_gets_the_receipt_once_verified(
    world: Any, outbox: list, clock: Any
) -> None:
    from django.test import Client

    from tests.notifications.test_verification import link_in
    from tickets import services
    from tickets.models import Ticket

    browser = Client()
    browser.get("/tickets/new/")
    response = browser.post(
        "/tickets/new/",
        {
            "title": "Ice on the school stairs",
            "service_code": "snow",
            "lat": str(BOROUGH_POINT["lat"]),
            "long": str(BOROUGH_POINT["long"]),
            "email": "parent@example.net",
            "anonymous": "on",
        },
    )
    assert response.status_code == 303
    ticket = Ticket.objects.get(title="Ice on the school stairs")
    run_tasks()
    [ask] = to(outbox, "parent@example.net")  # first, only the link that proves the address
    assert "Verify" in ask.subject
    Client().post(link_in(ask))
    run_tasks()
    receipt = to(outbox, "parent@example.net")[-1]
    assert "Received" in receipt.subject and f"#{ticket.pk}" in receipt.subject
    Client().post(link_in(ask))  # a second click sends nothing again
    run_tasks()
    assert len(to(outbox, "parent@example.net")) == 2

    services.comment_create(actor=actor_for(world["agent"]), ticket_id=ticket.pk, body="On it")
    clock.advance(seconds=61)
    run_tasks()
    update = to(outbox, "parent@example.net")[-1]  # the follower updates reach it too
    assert f"#{ticket.pk}" in update.subject and "On it" in update.body
