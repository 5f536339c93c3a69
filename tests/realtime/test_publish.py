"""`realtime.publish.one_hop`: what a write publishes after commit leaves in one hop from the
request's thread to the event loop (a comment: its ticket event, then the moderators' feed), and
only what Django's on_commit lets go: nothing of a rolled-back savepoint."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import transaction

from realtime import events, publish
from tests.conftest import actor_for
from tickets import services


@pytest.fixture
def hops(monkeypatch: pytest.MonkeyPatch) -> list[list[tuple[list[str], dict[str, Any]]]]:
    """Every hop to the event loop (`send_many`), recorded; the messages still go out."""
    seen: list[list[tuple[list[str], dict[str, Any]]]] = []
    send_many = publish.send_many

    def recording(items: Any) -> None:
        items = [(list(groups), message) for groups, message in items]
        seen.append(items)
        send_many(items)

    monkeypatch.setattr(publish, "send_many", recording)
    return seen


def moderation_message(n: int) -> dict[str, Any]:
    return {"type": "moderation.action", "ticket": None, "at": "2026-12-03T12:00:00Z", "n": n}


def test_a_comment_reaches_its_ticket_and_the_moderators_in_one_hop(
    make_ticket: Any, hops: list[Any], django_capture_on_commit_callbacks: Any
) -> None:
    ticket = make_ticket()
    with django_capture_on_commit_callbacks(execute=True):
        services.comment_create(
            actor=actor_for(anon="neighbour-one-hop"), ticket_id=ticket.pk, body="Still there"
        )
    assert len(hops) == 1, hops
    (to_ticket, ticket_event), (to_moderators, feed_item) = hops[0]
    # The ticket's watchers first: the broadcast the storm waits for.
    assert publish.ticket_group(ticket.pk) in to_ticket
    assert ticket_event["type"] == events.COMMENT_CREATED
    assert to_moderators == publish.moderation_groups_for(ticket.jurisdiction_id)
    assert feed_item["data"]["body"] == "Still there"


@pytest.mark.django_db
def test_a_message_of_a_rolled_back_savepoint_is_not_sent(
    hops: list[Any], django_capture_on_commit_callbacks: Any
) -> None:
    capture = django_capture_on_commit_callbacks(execute=True)
    with capture, transaction.atomic(), publish.one_hop():
        publish.moderation_on_commit(moderation_message(1))
        try:
            with transaction.atomic():
                publish.moderation_on_commit(moderation_message(2))
                raise RuntimeError("the savepoint rolls back")
        except RuntimeError:
            pass
        publish.moderation_on_commit(moderation_message(3))
    assert [[message["n"] for _, message in hop] for hop in hops] == [[1, 3]]


@pytest.mark.django_db
def test_nothing_is_sent_when_the_transaction_rolls_back(
    hops: list[Any], django_capture_on_commit_callbacks: Any
) -> None:
    capture = django_capture_on_commit_callbacks(execute=True)
    with capture, pytest.raises(RuntimeError), transaction.atomic(), publish.one_hop():
        publish.moderation_on_commit(moderation_message(1))
        raise RuntimeError("the write fails")
    assert hops == []


@pytest.mark.django_db
def test_outside_a_block_each_message_is_its_own_hop(
    hops: list[Any], django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        publish.moderation_on_commit(moderation_message(1))
        publish.moderation_on_commit(moderation_message(2))
    assert [[message["n"] for _, message in hop] for hop in hops] == [[1], [2]]


def test_an_empty_batch_makes_no_hop_and_writes_nothing_to_the_relay(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A `one_hop()` block that published nothing (or any empty send) costs nothing: in the
    embedded worker's process, nothing goes down the pipe to daphne."""
    relayed: list[Any] = []
    monkeypatch.setattr(publish, "_relay", relayed.append)
    publish.send_many([])
    publish.send_many([([publish.feed_group()], moderation_message(1))])
    assert [[message["n"] for _, message in batch] for batch in relayed] == [[1]]
