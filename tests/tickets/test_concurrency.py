"""seq allocation under concurrent writers, on a real PostgreSQL."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.db import connection

from tests.conftest import actor_for
from tickets import services
from tickets.models import Comment, TicketEvent

WRITERS = 20


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_twenty_threads_commenting_at_once_get_seq_without_gap_or_duplicate(
    world: dict[str, Any], make_ticket: Any
) -> None:
    ticket = make_ticket()
    agent = world["agent"]  # agents are not rate-limited, so every write must land
    barrier = threading.Barrier(WRITERS)
    errors: list[BaseException] = []

    def write(i: int) -> None:
        try:
            barrier.wait(timeout=10)
            actor = (
                actor_for(agent)
                if i % 2
                else actor_for(anon=f"concurrent-neighbour-{i:04d}", ip=f"203.0.113.{i}")
            )
            services.comment_create(actor=actor, ticket_id=ticket.pk, body=f"comment {i}")
        except BaseException as exc:  # report in the main thread
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=write, args=(i,)) for i in range(WRITERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors, errors
    seqs = list(
        TicketEvent.objects.filter(ticket=ticket).order_by("seq").values_list("seq", flat=True)
    )
    assert seqs == list(range(1, WRITERS + 2))  # ticket.created + 20 comments
    assert Comment.objects.filter(ticket=ticket).count() == WRITERS
    ticket.refresh_from_db()
    assert ticket.seq == WRITERS + 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_reactions_count_each_person_once(
    world: dict[str, Any], make_ticket: Any
) -> None:
    ticket = make_ticket()
    errors: list[BaseException] = []

    def vote(i: int) -> None:
        try:
            for _ in range(2):  # the same person twice
                services.ticket_react(
                    actor=actor_for(anon=f"voting-neighbour-{i:04d}", ip=f"198.51.100.{i + 10}"),
                    ticket_id=ticket.pk,
                    kind="vote",
                )
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=vote, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors, errors
    ticket.refresh_from_db()
    assert ticket.votes == 8


@pytest.mark.django_db(transaction=True)
def test_concurrent_fresh_cookies_on_one_address_count_once(
    world: dict[str, Any], make_ticket: Any
) -> None:
    ticket = make_ticket()
    errors: list[BaseException] = []

    def vote(i: int) -> None:
        try:
            services.ticket_react(
                actor=actor_for(anon=f"stuffing-cookie-{i:04d}", ip="198.51.100.66"),
                ticket_id=ticket.pk,
                kind="vote",
            )
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=vote, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors, errors
    ticket.refresh_from_db()
    assert ticket.votes == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("in_transaction", [False, True], ids=["autocommit", "in-transaction"])
def test_one_new_neighbours_simultaneous_first_writes_share_one_identity(
    world: dict[str, Any], in_transaction: bool
) -> None:
    """Two tabs of a new neighbour write at once: both get the one identity, whether it is
    created on its own (a comment's) or inside the caller's transaction (a savepoint)."""
    from django.db import transaction

    from tickets.identity import identity_for
    from tickets.models import Identity

    writers = 8
    barrier = threading.Barrier(writers)
    got: list[int] = []
    errors: list[BaseException] = []

    def first_write() -> None:
        try:
            actor = actor_for(anon="two-tabs-neighbour", ip="198.51.100.77")
            barrier.wait(timeout=10)
            if in_transaction:
                with transaction.atomic():
                    got.append(identity_for(actor).pk)
                    # The caller's transaction is still usable after a lost race.
                    assert Identity.objects.filter(pk=got[-1]).exists()
            else:
                got.append(identity_for(actor).pk)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=first_write) for _ in range(writers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors, errors
    assert len(got) == writers and len(set(got)) == 1
    assert Identity.objects.filter(pk=got[0]).count() == 1
