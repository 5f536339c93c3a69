"""A ticket taken down or restored through the API is one audit entry (moderation's visibility
listener), readable in the audit log; a refused or conflicting attempt writes none."""

from __future__ import annotations

from typing import Any

from moderation.models import AuditEntry
from tests.conftest import client_for
from tickets.models import Ticket


def test_hide_and_restore_are_audited_once(world: dict[str, Any], borough_ticket: Ticket) -> None:
    volunteer = client_for(world["volunteer"])
    url = f"/api/v1/tickets/{borough_ticket.pk}/"
    assert volunteer.post(url + "hide/", {"reason": "doxxing"}, format="json").status_code == 200
    assert volunteer.post(url + "hide/", {"reason": "again"}, format="json").status_code == 409
    assert (
        client_for(world["outsider"])
        .post(url + "restore/", {"reason": "mine"}, format="json")
        .status_code
        == 403
    )
    assert volunteer.post(url + "restore/", {"reason": "fixed"}, format="json").status_code == 200
    entries = list(AuditEntry.objects.filter(target_type="ticket").order_by("id"))
    assert [(e.action, e.reason, e.actor_name) for e in entries] == [
        ("ticket.hide", "doxxing", "volunteer"),
        ("ticket.restore", "fixed", "volunteer"),
    ]
    assert entries[0].ticket_id_ref == borough_ticket.pk
    log = client_for(world["agent"]).get("/api/v1/moderation/audit/?target_type=ticket").json()
    rows = log["results"] if isinstance(log, dict) else log
    assert {r["action"] for r in rows} >= {"ticket.hide", "ticket.restore"}
