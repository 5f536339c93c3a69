"""Admin: moderation pages load; the audit log is view-only; trust is granted through the
service (audited); offers show their contact to staff."""

from __future__ import annotations

from typing import Any

from django.test import Client

from moderation import services as mod
from moderation.models import AuditEntry, TrustGrant
from tests.conftest import actor_for


def _admin(world: dict[str, Any]) -> Client:
    client = Client()
    client.force_login(world["admin"])
    return client


def test_changelists_load(world: dict[str, Any], borough_ticket: Any) -> None:
    offer = mod.offer_create(
        actor=actor_for(anon="admin-helper-cookie1"),
        ticket_id=borough_ticket.pk,
        message="help",
        contact="555-0177",
    )
    client = _admin(world)
    for name in ("auditentry", "flag", "sanction", "offer", "trustgrant"):
        assert client.get(f"/admin/moderation/{name}/").status_code == 200, name
    page = client.get(f"/admin/moderation/offer/{offer.pk}/change/")
    assert page.status_code == 200 and b"555-0177" in page.content
    entry = AuditEntry.objects.first()
    assert entry is not None
    change = client.post(f"/admin/moderation/auditentry/{entry.pk}/change/", {"reason": "x"})
    assert change.status_code == 403
    assert client.get(f"/admin/moderation/auditentry/{entry.pk}/delete/").status_code == 403


def test_grant_trust_in_the_admin(world: dict[str, Any]) -> None:
    client = _admin(world)
    answer = client.post(
        "/admin/moderation/trustgrant/add/",
        {"user": world["citizen"].pk, "action": "grant", "reason": "snow brigade lead"},
    )
    assert answer.status_code == 302, answer.content[:2000]
    assert world["citizen"].groups.filter(name="Trusted volunteers").exists()
    assert TrustGrant.objects.filter(user=world["citizen"], action="grant").count() == 1
    assert AuditEntry.objects.filter(action="trust.grant").count() == 1
