"""Every visibility change made in the Django admin goes through the services: one audit
entry (who, why, before/after), one durable event that reaches open pages, exactly as in the
API. Posted as a person would: the admin's change forms and its list actions."""

from __future__ import annotations

import json
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


def _entries(target_type: str, target_id: int | str) -> list[AuditEntry]:
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


def _event_post(event: Any, **changes: Any) -> dict[str, Any]:
    from django.utils import timezone

    def split(moment: Any) -> tuple[str, str]:
        if moment is None:
            return "", ""
        local = timezone.localtime(moment)
        return local.strftime("%Y-%m-%d"), local.strftime("%H:%M:%S")

    data: dict[str, Any] = {
        "name": event.name,
        "description": event.description,
        "jurisdiction": event.jurisdiction_id or "",
        "area": json.dumps(event.area) if event.area else "",
        "slow_mode_seconds": event.slow_mode_seconds,
        "anonymous_comment_limit": event.anonymous_comment_limit or "",
        "reason": "",
    }
    if event.premoderate_anonymous:
        data["premoderate_anonymous"] = "on"
    for field in ("starts_at", "ends_at"):
        data[f"{field}_0"], data[f"{field}_1"] = split(getattr(event, field))
    data.update(changes)
    return data


def test_editing_an_event_in_the_admin_goes_through_the_event_service(
    world: dict[str, Any],
) -> None:
    from datetime import timedelta

    from django.utils import timezone

    from moderation import services as mod
    from tests.conftest import actor_for

    event = mod.emergency_create(
        actor=actor_for(world["admin"]),
        name="Ice storm",
        slug="ice-storm",
        starts_at=timezone.now() - timedelta(hours=1),
    )
    client = _admin(world)
    url = f"/admin/tickets/emergencyevent/{event.pk}/change/"
    page = client.get(url)
    assert page.status_code == 200 and b'name="reason"' in page.content
    assert b'name="slug"' not in page.content  # the slug never changes

    saved = client.post(url, _event_post(event, name="Ice storm (north)"))
    assert saved.status_code == 302, saved.content.decode()[:2000]
    event.refresh_from_db()
    assert event.name == "Ice storm (north)"
    [entry] = [e for e in _entries("event", "ice-storm") if e.action != "event.create"]
    assert entry.action == "event.update" and entry.actor_name == "admin"
    assert entry.before["name"] == "Ice storm" and entry.after["name"] == "Ice storm (north)"
    assert entry.reason == "Edited in the admin: Name"

    # An end before the start: the form says so on the field, nothing changes.
    before = event.starts_at - timedelta(days=1)
    bad = client.post(
        url,
        _event_post(
            event,
            ends_at_0=timezone.localtime(before).strftime("%Y-%m-%d"),
            ends_at_1="00:00:00",
        ),
    )
    assert bad.status_code == 200
    assert b"The end must come after the start." in bad.content
    # A drawn area that is not a polygon: refused on the field.
    area = client.post(url, _event_post(event, area='{"type": "Point", "coordinates": [0, 0]}'))
    assert area.status_code == 200 and b"Polygon" in area.content
    event.refresh_from_db()
    assert event.ends_at is None and event.area is None
    assert [e.action for e in _entries("event", "ice-storm")] == ["event.create", "event.update"]


def test_declaring_an_event_in_the_admin_is_audited(world: dict[str, Any]) -> None:
    client = _admin(world)
    answer = client.post(
        "/admin/tickets/emergencyevent/add/",
        {
            "name": "Flood",
            "slug": "flood-admin",
            "description": "",
            "starts_at_0": "2026-01-02",
            "starts_at_1": "08:00:00",
            "ends_at_0": "",
            "ends_at_1": "",
            "jurisdiction": "",
            "area": "",
            "slow_mode_seconds": "0",
            "anonymous_comment_limit": "",
            "reason": "River over its banks",
        },
    )
    assert answer.status_code == 302, answer.content.decode()[:2000]
    [entry] = _entries("event", "flood-admin")
    assert entry.action == "event.create" and entry.reason == "River over its banks"
    # Events end; they are never deleted (no delete in the admin).
    from tickets.models import EmergencyEvent

    event = EmergencyEvent.objects.get(slug="flood-admin")
    assert (
        client.post(
            f"/admin/tickets/emergencyevent/{event.pk}/delete/", {"post": "yes"}
        ).status_code
        == 403
    )
    assert EmergencyEvent.objects.filter(slug="flood-admin").exists()


def test_an_agent_cannot_edit_another_places_event_in_the_admin(world: dict[str, Any]) -> None:
    from datetime import timedelta

    from django.contrib.auth.models import Permission
    from django.utils import timezone

    from moderation import services as mod
    from tests.conftest import actor_for

    event = mod.emergency_create(
        actor=actor_for(world["admin"]),
        name="City flood",
        slug="city-flood",
        starts_at=timezone.now() - timedelta(hours=1),
        jurisdiction=world["city"].slug,
    )
    agent = world["borough-agent"]
    agent.is_staff = True
    agent.save()
    agent.user_permissions.add(
        *Permission.objects.filter(codename__in=["change_emergencyevent", "view_emergencyevent"])
    )
    client = _admin(world, "borough-agent")
    url = f"/admin/tickets/emergencyevent/{event.pk}/change/"
    answer = client.post(url, _event_post(event, name="Not mine"))
    assert answer.status_code in (302, 403)
    event.refresh_from_db()
    assert event.name == "City flood"
    assert [e.action for e in _entries("event", "city-flood")] == ["event.create"]
