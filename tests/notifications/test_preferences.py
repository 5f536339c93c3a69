"""Each person sets their own notification preferences; agents choose how they hear of new
tickets (at once, a daily digest, or never)."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from notifications.models import NotificationPreference

pytestmark = pytest.mark.django_db


def test_agent_chooses_a_daily_digest(world: dict[str, Any]) -> None:
    client = Client()
    client.force_login(world["agent"])
    page = client.get("/notifications/preferences/")
    assert page.status_code == 200 and 'name="new_tickets"' in page.content.decode()
    answer = client.post(
        "/notifications/preferences/",
        {"language": "fr", "email_updates": "on", "new_tickets": "daily"},
    )
    assert answer.status_code == 303
    pref = NotificationPreference.objects.get(user=world["agent"])
    assert (pref.new_tickets, pref.language, pref.email_updates) == ("daily", "fr", True)


def test_citizen_turns_off_follower_mail_and_has_no_agent_choice(world: dict[str, Any]) -> None:
    client = Client()
    client.force_login(world["outsider"])
    page = client.get("/notifications/preferences/").content.decode()
    assert 'name="new_tickets"' not in page
    assert client.post("/notifications/preferences/", {"language": ""}).status_code == 303
    assert NotificationPreference.objects.get(user=world["outsider"]).email_updates is False


def test_bad_choice_is_a_400_and_saves_nothing(world: dict[str, Any]) -> None:
    client = Client()
    client.force_login(world["agent"])
    answer = client.post("/notifications/preferences/", {"new_tickets": "hourly"})
    assert answer.status_code == 400
    assert not NotificationPreference.objects.filter(user=world["agent"]).exists()


def test_anonymous_visitor_is_sent_to_login(world: dict[str, Any]) -> None:
    answer = Client().get("/notifications/preferences/")
    assert answer.status_code == 302 and "/accounts/login/" in answer["Location"]
