"""Two moderators on one offer: the console sends the status its screen shows, so a late
click answers 409 "Already handled by …" and never gives the offer a second outcome; the
deliberate transitions (accepted → done, an explicit decline of an accepted offer) still work."""

from __future__ import annotations

from typing import Any

import pytest

from moderation import services as mod
from moderation.models import AuditEntry, Offer
from tests.conftest import actor_for, client_for
from tickets.errors import Conflict


def _pending(ticket: Any) -> Offer:
    return mod.offer_create(
        actor=actor_for(anon="helper-cookie-000031"),
        ticket_id=ticket.pk,
        message="I have a generator",
        contact="555-0123",
    )


def _outcomes(offer: Offer) -> list[str]:
    rows = AuditEntry.objects.filter(target_type="offer", target_id=str(offer.pk))
    return [
        a for a in rows.order_by("at", "id").values_list("action", flat=True) if a != "offer.create"
    ]


def test_a_stale_decline_after_an_accept_is_a_conflict_naming_who_accepted(
    world: dict[str, Any], borough_ticket: Any
) -> None:
    offer = _pending(borough_ticket)
    url = f"/api/v1/offers/{offer.pk}/review/"
    agent, volunteer = client_for(world["agent"]), client_for(world["volunteer"])
    first = agent.post(url, {"decision": "accept", "expect": "pending"}, format="json")
    assert first.status_code == 200 and first.json()["status"] == "accepted"
    # The volunteer's screen still shows it pending: Decline is late.
    late = volunteer.post(url, {"decision": "decline", "expect": "pending"}, format="json")
    assert late.status_code == 409, late.content
    assert late.json()["detail"] == "Already handled by agent: accepted."
    # Without `expect` (an old client), declining an accepted offer is late too.
    bare = volunteer.post(url, {"decision": "decline"}, format="json")
    assert bare.status_code == 409 and "Already handled by agent" in bare.json()["detail"]
    offer.refresh_from_db()
    assert offer.status == Offer.Status.ACCEPTED
    assert _outcomes(offer) == ["offer.accept"]


def test_deliberate_transitions_from_an_accepted_screen_still_work(
    world: dict[str, Any], borough_ticket: Any
) -> None:
    url = lambda o: f"/api/v1/offers/{o.pk}/review/"  # noqa: E731
    volunteer = client_for(world["volunteer"])
    done = _pending(borough_ticket)
    mod.offer_review(actor=actor_for(world["agent"]), offer_id=done.pk, decision="accept")
    answer = volunteer.post(
        url(done), {"decision": "complete", "expect": "accepted"}, format="json"
    )
    assert answer.status_code == 200 and answer.json()["status"] == "completed"

    declined = _pending(borough_ticket)
    mod.offer_review(actor=actor_for(world["agent"]), offer_id=declined.pk, decision="accept")
    answer = volunteer.post(
        url(declined), {"decision": "decline", "expect": "accepted"}, format="json"
    )
    assert answer.status_code == 200 and answer.json()["status"] == "declined"
    # A second late decline names the first one.
    again = client_for(world["agent"]).post(
        url(declined), {"decision": "decline", "expect": "accepted"}, format="json"
    )
    assert again.status_code == 409
    assert again.json()["detail"] == "Already handled by volunteer: declined."
    assert _outcomes(declined) == ["offer.accept", "offer.decline"]


def test_two_moderators_race_through_the_service(
    world: dict[str, Any], borough_ticket: Any
) -> None:
    offer = _pending(borough_ticket)
    mod.offer_review(
        actor=actor_for(world["agent"]), offer_id=offer.pk, decision="accept", expect="pending"
    )
    with pytest.raises(Conflict, match="Already handled by agent: accepted"):
        mod.offer_review(
            actor=actor_for(world["volunteer"]),
            offer_id=offer.pk,
            decision="accept",
            expect="pending",
        )
    assert _outcomes(offer) == ["offer.accept"]


def test_an_impossible_decision_says_so_in_words(
    world: dict[str, Any], borough_ticket: Any
) -> None:
    offer = _pending(borough_ticket)
    volunteer = client_for(world["volunteer"])
    url = f"/api/v1/offers/{offer.pk}/review/"
    answer = volunteer.post(url, {"decision": "complete"}, format="json")
    assert answer.status_code == 409
    assert answer.json()["detail"] == "This offer is pending: it cannot be completed now."
    french = volunteer.post(url, {"decision": "complete"}, format="json", HTTP_ACCEPT_LANGUAGE="fr")
    assert french.json()["detail"] == (
        "Cette offre est : en attente. Elle ne peut pas être terminée pour le moment."
    )
    bad = volunteer.post(url, {"decision": "accept", "expect": "soon"}, format="json")
    assert bad.status_code == 400 and "expect" in bad.json()
