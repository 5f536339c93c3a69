"""The ticket page as served (tickets/views/detail.py): who gets which tools, one timeline of
comments and status changes, the reply box, the event's rules. The live side is in
tests/browser/test_ticket_page.py."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from moderation.services import comment_moderate
from tests.conftest import CITY_POINT, actor_for
from tickets import services
from tickets.models import EmergencyEvent

pytestmark = pytest.mark.django_db


def html_for(user: Any, ticket: Any, **headers: Any) -> str:
    client = Client()
    if user is not None:
        client.force_login(user)
    response = client.get(f"/tickets/{ticket.pk}/", **headers)
    assert response.status_code == 200
    return response.content.decode()


def comment_items(html: str) -> list[str]:
    return re.findall(r'<li class="comment.*?</li>\s*(?=<li|</ol>)', html, flags=re.S)


def test_everyone_may_flag_only_moderators_get_hide_and_takedown(
    world: Any, make_ticket: Any
) -> None:
    ticket = make_ticket()
    services.comment_create(actor=actor_for(world["citizen"]), ticket_id=ticket.pk, body="Hello")
    anonymous = html_for(None, ticket)
    assert anonymous.count('data-testid="flag-button"') == 2  # the comment + the live template
    assert 'data-testid="ticket-flag-button"' in anonymous
    assert "hide-button" not in anonymous and "takedown-button" not in anonymous
    assert "moderation-form" not in anonymous
    # The API's reasons, translated.
    reasons = re.findall(r'<option value="([a-z_]+)">', anonymous)
    assert reasons == ["spam", "abuse", "off_topic", "personal_info", "other"]
    french = html_for(None, ticket, HTTP_ACCEPT_LANGUAGE="fr")
    assert ">Signaler</button>" in french and ">Répondre</a>" in french
    assert ">Informations personnelles</option>" in french

    for moderator in ("agent", "volunteer", "admin"):
        html = html_for(world[moderator], ticket)
        assert 'data-testid="hide-button"' in html, moderator
        assert 'data-testid="takedown-button"' in html, moderator
        assert 'data-testid="moderation-form"' in html, moderator
    # An agent of another place moderates nothing here.
    elsewhere = make_ticket(**CITY_POINT)
    assert "hide-button" not in html_for(world["borough-agent"], elsewhere)


def test_a_hidden_comment_is_gone_for_the_public_and_marked_for_moderators(
    world: Any, make_ticket: Any
) -> None:
    ticket = make_ticket()
    hidden = services.comment_create(
        actor=actor_for(world["citizen"]), ticket_id=ticket.pk, body="Rude words here"
    )
    comment_moderate(
        actor=actor_for(world["volunteer"]), comment_id=hidden.pk, action="hide", reason="rude"
    )
    assert "Rude words here" not in html_for(None, ticket)
    items = comment_items(html_for(world["agent"], ticket))
    assert len(items) == 1 and "Rude words here" in items[0]
    assert 'data-testid="hidden-badge"' in items[0]
    assert 'data-testid="restore-button"' in items[0] and "hide-button" not in items[0]


def test_one_timeline_of_comments_and_status_changes_in_order(world: Any, make_ticket: Any) -> None:
    ticket = make_ticket()
    citizen, agent = actor_for(world["citizen"]), actor_for(world["agent"])
    services.comment_create(actor=citizen, ticket_id=ticket.pk, body="First: still there")
    services.ticket_transition(
        actor=agent, ticket_id=ticket.pk, action="acknowledge", note="Crew on the way"
    )
    services.comment_create(actor=citizen, ticket_id=ticket.pk, body="Third: thanks")
    html = html_for(None, ticket)
    timeline = html[html.index('data-testid="comment-list"') : html.index("</ol>")]
    first, change, third = (
        timeline.index("First: still there"),
        timeline.index('data-testid="status-change"'),
        timeline.index("Third: thanks"),
    )
    assert first < change < third
    assert "Open → Acknowledged" in timeline and "Crew on the way" in timeline
    assert 'data-testid="status-history"' not in html  # no second list any more


def test_the_reply_box_is_one_form_with_the_status_choice(world: Any, make_ticket: Any) -> None:
    ticket = make_ticket()
    html = html_for(world["agent"], ticket)
    form = html[
        html.index('data-testid="comment-form"') : html.index(
            "</form>", html.index('data-testid="comment-form"')
        )
    ]
    assert form.count("<textarea") == 1 and 'name="body"' in form
    assert (
        'data-testid="transition-acknowledge"' in form and 'data-testid="transition-close"' in form
    )
    assert "Note (optional)" not in html[html.index('id="actions"') :]

    # Without JavaScript the status buttons post the same box: its text becomes the note.
    client = Client()
    client.force_login(world["agent"])
    response = client.post(
        f"/tickets/{ticket.pk}/transition/", {"action": "acknowledge", "body": "Booked for Monday"}
    )
    assert response.status_code == 303
    change = ticket.status_changes.get()
    assert (change.to_status, change.note) == ("acknowledged", "Booked for Monday")


def test_the_event_is_a_link_and_its_rules_come_before_the_box(
    world: Any, make_ticket: Any
) -> None:
    EmergencyEvent.objects.create(
        name="Ice storm",
        slug="ice-storm",
        starts_at=timezone.now() - timedelta(hours=1),
        premoderate_anonymous=True,
        slow_mode_seconds=30,
    )
    ticket = make_ticket(event="ice-storm")
    html = html_for(None, ticket)
    assert 'data-testid="event-link" href="/events/ice-storm/"' in html
    rules = html.index('data-testid="event-rules"')
    assert rules < html.index('data-testid="comment-form"')
    assert "Anonymous comments are reviewed by a moderator before they show." in html
    assert "Slow mode: one comment every 30 seconds." in html
    assert 'data-slow-mode="30"' in html
    french = html_for(None, ticket, HTTP_ACCEPT_LANGUAGE="fr")
    assert "Mode lent : un commentaire toutes les 30 secondes." in french
