"""Privacy: raw network addresses are never stored, the IP salt rotates daily and old salts
are destroyed, a person can download their data and anonymise their account (the public
history stays)."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any
from unittest import mock

from django.contrib.auth import get_user_model
from django.contrib.sessions.models import Session
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from tests.conftest import BOROUGH_POINT, actor_for
from tests.security.conftest import rows_containing
from tickets import identity, services
from tickets.models import Comment, IpSalt, Ticket, TicketEvent

RAW_V4 = "203.0.113.77"
RAW_V6 = "2001:db8:77::1"


def test_raw_ips_are_never_stored(world: dict[str, Any], make_ticket: Any) -> None:
    ticket = make_ticket()
    for address in (RAW_V4, RAW_V6):
        browser = Client(REMOTE_ADDR=address)
        browser.get("/")
        browser.get(f"/tickets/{ticket.pk}/")
        browser.post(f"/tickets/{ticket.pk}/comment/", {"body": "From a browser"})
        browser.post(f"/tickets/{ticket.pk}/react/", {"kind": "vote"})
        browser.post("/accounts/login/", {"username": "citizen", "password": "wrong"})
        api = APIClient(REMOTE_ADDR=address)
        created = api.post(
            "/api/v1/tickets/",
            {"title": "From the API", "service_code": "snow", **BOROUGH_POINT},
            format="json",
        )
        assert created.status_code == 201, created.content
        api.post(f"/api/v1/tickets/{ticket.pk}/comments/", {"body": "hi"}, format="json")
        api.post(f"/api/v1/tickets/{ticket.pk}/follow/")
        comment_id = Comment.objects.latest("id").pk
        api.post(f"/api/v1/comments/{comment_id}/flag/", {"reason": "spam"}, format="json")
        api.post(
            f"/api/v1/tickets/{ticket.pk}/offers/",
            {"message": "I can help", "contact": "555-0100"},
            format="json",
        )
        token_client = APIClient(REMOTE_ADDR=address)
        token_client.post(
            "/api/v1/auth/token/", {"username": "citizen", "password": "demo-citizen"}
        )
    hits = rows_containing([RAW_V4, RAW_V6, "2001:db8:77:"])
    assert not hits, hits
    # Session data is encoded: decode it too.
    for session in Session.objects.all():
        decoded = json.dumps(session.get_decoded())
        assert RAW_V4 not in decoded and "2001:db8:77" not in decoded


def test_ip_salt_rotates_daily_and_old_salts_are_destroyed(db: Any) -> None:
    identity._salt_cache.clear()
    today = timezone.now()
    first = identity.hash_ip(RAW_V4)
    assert identity.hash_ip(RAW_V4) == first  # stable within a day
    assert IpSalt.objects.filter(day=today.date()).exists()
    old_salt = IpSalt.objects.get(day=today.date()).salt
    tomorrow = today + timedelta(days=1)
    with mock.patch("tickets.identity.timezone.now", return_value=tomorrow):
        second = identity.hash_ip(RAW_V4)
    assert second != first
    assert not IpSalt.objects.filter(day=today.date()).exists()  # yesterday's salt is gone
    assert list(IpSalt.objects.values_list("day", flat=True)) == [tomorrow.date()]
    assert not IpSalt.objects.filter(salt=old_salt).exists()
    assert RAW_V4 not in first and RAW_V4 not in second
    identity._salt_cache.clear()


# --- Download my data --------------------------------------------------------------------------


def _owner_activity(world: dict[str, Any], make_ticket: Any) -> Ticket:
    owner = world["owner"]
    ticket = make_ticket(
        actor_for(owner), display_name="Olive O.", contact_email="olive.private@example.net"
    )
    Ticket.objects.filter(pk=ticket.pk).update(contact_phone="+1 514 555 0199")
    services.comment_create(actor=actor_for(owner), ticket_id=ticket.pk, body="Still there.")
    other = make_ticket(actor_for(world["outsider"]), title="Someone else's ticket")
    services.ticket_react(actor=actor_for(owner), ticket_id=other.pk, kind="follow")
    services.comment_create(actor=actor_for(world["outsider"]), ticket_id=other.pk, body="Theirs")
    return ticket


def test_download_my_data(world: dict[str, Any], make_ticket: Any) -> None:
    ticket = _owner_activity(world, make_ticket)
    client = Client()
    client.force_login(world["owner"])
    response = client.get("/accounts/data/")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    assert "attachment" in response["Content-Disposition"]
    data = json.loads(response.content)
    assert data["account"]["username"] == "owner"
    assert data["account"]["email"] == "owner@example.org"
    records = data["records"]
    assert [t["id"] for t in records["tickets.ticket"]] == [ticket.pk]
    assert records["tickets.ticket"][0]["contact_email"] == "olive.private@example.net"
    assert [c["body"] for c in records["tickets.comment"]] == ["Still there."]
    assert len(records["tickets.follow"]) == 2  # own ticket (default) and the other one
    # Only the owner's rows: not the other person's ticket or comment (a notification about
    # the ticket they follow is theirs, though).
    assert "Theirs" not in json.dumps(records["tickets.comment"])
    assert "Someone else" not in json.dumps(records["tickets.ticket"])
    text = response.content.decode()
    for secret in ("pbkdf2", "md5$", "password", "last_ip_hash", "key_hash"):
        assert secret not in text, secret


def test_data_download_needs_a_login(db: Any) -> None:
    response = Client().get("/accounts/data/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


# --- Anonymise --------------------------------------------------------------------------------


def test_anonymise_needs_confirmation(world: dict[str, Any], make_ticket: Any) -> None:
    _owner_activity(world, make_ticket)
    client = Client()
    client.force_login(world["owner"])
    assert client.get("/accounts/anonymise/").status_code == 200
    refused = client.post("/accounts/anonymise/", {"confirm": "yes"})
    assert refused.status_code == 400
    world["owner"].refresh_from_db()
    assert world["owner"].username == "owner" and world["owner"].email


def test_anonymise_scrubs_identifiers_and_keeps_history(
    world: dict[str, Any], make_ticket: Any
) -> None:
    ticket = _owner_activity(world, make_ticket)
    owner = world["owner"]
    counts_before = (Ticket.objects.count(), Comment.objects.count(), TicketEvent.objects.count())
    client = Client()
    client.force_login(owner)
    response = client.post("/accounts/anonymise/", {"confirm": "owner"})
    assert response.status_code == 303
    owner.refresh_from_db()
    assert owner.username == f"deleted-{owner.pk}"
    assert owner.email == "" and owner.first_name == "" and owner.last_name == ""
    assert not owner.has_usable_password() and not owner.is_active
    # Logged out, and cannot log in again.
    assert "_auth_user_id" not in client.session
    assert (
        Client()
        .post("/accounts/login/", {"username": "owner", "password": "pw-owner-123"})
        .status_code
        == 200
    )
    # History kept: nothing deleted.
    assert counts_before == (
        Ticket.objects.count(),
        Comment.objects.count(),
        TicketEvent.objects.count(),
    )
    ticket.refresh_from_db()
    assert ticket.contact_email == "" and ticket.contact_phone == ""
    assert ticket.public_reporter == "Anonymous"
    api = APIClient()
    assert api.get(f"/api/v1/tickets/{ticket.pk}/").json()["reporter"] == "Anonymous"
    comments = api.get(f"/api/v1/tickets/{ticket.pk}/comments/").json()
    assert [c["author"] for c in comments if c["body"] == "Still there."] == ["Anonymous"]
    # Nor anywhere in what is public or stored: pages, the event log, any table.
    page = Client().get(f"/tickets/{ticket.pk}/").content.decode()
    events = json.dumps(api.get(f"/api/v1/tickets/{ticket.pk}/events/?since=0").json())
    for name in ("Olive", "owner@example.org", "olive.private@example.net", "555 0199"):
        assert name not in page and name not in events, name
    hits = rows_containing(["owner@example.org", "olive.private@example.net", "Olive"])
    assert not hits, hits
    user_model = get_user_model()
    assert not user_model.objects.filter(username="owner").exists()


def test_anonymise_keeps_other_people_intact(world: dict[str, Any], make_ticket: Any) -> None:
    _owner_activity(world, make_ticket)
    client = Client()
    client.force_login(world["owner"])
    client.post("/accounts/anonymise/", {"confirm": "owner"})
    outsider = get_user_model().objects.get(pk=world["outsider"].pk)
    assert outsider.username == "outsider" and outsider.email == "outsider@example.org"
    theirs = Comment.objects.get(body="Theirs")
    assert APIClient().get(f"/api/v1/tickets/{theirs.ticket_id}/comments/").json()[0]["author"] == (
        outsider.get_full_name() or "outsider"
    )
