"""The console's events card: agents and admins see the events in effect or coming up, with
their page, edit and end; the declare form is shown only to those who may declare (a trusted
volunteer used to get the form, then a 403)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.test import Client
from django.utils import timezone

from moderation import services as mod
from tests.conftest import actor_for


def _event(world: dict[str, Any], slug: str, **times: Any) -> Any:
    now = timezone.now()
    return mod.emergency_create(
        actor=actor_for(world["admin"]),
        name=slug.replace("-", " ").title(),
        slug=slug,
        starts_at=times.get("starts_at", now - timedelta(hours=1)),
        ends_at=times.get("ends_at"),
    )


def _page(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_agents_see_active_and_upcoming_events_with_edit_and_end(world: dict[str, Any]) -> None:
    now = timezone.now()
    _event(world, "ice-storm")
    _event(world, "heat-wave", starts_at=now + timedelta(days=1))
    _event(world, "old-flood", starts_at=now - timedelta(days=3), ends_at=now - timedelta(days=2))
    page = _page(world["agent"]).get("/moderation/").content.decode()
    assert 'data-testid="events-card"' in page and 'data-testid="event-form"' in page
    assert page.index('data-event="ice-storm"') < page.index('data-event="heat-wave"')
    assert 'data-event="old-flood"' not in page  # ended: nothing left to do
    assert 'href="/events/ice-storm/"' in page
    assert 'href="/moderation/events/ice-storm/edit/"' in page
    assert 'action="/moderation/events/ice-storm/end/"' in page
    assert "In effect" in page and "Coming up" in page


def test_volunteers_see_no_events_card_and_no_declare_form(world: dict[str, Any]) -> None:
    _event(world, "ice-storm")
    answer = _page(world["volunteer"]).get("/moderation/")
    assert answer.status_code == 200
    page = answer.content.decode()
    assert 'data-testid="moderation-queue"' in page  # the console itself is theirs
    assert 'data-testid="event-form"' not in page and 'data-testid="events-card"' not in page
    assert 'data-event="ice-storm"' not in page
