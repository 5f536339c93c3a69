"""The admin: configuration is editable, civic history is view-only and never deleted."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib import admin
from django.test import Client
from django.urls import reverse

from tests.conftest import actor_for
from tickets import services
from tickets.models import (
    Comment,
    EmergencyEvent,
    Identity,
    Integration,
    Jurisdiction,
    ServiceType,
    StatusChange,
    Ticket,
    TicketEvent,
)

pytestmark = pytest.mark.django_db

MODELS = [
    Jurisdiction,
    ServiceType,
    Ticket,
    Comment,
    TicketEvent,
    StatusChange,
    Identity,
    EmergencyEvent,
    Integration,
]


@pytest.fixture
def admin_client_(world: Any) -> Client:
    client = Client()
    client.force_login(world["admin"])
    return client


@pytest.fixture
def history(world: Any, make_ticket: Any) -> dict[str, Any]:
    ticket = make_ticket()
    comment = services.comment_create(
        actor=actor_for(world["citizen"]), ticket_id=ticket.pk, body="A comment"
    )
    services.ticket_transition(actor=actor_for(world["agent"]), ticket_id=ticket.pk, action="close")
    return {"ticket": ticket, "comment": comment}


def admin_url(model: Any, view: str, *args: Any) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def test_every_admin_changelist_loads(admin_client_: Client, history: Any) -> None:
    for model in MODELS:
        response = admin_client_.get(admin_url(model, "changelist"))
        assert response.status_code == 200, model.__name__


def test_admin_change_pages_load(admin_client_: Client, history: Any) -> None:
    objects = [
        history["ticket"],
        history["comment"],
        TicketEvent.objects.first(),
        StatusChange.objects.first(),
        Identity.objects.first(),
        Jurisdiction.objects.first(),
        ServiceType.objects.get(code="pothole"),
    ]
    for obj in objects:
        response = admin_client_.get(admin_url(type(obj), "change", obj.pk))
        assert response.status_code == 200, type(obj).__name__


def test_ticket_and_comment_delete_is_forbidden(admin_client_: Client, history: Any) -> None:
    for obj in (history["ticket"], history["comment"]):
        model_admin = admin.site._registry[type(obj)]
        assert model_admin.has_delete_permission(None, obj) is False
        assert admin_client_.get(admin_url(type(obj), "delete", obj.pk)).status_code == 403
        assert admin_client_.post(admin_url(type(obj), "delete", obj.pk)).status_code == 403
    assert Ticket.objects.filter(pk=history["ticket"].pk).exists()
    assert Comment.objects.filter(pk=history["comment"].pk).exists()


def test_history_has_no_delete_selected_action(admin_client_: Client, history: Any) -> None:
    for model in (Ticket, Comment, TicketEvent, StatusChange, Identity):
        response = admin_client_.get(admin_url(model, "changelist"))
        assert "delete_selected" not in response.content.decode(), model.__name__
    response = admin_client_.post(
        admin_url(Ticket, "changelist"),
        {"action": "delete_selected", "_selected_action": [history["ticket"].pk]},
    )
    assert response.status_code in (200, 302)
    assert Ticket.objects.filter(pk=history["ticket"].pk).exists()


def test_tickets_and_history_cannot_be_added_or_edited(admin_client_: Client, history: Any) -> None:
    for model in (Ticket, TicketEvent, StatusChange, Identity):
        assert admin_client_.get(admin_url(model, "add")).status_code == 403, model.__name__
    assert admin_client_.get(admin_url(Comment, "add")).status_code == 403
    ticket = history["ticket"]
    # Only its visibility is a field (takedown); a title posted anyway is ignored.
    response = admin_client_.post(
        admin_url(Ticket, "change", ticket.pk), {"title": "Hacked", "visibility": "visible"}
    )
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.title != "Hacked" and ticket.seq == history["ticket"].seq


def test_comment_body_is_read_only(admin_client_: Client, history: Any) -> None:
    comment = history["comment"]
    admin_client_.post(admin_url(Comment, "change", comment.pk), {"body": "Rewritten"})
    comment.refresh_from_db()
    assert comment.body == "A comment"


def test_identity_admin_never_shows_the_cookie_key(admin_client_: Client, world: Any) -> None:
    identity = actor_for(anon="secret-cookie-token-123456").identity()
    html = admin_client_.get(admin_url(Identity, "change", identity.pk)).content.decode()
    assert "secret-cookie-token-123456" not in html
    assert identity.public_key in html


def test_comment_hide_action_goes_through_the_write_layer(
    admin_client_: Client, history: Any
) -> None:
    comment = history["comment"]
    seq_before = Ticket.objects.get(pk=comment.ticket_id).seq
    admin_client_.post(
        admin_url(Comment, "changelist"),
        {"action": "hide_comments", "_selected_action": [comment.pk]},
    )
    comment.refresh_from_db()
    assert comment.visibility == Comment.Visibility.HIDDEN
    assert TicketEvent.objects.filter(
        ticket_id=comment.ticket_id, seq=seq_before + 1, type="comment.hidden"
    ).exists()


def test_integration_add_generates_a_key_shown_once(admin_client_: Client, world: Any) -> None:
    response = admin_client_.post(
        admin_url(Integration, "add"), {"name": "City CRM", "active": "on"}, follow=True
    )
    assert response.status_code == 200
    integration = Integration.objects.get(name="City CRM")
    shown = [str(m) for m in response.context["messages"]]
    raw = next(part for m in shown for part in m.split() if part.startswith("fx_"))
    assert Integration.for_key(raw) == integration
    assert integration.key_hash != raw and raw not in integration.key_hint + integration.key_hash
    # Rotating gives a new key; the old one stops working.
    response = admin_client_.post(
        admin_url(Integration, "changelist"),
        {"action": "rotate_keys", "_selected_action": [integration.pk]},
        follow=True,
    )
    assert Integration.for_key(raw) is None
    new_raw = next(
        part
        for m in response.context["messages"]
        for part in str(m).split()
        if part.startswith("fx_")
    )
    assert Integration.for_key(new_raw) == integration


def test_service_type_edits_apply_to_the_report_form_at_once(
    admin_client_: Client, world: Any
) -> None:
    ServiceType.objects.filter(code="graffiti").update(active=False)
    html = Client().get("/tickets/new/").content.decode()
    assert 'value="graffiti"' not in html
    assert 'value="pothole"' in html
