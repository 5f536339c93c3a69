"""Issue 18's widget bugs: statuses in the embedding page's language, an event widget shows
its announcements, and the /widget/ page's preview shows the jurisdiction its snippets use."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from moderation import services as mod
from tests.conftest import actor_for

pytestmark = pytest.mark.django_db


def statuses(html: str) -> list[str]:
    return re.findall(r'class="fx-status[^"]*" data-status="\w+">([^<]+)<', html)


def test_the_widget_speaks_the_embedding_pages_language(
    world: dict[str, Any], make_ticket: Any
) -> None:
    ticket = make_ticket()
    mod_actor = actor_for(world["borough-agent"])
    from tickets import services

    services.ticket_transition(actor=mod_actor, ticket_id=ticket.pk, action="acknowledge")
    make_ticket(title="Another one")
    french = Client().get("/embed/?jurisdiction=old-port&lang=fr-CA").content.decode()
    assert 'lang="fr"' in french
    assert sorted(statuses(french)) == ["Ouvert", "Pris en charge"], statuses(french)
    assert "open" not in statuses(french) and "acknowledged" not in statuses(french)
    english = Client().get("/embed/?jurisdiction=old-port&lang=en").content.decode()
    assert sorted(statuses(english)) == ["Acknowledged", "Open"]
    # Without `lang`, the browser's language.
    browser = Client(HTTP_ACCEPT_LANGUAGE="fr").get("/embed/?jurisdiction=old-port").content
    assert "Ouvert" in statuses(browser.decode())


def test_an_event_widget_shows_its_announcements(world: dict[str, Any]) -> None:
    now = timezone.now()
    mod.emergency_create(
        actor=actor_for(world["admin"]),
        name="Storm",
        slug="storm",
        starts_at=now - timedelta(hours=1),
    )
    mod.announcement_create(actor=actor_for(world["agent"]), event="storm", body="Shelter open")
    html = Client().get("/embed/?event=storm").content.decode()
    assert 'data-testid="embed-announcements"' in html and "Shelter open" in html


def test_the_docs_preview_shows_what_the_snippets_embed(world: dict[str, Any]) -> None:
    html = Client().get("/widget/").content.decode()
    snippets = set(re.findall(r"jurisdiction=(?:&quot;)?([\w-]+)", html))
    preview = re.search(r'<iframe src="/embed/\?jurisdiction=([\w-]+)', html)
    assert preview is not None
    assert snippets == {preview.group(1)}, (snippets, preview.group(1))
