"""The audit log: written for every action, immutable, readable and exportable."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from html import unescape
from typing import Any

import pytest
from django.contrib import admin
from django.test import Client, RequestFactory
from django.utils import timezone

from moderation import services as mod
from moderation.models import AuditEntry
from tests.conftest import actor_for, client_for
from tests.moderation.conftest import comment_on


@pytest.fixture
def entry(world: dict[str, Any], borough_ticket: Any) -> AuditEntry:
    comment = comment_on(borough_ticket, '=HYPERLINK("x") rude', user=world["outsider"])
    answer = client_for(world["agent"]).post(
        f"/api/v1/comments/{comment.pk}/hide/", {"reason": "abusive"}, format="json"
    )
    assert answer.status_code == 200
    return AuditEntry.objects.get(action="hide")


def test_entry_records_who_what_why_and_the_text(entry: AuditEntry) -> None:
    assert entry.actor_name == "agent"
    assert entry.target_type == "comment" and entry.reason == "abusive"
    assert entry.before["visibility"] == "visible" and entry.after["visibility"] == "hidden"
    assert "rude" in entry.before["body"]


def test_no_code_path_updates_or_deletes(entry: AuditEntry) -> None:
    entry.reason = "rewritten"
    with pytest.raises(PermissionError):
        entry.save()
    with pytest.raises(PermissionError):
        entry.delete()
    with pytest.raises(PermissionError):
        AuditEntry.objects.filter(pk=entry.pk).update(reason="rewritten")
    with pytest.raises(PermissionError):
        AuditEntry.objects.all().delete()
    entry.refresh_from_db()
    assert entry.reason == "abusive"


def test_admin_is_read_only(world: dict[str, Any], entry: AuditEntry) -> None:
    model_admin = admin.site._registry[AuditEntry]
    request = RequestFactory().get("/admin/")
    request.user = world["admin"]
    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request, entry)
    assert not model_admin.has_delete_permission(request, entry)


def test_read_and_export(world: dict[str, Any], entry: AuditEntry) -> None:
    volunteer = client_for(world["volunteer"])
    listed = volunteer.get("/api/v1/moderation/audit/").json()
    assert listed["count"] == 1 and listed["results"][0]["action"] == "hide"
    exported = volunteer.get("/api/v1/moderation/audit/?format=csv")
    assert exported.status_code == 200
    assert exported["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(exported.content.decode())))
    assert rows[0]["action"] == "hide" and rows[0]["by"] == "agent"
    denied = client_for(world["outsider"]).get("/api/v1/moderation/audit/?format=csv")
    assert denied.status_code == 403


def test_trust_grant_is_audited(world: dict[str, Any]) -> None:
    agent = client_for(world["agent"])
    body = {"username": "citizen", "reason": "runs the snow brigade"}
    assert agent.post("/api/v1/moderation/trust/", body, format="json").status_code == 201
    assert agent.post("/api/v1/moderation/trust/", body, format="json").status_code == 409
    revoked = agent.post("/api/v1/moderation/trust/revoke/", body, format="json")
    assert revoked.status_code == 200
    assert not world["citizen"].groups.filter(name="Trusted volunteers").exists()
    actions = list(AuditEntry.objects.order_by("at", "id").values_list("action", flat=True))
    assert actions == ["trust.grant", "trust.revoke"]


def test_the_consoles_lines_are_in_the_readers_language(
    world: dict[str, Any], borough_ticket: Any
) -> None:
    """A reason the system gave itself is not repeated after its sentence (a French console
    read "Quelqu’un a proposé son aide: offered help"), a flag reason is said in the reader's
    language, a person's reason as they wrote it, and French puts a space before the colon."""
    flagged = comment_on(borough_ticket, "fine actually", user=world["outsider"])
    answer = client_for(world["volunteer"]).post(
        f"/api/v1/comments/{flagged.pk}/flag/", {"reason": "abuse"}, format="json"
    )
    assert answer.status_code in (200, 201), answer.content
    mod.offer_create(
        actor=actor_for(anon="helper-cookie-000077"),
        ticket_id=borough_ticket.pk,
        message="I have a shovel",
        contact="555-0100",
    )
    for reason in ("personal_info", "rude words"):
        comment = comment_on(borough_ticket, reason, user=world["outsider"])
        client_for(world["agent"]).post(
            f"/api/v1/comments/{comment.pk}/hide/", {"reason": reason}, format="json"
        )
    mod.emergency_create(
        actor=actor_for(world["admin"]),
        name="Storm",
        slug="storm",
        starts_at=timezone.now() - timedelta(hours=1),
    )
    mod.announcement_create(actor=actor_for(world["agent"]), event="storm", body="Roads closed")
    # An entry from before the codes: its system reason translated when it was written.
    AuditEntry.objects.create(
        action="offer.create", target_type="offer", target_id="1", reason="a proposé de l'aide"
    )

    def lines(language: str) -> list[str]:
        reader = Client(HTTP_ACCEPT_LANGUAGE=language)
        reader.force_login(world["volunteer"])
        html = reader.get("/moderation/audit/?offset=0").content.decode()
        return [
            unescape(line.split("</time> · ", 1)[1].split("</li>", 1)[0])
            for line in html.split('data-testid="audit-entry"')[1:]
        ]

    french, english = lines("fr"), lines("en")
    ticket = borough_ticket.pk
    assert french.count("Quelqu’un a proposé son aide") == 2
    assert f"Les signalements ont masqué un commentaire du n° {ticket}" in french
    assert "agent a publié une annonce" in french
    assert f"agent a masqué un commentaire du n° {ticket} : Informations personnelles" in french
    assert f"agent a masqué un commentaire du n° {ticket} : rude words" in french
    assert english.count("Someone offered help") == 2
    assert f"Flags hid a comment on #{ticket}" in english
    assert "agent posted an announcement" in english
    assert f"agent hid a comment on #{ticket}: Personal information" in english
    for line in french + english:
        words = line.rpartition(":")[2].strip() if ":" in line else ""
        assert words not in ("offered help", "announced", "flagged", "a proposé de l'aide"), line
