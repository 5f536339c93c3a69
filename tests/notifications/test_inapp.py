"""The bell: notifications of signed-in people, the API, and the snippet."""

from __future__ import annotations

from typing import Any

from django.template import Context, Template
from django.test import Client

from tests.conftest import actor_for, client_for
from tests.notifications.conftest import run_tasks
from tickets import services


def test_api_lists_and_marks_read(world: Any, make_ticket: Any) -> None:
    ticket = make_ticket()
    services.comment_create(actor=actor_for(world["agent"]), ticket_id=ticket.pk, body="On it.")
    services.ticket_transition(
        actor=actor_for(world["agent"]), ticket_id=ticket.pk, action="acknowledge"
    )
    run_tasks()  # the worker writes the bell (notifications.dispatch.process_event)
    owner = client_for(world["owner"])
    page = owner.get("/api/v1/notifications/").json()
    assert page["unread"] == 2
    kinds = [n["kind"] for n in page["results"]]
    assert kinds == ["ticket.status_changed", "comment.created"]
    assert page["results"][1]["url"] == f"/tickets/{ticket.pk}/"
    assert "commented on" in page["results"][1]["text"]
    first = page["results"][0]["id"]

    assert owner.post(f"/api/v1/notifications/{first}/read/").json()["unread"] == 1
    assert owner.get("/api/v1/notifications/?unread=1").json()["unread"] == 1
    assert owner.post("/api/v1/notifications/read/", {}, format="json").json()["unread"] == 0

    # Someone else's notifications are out of reach.
    outsider = client_for(world["outsider"])
    assert outsider.get("/api/v1/notifications/").json() == {"unread": 0, "results": []}
    outsider.post(f"/api/v1/notifications/{first}/read/")
    assert client_for().get("/api/v1/notifications/").status_code in (401, 403)


def test_bell_snippet_and_inbox_page(world: Any, make_ticket: Any) -> None:
    ticket = make_ticket()
    services.comment_create(actor=actor_for(world["agent"]), ticket_id=ticket.pk, body="On it.")
    run_tasks()
    snippet = Template('{% include "notifications/bell.html" %}')
    html = snippet.render(Context({"user": world["owner"]}))
    assert 'data-testid="notification-bell"' in html
    assert 'data-count="1"' in html
    from django.contrib.auth.models import AnonymousUser

    assert "notification-bell" not in snippet.render(Context({"user": AnonymousUser()}))

    browser = Client()
    browser.force_login(world["owner"])
    inbox = browser.get("/notifications/")
    assert inbox.status_code == 200 and b'data-testid="notification"' in inbox.content
    browser.post("/notifications/read/")
    assert 'data-count="0"' in snippet.render(Context({"user": world["owner"]}))


def _unread(user: Any, ticket: Any, n: int) -> None:
    """`n` unread notifications of `user` (a follower of a busy ticket in a storm)."""
    from notifications.models import Notification

    Notification.objects.bulk_create(
        Notification(user=user, key=f"event:storm-{i}", kind="comment.created", ticket=ticket)
        for i in range(n)
    )


def test_unread_counts_stop_at_the_cap_and_the_bell_says_99_plus(
    world: Any, make_ticket: Any
) -> None:
    """Thousands of unread in a storm are not counted again for every new one: counts stop at
    100 (one LIMITed read each), and the bell shows "99+"; below the cap they are exact."""
    from notifications import inapp

    ticket = make_ticket()
    busy, few, none = world["owner"], world["outsider"], world["citizen"]
    _unread(busy, ticket, inapp.UNREAD_CAP + 50)
    _unread(few, ticket, 5)
    assert inapp.unread_count(busy.pk) == inapp.UNREAD_CAP
    assert inapp.unread_counts([busy.pk, few.pk, none.pk]) == {
        busy.pk: inapp.UNREAD_CAP,
        few.pk: 5,
        none.pk: 0,
    }
    assert client_for(busy).get("/api/v1/notifications/").json()["unread"] == inapp.UNREAD_CAP

    def bell(user: Any) -> str:
        page = Client()
        page.force_login(user)
        html = page.get("/notifications/").content.decode()
        start = html.index('data-testid="notification-count"')
        return html[html.index(">", start) + 1 : html.index("</span>", start)]

    assert bell(busy) == "99+"
    assert bell(few) == "5"
    # Marked read, the count is exact again.
    client_for(busy).post("/api/v1/notifications/read/", {}, format="json")
    assert inapp.unread_count(busy.pk) == 0
