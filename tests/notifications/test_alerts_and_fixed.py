"""Area alerts (double opt-in) and the "is it fixed?" questionnaire."""

from __future__ import annotations

import re
from typing import Any

from django.test import Client

from notifications.models import AreaSubscription, FixCheck
from tests.conftest import BOROUGH_POINT, CITY_POINT, actor_for
from tests.notifications.conftest import run_tasks, to
from tickets import services
from tickets.models import Ticket, TicketEvent

LINK = re.compile(r"http://127\.0\.0\.1:8000(/\S+/)")


def _links(message: Any) -> list[str]:
    return LINK.findall(message.body)


def test_alerts_need_double_opt_in(world: Any, make_ticket: Any, outbox: list) -> None:
    browser = Client()
    bbox = "-73.56,45.50,-73.54,45.51"  # around the borough point
    answer = browser.post(
        "/alerts/", {"email": "street@example.net", "bbox": bbox, "service_types": ["snow"]}
    )
    assert answer.status_code == 200 and b"Check your inbox" in answer.content
    make_ticket(title="Before confirming")
    run_tasks()
    [confirmation] = to(outbox, "street@example.net")  # the confirmation only, no alert
    assert "Confirm" in confirmation.subject
    [confirm_url] = _links(confirmation)

    assert browser.get(confirm_url).status_code == 200  # a GET (a mail scanner) confirms nothing
    assert not AreaSubscription.objects.get().confirmed_at
    assert browser.post(confirm_url).status_code == 200
    assert AreaSubscription.objects.get().active

    outbox.clear()
    inside = make_ticket(title="Inside, snow")
    make_ticket(title="Inside, other type", service_code="graffiti")
    make_ticket(title="Elsewhere", **CITY_POINT)
    run_tasks()
    [alert] = to(outbox, "street@example.net")
    assert f"#{inside.pk} Inside, snow" in alert.subject
    unsubscribe = LINK.search(alert.extra_headers["List-Unsubscribe"]).group(1)
    assert Client(enforce_csrf_checks=True).post(unsubscribe).status_code == 200

    outbox.clear()
    make_ticket(title="After unsubscribing")
    run_tasks()
    assert not to(outbox, "street@example.net")


def test_jurisdiction_alerts_and_form_errors(world: Any, make_ticket: Any, outbox: list) -> None:
    browser = Client()
    assert browser.post("/alerts/", {"email": "x@example.net"}).status_code == 200
    assert not AreaSubscription.objects.exists()  # neither an area nor a jurisdiction
    browser.post("/alerts/", {"email": "city@example.net", "jurisdiction": "riverton"})
    sub = AreaSubscription.objects.get()
    run_tasks()
    [confirmation] = to(outbox, "city@example.net")
    browser.post(_links(confirmation)[0])
    outbox.clear()
    borough_ticket = make_ticket(**BOROUGH_POINT)  # the borough is inside the city
    run_tasks()
    [alert] = to(outbox, "city@example.net")
    assert f"#{borough_ticket.pk}" in alert.subject
    assert sub.pk


def _closed_ticket(world: Any, make_ticket: Any) -> Ticket:
    ticket = make_ticket()
    services.ticket_transition(
        actor=actor_for(world["agent"]), ticket_id=ticket.pk, action="close", note="Filled."
    )
    return ticket


def test_no_reopens_the_ticket_with_the_reporters_note(
    world: Any, make_ticket: Any, outbox: list, clock: Any
) -> None:
    ticket = _closed_ticket(world, make_ticket)
    run_tasks()
    clock.advance(days=6)
    run_tasks()
    assert not [m for m in outbox if "Is it fixed?" in m.subject]
    clock.advance(days=1, minutes=1)
    run_tasks()
    [question] = [m for m in to(outbox, "owner@example.org") if "Is it fixed?" in m.subject]
    yes_url, no_url = (u for u in _links(question) if "/fixed/" in u)
    assert yes_url.endswith("/yes/") and no_url.endswith("/no/")

    browser = Client()  # no login: the signed link is enough
    assert browser.get(no_url).status_code == 200
    assert browser.post(no_url, {"note": ""}).status_code == 200  # a note is required
    assert Ticket.objects.get(pk=ticket.pk).status == "closed"
    answer = browser.post(no_url, {"note": "The hole is back after the rain."})
    assert answer.status_code == 200

    ticket.refresh_from_db()
    assert ticket.status == "open"
    last = TicketEvent.objects.filter(ticket=ticket).order_by("-seq").first()
    assert last.type == "ticket.status_changed"
    assert last.data["to"] == "open" and last.data["note"] == "The hole is back after the rain."
    check = FixCheck.objects.get(ticket=ticket)
    assert check.answer == "no"
    # Answering twice changes nothing.
    browser.post(no_url, {"note": "again"})
    assert TicketEvent.objects.filter(ticket=ticket).order_by("-seq").first().pk == last.pk


def test_yes_confirms_the_closure(world: Any, make_ticket: Any, outbox: list, clock: Any) -> None:
    ticket = _closed_ticket(world, make_ticket)
    run_tasks()
    clock.advance(days=7, minutes=1)
    run_tasks()
    [question] = [m for m in outbox if "Is it fixed?" in m.subject]
    yes_url = next(u for u in _links(question) if u.endswith("/yes/"))
    seq_before = Ticket.objects.get(pk=ticket.pk).seq
    Client().post(yes_url)
    assert FixCheck.objects.get(ticket=ticket).answer == "yes"
    assert Ticket.objects.get(pk=ticket.pk).status == "closed"
    assert Ticket.objects.get(pk=ticket.pk).seq == seq_before


def test_no_question_when_the_ticket_was_reopened_meanwhile(
    world: Any, make_ticket: Any, outbox: list, clock: Any
) -> None:
    ticket = _closed_ticket(world, make_ticket)
    run_tasks()
    services.ticket_transition(
        actor=actor_for(world["outsider"]), ticket_id=ticket.pk, action="reopen", note="Nope."
    )
    clock.advance(days=8)
    run_tasks()
    assert not [m for m in outbox if "Is it fixed?" in m.subject]
