"""Every visibility change made in the Django admin goes through the services: one audit
entry (who, why, before/after), one durable event that reaches open pages, exactly as in the
API. Posted as a person would: the admin's change forms and its list actions."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from moderation.models import AuditEntry
from tests.moderation.conftest import comment_on
from tickets.models import Comment, Ticket, TicketEvent

pytestmark = pytest.mark.django_db


def _admin(world: dict[str, Any], who: str = "admin") -> Client:
    client = Client()
    client.force_login(world[who])
    return client


def _entries(target_type: str, target_id: int) -> list[AuditEntry]:
    return list(
        AuditEntry.objects.filter(target_type=target_type, target_id=str(target_id)).order_by("id")
    )


def test_taking_a_ticket_down_on_its_admin_page_is_audited(
    world: dict[str, Any], borough_ticket: Ticket
) -> None:
    client = _admin(world)
    url = f"/admin/tickets/ticket/{borough_ticket.pk}/change/"
    page = client.get(url)
    assert page.status_code == 200 and b'name="visibility"' in page.content
    # No reason: the form says so, nothing changes.
    refused = client.post(url, {"visibility": "hidden", "reason": ""})
    assert refused.status_code == 200 and b"Say why the visibility changes." in refused.content
    borough_ticket.refresh_from_db()
    assert borough_ticket.visibility == "visible" and not _entries("ticket", borough_ticket.pk)

    saved = client.post(url, {"visibility": "hidden", "reason": "A phone number"})
    assert saved.status_code == 302
    borough_ticket.refresh_from_db()
    assert borough_ticket.visibility == "hidden"
    [entry] = _entries("ticket", borough_ticket.pk)
    assert entry.action == "ticket.hide" and entry.reason == "A phone number"
    assert entry.actor_name == "admin"
    assert entry.before["visibility"] == "visible" and entry.after["visibility"] == "hidden"
    assert entry.before["title"] == borough_ticket.title  # moderators can see what went down
    assert TicketEvent.objects.filter(ticket=borough_ticket, type="ticket.hidden").count() == 1

    client.post(url, {"visibility": "visible", "reason": "Edited out"})
    borough_ticket.refresh_from_db()
    assert borough_ticket.visibility == "visible"
    assert [e.action for e in _entries("ticket", borough_ticket.pk)] == [
        "ticket.hide",
        "ticket.restore",
    ]


def test_ticket_list_actions_are_audited(world: dict[str, Any], borough_ticket: Ticket) -> None:
    client = _admin(world)
    answer = client.post(
        "/admin/tickets/ticket/",
        {"action": "hide_tickets", "_selected_action": [borough_ticket.pk]},
    )
    assert answer.status_code == 302
    borough_ticket.refresh_from_db()
    assert borough_ticket.visibility == "hidden"
    client.post(
        "/admin/tickets/ticket/",
        {"action": "restore_tickets", "_selected_action": [borough_ticket.pk]},
    )
    entries = _entries("ticket", borough_ticket.pk)
    assert [e.action for e in entries] == ["ticket.hide", "ticket.restore"]
    assert all("admin" in e.reason for e in entries)


def test_comment_visibility_on_its_admin_page_is_audited(
    world: dict[str, Any], borough_ticket: Ticket
) -> None:
    comment = comment_on(borough_ticket, "Call me at 555-0100", user=world["outsider"])
    client = _admin(world)
    url = f"/admin/tickets/comment/{comment.pk}/change/"
    assert client.post(url, {"visibility": "hidden", "reason": "Phone"}).status_code == 302
    comment.refresh_from_db()
    assert comment.visibility == Comment.Visibility.HIDDEN
    client.post(url, {"visibility": "visible", "reason": "Fine after all"})
    comment.refresh_from_db()
    assert comment.visibility == Comment.Visibility.VISIBLE
    entries = _entries("comment", comment.pk)
    assert [(e.action, e.reason) for e in entries] == [
        ("hide", "Phone"),
        ("restore", "Fine after all"),
    ]
    assert entries[0].before["body"] == "Call me at 555-0100"
    types = TicketEvent.objects.filter(ticket=borough_ticket).values_list("type", flat=True)
    assert list(types).count("comment.hidden") == 1 and "comment.restored" in types
    # The text itself is never edited in the admin.
    client.post(url, {"visibility": "visible", "body": "Rewritten", "reason": "x"})
    comment.refresh_from_db()
    assert comment.body == "Call me at 555-0100"


def test_comment_list_actions_are_audited(world: dict[str, Any], borough_ticket: Ticket) -> None:
    comment = comment_on(borough_ticket, "Spam", user=world["outsider"])
    client = _admin(world)
    for action in ("hide_comments", "show_comments"):
        client.post("/admin/tickets/comment/", {"action": action, "_selected_action": [comment.pk]})
    assert [e.action for e in _entries("comment", comment.pk)] == ["hide", "restore"]


def test_a_moderator_who_does_not_moderate_the_place_cannot_change_it(
    world: dict[str, Any], city_ticket: Ticket
) -> None:
    from django.contrib.auth.models import Permission

    borough_agent = world["borough-agent"]
    borough_agent.is_staff = True
    borough_agent.save()
    borough_agent.user_permissions.add(
        *Permission.objects.filter(codename__in=["change_ticket", "view_ticket"])
    )
    client = _admin(world, "borough-agent")
    answer = client.post(
        f"/admin/tickets/ticket/{city_ticket.pk}/change/",
        {"visibility": "hidden", "reason": "not mine"},
    )
    assert answer.status_code in (302, 403)
    city_ticket.refresh_from_db()
    assert city_ticket.visibility == "visible" and not _entries("ticket", city_ticket.pk)
