"""Two (or eight) moderators acting on one item at once: one outcome, never a double one.
Runs on SQLite here and on PostgreSQL under `make test`."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection

from moderation import services as mod
from moderation.models import AuditEntry
from tests.conftest import actor_for
from tests.moderation.conftest import comment_on
from tickets.errors import Conflict, NotFound
from tickets.models import Comment, TicketEvent

pytestmark = pytest.mark.django_db(transaction=True)
N = 8


def _race(work: Callable[[int], Any]) -> tuple[list[Any], list[BaseException]]:
    barrier = threading.Barrier(N)
    done: list[Any] = []
    errors: list[BaseException] = []

    def run(i: int) -> None:
        try:
            barrier.wait(timeout=10)
            done.append(work(i))
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(N)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return done, errors


def test_simultaneous_hides_hide_once(world: dict[str, Any], borough_ticket: Any) -> None:
    comment = comment_on(borough_ticket, "contested", user=world["outsider"])
    people = [world["agent"], world["volunteer"], world["admin"], world["borough-agent"]]

    def hide(i: int) -> Any:
        return mod.comment_moderate(
            actor=actor_for(people[i % len(people)]),
            comment_id=comment.pk,
            action="hide",
            reason=f"moderator {i}",
        )

    done, errors = _race(hide)
    assert len(done) == 1, errors
    assert all(isinstance(e, Conflict) for e in errors) and len(errors) == N - 1
    assert TicketEvent.objects.filter(ticket=borough_ticket, type="comment.hidden").count() == 1
    assert AuditEntry.objects.filter(action="hide").count() == 1


def test_approve_and_reject_at_once_give_one_outcome(
    world: dict[str, Any], borough_ticket: Any
) -> None:
    from tickets import services

    comment = comment_on(borough_ticket, "held one", user=world["outsider"])
    services.comment_set_visibility(comment_id=comment.pk, visibility="held", reason="test")

    def decide(i: int) -> Any:
        return mod.comment_moderate(
            actor=actor_for(world["volunteer"] if i % 2 else world["agent"]),
            comment_id=comment.pk,
            action="approve" if i % 2 else "reject",
            reason="race",
        )

    done, errors = _race(decide)
    assert len(done) == 1 and all(isinstance(e, Conflict) for e in errors), errors
    comment.refresh_from_db()
    entries = AuditEntry.objects.filter(target_type="comment", target_id=str(comment.pk))
    assert entries.count() == 1
    expected = "visible" if entries.get().action == "approve" else "hidden"
    assert comment.visibility == expected


def test_simultaneous_flags_hide_once(world: dict[str, Any], borough_ticket: Any) -> None:
    comment = comment_on(borough_ticket, "flag storm", user=world["outsider"])

    def flag(i: int) -> Any:
        return mod.flag_create(
            actor=actor_for(anon=f"racing-flagger-{i:05d}", ip=f"192.0.2.{i + 100}"),
            comment_id=comment.pk,
            reason="abuse",
        )

    done, errors = _race(flag)
    # Flags serialise on the ticket lock: the third hides it; later ones no longer see it.
    assert len(done) == 3 and all(isinstance(e, NotFound) for e in errors), errors
    assert sum(1 for _flag, hidden in done if hidden) == 1
    assert Comment.objects.get(pk=comment.pk).visibility == "hidden"
    assert TicketEvent.objects.filter(ticket=borough_ticket, type="comment.hidden").count() == 1
    assert AuditEntry.objects.filter(action="auto_hide").count() == 1


def test_accept_and_decline_of_one_pending_offer_at_once_give_one_outcome(
    world: dict[str, Any], borough_ticket: Any
) -> None:
    """Moderators whose consoles all show the offer pending click Accept or Decline at once:
    one decision, and every other click is told who decided ("Already handled by …")."""
    from moderation.models import Offer

    offer = mod.offer_create(
        actor=actor_for(anon="racing-helper-000001"),
        ticket_id=borough_ticket.pk,
        message="I can lend a generator",
        contact="555-0100",
    )

    def decide(i: int) -> Any:
        return mod.offer_review(
            actor=actor_for(world["volunteer"] if i % 2 else world["admin"]),
            offer_id=offer.pk,
            decision="decline" if i % 2 else "accept",
            expect="pending",
        )

    done, errors = _race(decide)
    assert len(done) == 1 and len(errors) == N - 1, errors
    assert all(isinstance(e, Conflict) and "Already handled by" in str(e) for e in errors)
    decisions = AuditEntry.objects.filter(target_type="offer", target_id=str(offer.pk)).exclude(
        action="offer.create"
    )
    assert decisions.count() == 1
    offer.refresh_from_db()
    expected = {"offer.accept": Offer.Status.ACCEPTED, "offer.decline": Offer.Status.DECLINED}
    assert offer.status == expected[decisions.get().action]
