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
