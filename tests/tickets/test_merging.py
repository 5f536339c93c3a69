"""Casework: merging a duplicate into another ticket and undoing it (tickets.services.merging,
POST /api/v1/tickets/{id}/merge/ and unmerge/, the ticket page's banner and forms, the audit
log, Open311), the role × action matrix, and the merge racing comments on PostgreSQL."""

from __future__ import annotations

import threading
import zlib
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from django_tasks_db.models import DBTaskResult
from rest_framework.test import APIClient

from moderation.models import AuditEntry
from notifications import dispatch
from realtime import events
from tests.conftest import BOROUGH_POINT, CITY_POINT, actor_for, client_for
from tickets import services
from tickets.errors import Conflict, InvalidInput, NotAllowed
from tickets.models import Comment, Follow, MergeRecord, Ticket, TicketEvent, Vote

pytestmark = pytest.mark.django_db

NEAR = {"lat": 45.5051, "long": -73.5521}  # a few metres from BOROUGH_POINT


def _neighbour(anon: str) -> Any:
    """An anonymous neighbour on their own network address: anonymous reactions from one
    address count once (docs/security.md), and these are different households."""
    return actor_for(anon=anon, ip=f"198.51.100.{zlib.crc32(anon.encode()) % 250 + 1}")


def _pair(world: dict[str, Any]) -> tuple[Ticket, Ticket]:
    """An original and a later duplicate of it, both in the Old Port borough."""
    original = services.ticket_create(
        actor=_neighbour("first-reporter-000001"),
        title="Fallen tree on Quay street",
        service_code="snow",
        **BOROUGH_POINT,
    )
    duplicate = services.ticket_create(
        actor=_neighbour("second-reporter-00002"),
        title="Tree across the road",
        service_code="snow",
        **NEAR,
    )
    return original, duplicate


def _events(ticket: Ticket, after: int = 0) -> list[TicketEvent]:
    return list(TicketEvent.objects.filter(ticket=ticket, seq__gt=after).order_by("seq"))


def _valid(row: TicketEvent) -> None:
    events.validate(
        events.envelope(type=row.type, ticket=row.ticket_id, seq=row.seq, at=row.at, data=row.data)
    )


def _react(ticket: Ticket, kind: str, anon: str) -> None:
    services.ticket_react(actor=_neighbour(anon), ticket_id=ticket.pk, kind=kind)


# --- Merge and unmerge ------------------------------------------------------------------------


def test_merge_closes_the_duplicate_and_moves_followers_and_votes_once(
    world: dict[str, Any],
) -> None:
    original, duplicate = _pair(world)
    _react(duplicate, "follow", "neighbour-only-on-dup-1")
    _react(duplicate, "vote", "neighbour-only-on-dup-1")
    _react(duplicate, "follow", "neighbour-on-both-00002")
    _react(duplicate, "vote", "neighbour-on-both-00002")
    _react(original, "follow", "neighbour-on-both-00002")
    _react(original, "vote", "neighbour-on-both-00002")
    _react(duplicate, "thanks", "neighbour-only-on-dup-1")
    original.refresh_from_db()
    duplicate.refresh_from_db()
    assert (original.followers, original.votes) == (2, 1)  # reporter + neighbour
    assert (duplicate.followers, duplicate.votes) == (3, 2)
    seq_dup, seq_orig = duplicate.seq, original.seq

    merged = services.ticket_merge(
        actor=actor_for(world["agent"]), ticket_id=duplicate.pk, into=original.pk, note="Same tree"
    )

    assert merged.status == "closed" and merged.duplicate_of_id == original.pk
    assert merged.closed_at is not None
    original.refresh_from_db()
    # The duplicate's reporter and the one-ticket neighbour move; the other counts once.
    assert (original.followers, original.votes) == (4, 2)
    assert (merged.followers, merged.votes, merged.thanks) == (0, 0, 1)
    assert Follow.objects.filter(ticket=original).count() == 4
    assert Vote.objects.filter(ticket=original).count() == 2
    assert not Follow.objects.filter(ticket=merged).exists()

    dup_events = _events(merged, seq_dup)
    assert [e.type for e in dup_events] == [events.TICKET_STATUS_CHANGED, events.TICKET_MERGED]
    status, merged_event = dup_events
    assert status.data["to"] == "closed" and status.data["from"] == "open"
    assert status.data["reason"] == "duplicate" and status.data["duplicate_of"] == original.pk
    assert merged_event.data["into"] == original.pk
    assert merged_event.data["into_url"] == f"/tickets/{original.pk}/"
    assert merged_event.actor == actor_for(world["agent"]).identity()
    orig_events = _events(original, seq_orig)
    assert [e.type for e in orig_events] == [events.TICKET_UPDATED]
    assert orig_events[0].data == {"changed": ["duplicates"], "duplicates": [duplicate.pk]}
    for row in dup_events + orig_events:
        _valid(row)
    assert "Duplicate of #" in merged.status_changes.get().note


def test_unmerge_gives_back_exactly_what_moved(world: dict[str, Any]) -> None:
    original, duplicate = _pair(world)
    agent = actor_for(world["agent"])
    services.ticket_transition(actor=agent, ticket_id=duplicate.pk, action="acknowledge")
    _react(duplicate, "follow", "neighbour-only-on-dup-1")
    _react(duplicate, "vote", "neighbour-on-both-00002")
    _react(original, "vote", "neighbour-on-both-00002")
    services.ticket_merge(actor=agent, ticket_id=duplicate.pk, into=original.pk)
    seq_dup = Ticket.objects.get(pk=duplicate.pk).seq

    back = services.ticket_unmerge(actor=agent, ticket_id=duplicate.pk)

    assert back.duplicate_of_id is None and back.status == "acknowledged"
    assert back.closed_at is None
    original.refresh_from_db()
    assert (back.followers, back.votes) == (2, 1)  # its reporter and neighbour; the vote
    assert (original.followers, original.votes) == (1, 1)  # the voter on both keeps it here
    assert set(Follow.objects.filter(ticket=original).values_list("identity__key", flat=True)) == {
        "a:first-reporter-000001"
    }
    assert set(Vote.objects.filter(ticket=back).values_list("identity__key", flat=True)) == {
        "a:neighbour-on-both-00002"
    }
    rows = _events(back, seq_dup)
    assert [r.type for r in rows] == [events.TICKET_STATUS_CHANGED, events.TICKET_UNMERGED]
    assert rows[0].data["reason"] == "unmerged" and rows[0].data["to"] == "acknowledged"
    assert rows[1].data["original"] == original.pk
    for row in rows:
        _valid(row)
    assert _events(original)[-1].data == {"changed": ["duplicates"], "duplicates": []}
    record = MergeRecord.objects.get(duplicate=duplicate)
    assert record.unmerged_at is not None
    # It may be merged again, and undone again.
    services.ticket_merge(actor=agent, ticket_id=duplicate.pk, into=original.pk)
    services.ticket_unmerge(actor=agent, ticket_id=duplicate.pk)
    assert MergeRecord.objects.filter(duplicate=duplicate).count() == 2


def test_merging_a_closed_ticket_keeps_it_closed_without_a_status_event(
    world: dict[str, Any],
) -> None:
    original, duplicate = _pair(world)
    agent = actor_for(world["agent"])
    services.ticket_transition(actor=agent, ticket_id=duplicate.pk, action="close")
    seq = Ticket.objects.get(pk=duplicate.pk).seq
    services.ticket_merge(actor=agent, ticket_id=duplicate.pk, into=original.pk)
    assert [e.type for e in _events(duplicate, seq)] == [events.TICKET_MERGED]
    back = services.ticket_unmerge(actor=agent, ticket_id=duplicate.pk)
    assert back.status == "closed" and back.closed_at is not None


def test_a_merged_duplicate_is_not_reopened_but_unmerged(world: dict[str, Any]) -> None:
    """Its reporter pressing "reopen" would bring back a closed duplicate whose followers now
    live on the original: the answer says to follow that one (or to ask for an unmerge)."""
    original, duplicate = _pair(world)
    services.ticket_merge(actor=actor_for(world["agent"]), ticket_id=duplicate.pk, into=original.pk)
    seq = Ticket.objects.get(pk=duplicate.pk).seq
    with pytest.raises(Conflict, match=f"#{original.pk}"):
        services.ticket_transition(
            actor=_neighbour("second-reporter-00002"),
            ticket_id=duplicate.pk,
            action="reopen",
            note="Still there",
        )
    assert Ticket.objects.get(pk=duplicate.pk).seq == seq  # nothing written


def test_a_merged_duplicate_is_not_asked_is_it_fixed(world: dict[str, Any]) -> None:
    """Closing as a duplicate is not a fix: the worker queues no "is it fixed?" question for it,
    while an ordinary close still gets one."""

    def questions() -> int:
        return DBTaskResult.objects.filter(task_path__endswith="ask_is_it_fixed").count()

    def process_close(ticket: Ticket) -> None:
        close = TicketEvent.objects.filter(
            ticket=ticket, type=events.TICKET_STATUS_CHANGED, data__to="closed"
        ).latest("seq")
        dispatch.process_event(close.pk)  # what the worker runs for the event

    original, duplicate = _pair(world)
    services.ticket_merge(actor=actor_for(world["agent"]), ticket_id=duplicate.pk, into=original.pk)
    before = questions()
    process_close(duplicate)
    assert questions() == before
    services.ticket_transition(
        actor=actor_for(world["agent"]), ticket_id=original.pk, action="close", note="Done"
    )
    process_close(original)
    assert questions() == before + 1


def test_bad_merges_are_refused_naming_into(world: dict[str, Any]) -> None:
    original, duplicate = _pair(world)
    city_ticket = services.ticket_create(
        actor=actor_for(anon="city-reporter-00000001"),
        title="Elsewhere",
        service_code="snow",
        **CITY_POINT,
    )
    borough_agent = actor_for(world["borough-agent"])
    before = {t.pk: t.seq for t in Ticket.objects.all()}
    for into, words in [
        (duplicate.pk, "itself"),
        (999999, "no ticket"),
        ("seven", "number"),
        (None, "number"),
        (city_ticket.pk, "do not serve"),
    ]:
        with pytest.raises(InvalidInput, match=words) as err:
            services.ticket_merge(actor=borough_agent, ticket_id=duplicate.pk, into=into)
        assert err.value.field == "into"
    assert {t.pk: t.seq for t in Ticket.objects.all()} == before

    third = services.ticket_create(
        actor=actor_for(anon="third-reporter-0000003"),
        title="A third one",
        service_code="snow",
        **NEAR,
    )
    services.ticket_merge(actor=borough_agent, ticket_id=duplicate.pk, into=original.pk)
    with pytest.raises(InvalidInput, match="itself a duplicate") as err:
        services.ticket_merge(actor=borough_agent, ticket_id=third.pk, into=duplicate.pk)
    assert err.value.field == "into"
    with pytest.raises(Conflict, match="already a duplicate"):
        services.ticket_merge(actor=borough_agent, ticket_id=duplicate.pk, into=third.pk)
    with pytest.raises(Conflict, match="Other tickets are merged"):
        services.ticket_merge(actor=borough_agent, ticket_id=original.pk, into=third.pk)
    with pytest.raises(Conflict, match="not merged"):
        services.ticket_unmerge(actor=borough_agent, ticket_id=third.pk)


# --- Role × action matrix -----------------------------------------------------------------------

ROLES = ["agent", "borough_agent", "other_agent", "admin", "volunteer", "reporter", "citizen"]
ROLES += ["anonymous"]
STAFF = {"agent", "borough_agent", "admin"}  # of the Old Port borough (city agents included)


def _actor(role: str, world: dict[str, Any]) -> Any:
    if role == "other_agent":
        user, _ = get_user_model().objects.get_or_create(username="campus-agent")
        world["university"].agents.add(user)
        return actor_for(user)
    if role == "reporter":
        return actor_for(anon="second-reporter-00002")
    if role == "anonymous":
        return actor_for(anon="someone-else-entirely-000")
    names = {"borough_agent": "borough-agent", "citizen": "outsider"}
    return actor_for(world[names.get(role, role)])


@pytest.mark.parametrize("state", ["open", "merged"])
@pytest.mark.parametrize("action", ["merge", "unmerge"])
@pytest.mark.parametrize("role", ROLES)
def test_merge_matrix(world: dict[str, Any], role: str, action: str, state: str) -> None:
    original, duplicate = _pair(world)
    if state == "merged":
        services.ticket_merge(
            actor=actor_for(world["admin"]), ticket_id=duplicate.pk, into=original.pk
        )
    actor = _actor(role, world)
    seqs = {t.pk: t.seq for t in Ticket.objects.all()}

    def act() -> Ticket:
        if action == "merge":
            return services.ticket_merge(actor=actor, ticket_id=duplicate.pk, into=original.pk)
        return services.ticket_unmerge(actor=actor, ticket_id=duplicate.pk)

    valid = (action, state) in {("merge", "open"), ("unmerge", "merged")}
    if role not in STAFF:
        with pytest.raises(NotAllowed):  # 403 before 409, whatever the state
            act()
    elif not valid:
        with pytest.raises(Conflict):
            act()
    else:
        done = act()
        assert done.duplicate_of_id == (original.pk if action == "merge" else None)
        assert done.seq > seqs[duplicate.pk]
        return
    assert {t.pk: t.seq for t in Ticket.objects.all()} == seqs
    assert Ticket.objects.get(pk=duplicate.pk).duplicate_of_id == (
        original.pk if state == "merged" else None
    )


# --- API ------------------------------------------------------------------------------------------


def test_api_merge_and_unmerge(world: dict[str, Any], agent_api: APIClient) -> None:
    original, duplicate = _pair(world)
    url = f"/api/v1/tickets/{duplicate.pk}/"
    assert APIClient().get(url).json()["duplicate_of"] is None

    answer = agent_api.post(f"{url}merge/", {"into": original.pk}, format="json")
    assert answer.status_code == 200, answer.content
    body = answer.json()
    assert body["status"] == "closed" and body["duplicate_of"] == original.pk
    assert APIClient().get(url).json()["duplicate_of"] == original.pk
    replay = APIClient().get(f"{url}events/?since=0").json()
    assert replay[-1]["type"] == "ticket.merged" and replay[-1]["data"]["into"] == original.pk
    assert agent_api.post(f"{url}merge/", {"into": original.pk}, format="json").status_code == 409

    answer = agent_api.post(f"{url}unmerge/", {}, format="json")
    assert answer.status_code == 200, answer.content
    assert answer.json()["duplicate_of"] is None and answer.json()["status"] == "open"
    assert agent_api.post(f"{url}unmerge/", {}, format="json").status_code == 409


@pytest.mark.parametrize(
    "payload", [{}, {"into": "abc"}, {"into": 0}, {"into": 10**12}, {"into": "self"}]
)
def test_api_bad_merge_is_a_400_naming_into(
    world: dict[str, Any], agent_api: APIClient, payload: dict[str, Any]
) -> None:
    original, duplicate = _pair(world)
    if payload.get("into") == "self":
        payload = {"into": duplicate.pk}
    answer = agent_api.post(f"/api/v1/tickets/{duplicate.pk}/merge/", payload, format="json")
    assert answer.status_code == 400, answer.content
    assert "into" in answer.json()


def test_api_refuses_others_before_looking_at_state(
    world: dict[str, Any], owner_api: APIClient, anon_api: APIClient
) -> None:
    original, duplicate = _pair(world)
    volunteer = client_for(world["volunteer"])
    for client in (owner_api, anon_api, volunteer):
        for into in (original.pk, duplicate.pk):
            answer = client.post(
                f"/api/v1/tickets/{duplicate.pk}/merge/", {"into": into}, format="json"
            )
            assert answer.status_code == 403, answer.content
        answer = client.post(f"/api/v1/tickets/{duplicate.pk}/unmerge/", {}, format="json")
        assert answer.status_code == 403
    assert anon_api.post("/api/v1/tickets/424242/merge/", {"into": 1}).status_code == 404
    assert Ticket.objects.get(pk=duplicate.pk).duplicate_of_id is None


# --- Audit, Open311, pages --------------------------------------------------------------------------


def test_merge_and_unmerge_are_audited(world: dict[str, Any]) -> None:
    original, duplicate = _pair(world)
    agent = actor_for(world["agent"])
    services.ticket_merge(actor=agent, ticket_id=duplicate.pk, into=original.pk, note="Same")
    services.ticket_unmerge(actor=agent, ticket_id=duplicate.pk, note="Not the same")
    merge, unmerge = AuditEntry.objects.filter(target_type="ticket").order_by("at", "id")
    assert (merge.action, merge.actor_name, merge.reason) == ("ticket.merge", "agent", "Same")
    assert merge.after == {"status": "closed", "duplicate_of": original.pk}
    assert merge.ticket_id_ref == duplicate.pk
    assert (unmerge.action, unmerge.reason) == ("ticket.unmerge", "Not the same")
    assert unmerge.after == {"status": "open", "duplicate_of": None}


def test_open311_says_which_request_it_duplicates(world: dict[str, Any]) -> None:
    original, duplicate = _pair(world)
    services.ticket_merge(actor=actor_for(world["agent"]), ticket_id=duplicate.pk, into=original.pk)
    answer = Client().get(f"/open311/v2/requests/{duplicate.pk}.json").json()[0]
    assert answer["status"] == "closed"
    assert f"Duplicate of #{original.pk}" in answer["status_notes"]


def test_ticket_page_banner_and_forms(world: dict[str, Any]) -> None:
    original, duplicate = _pair(world)
    agent = Client()
    agent.force_login(world["agent"])
    citizen = Client()
    citizen.force_login(world["owner"])

    page = citizen.get(f"/tickets/{duplicate.pk}/").content.decode()
    assert 'data-testid="merged-banner" hidden' in page  # ready for the live event
    assert 'data-testid="merge-form"' not in page
    page = agent.get(f"/tickets/{duplicate.pk}/").content.decode()
    assert 'data-testid="merge-form"' in page
    assert f'data-into="{original.pk}"' in page  # suggested: same type, nearby

    answer = agent.post(f"/tickets/{duplicate.pk}/merge/", {"into": f"#{original.pk}"})
    assert answer.status_code == 303
    assert Ticket.objects.get(pk=duplicate.pk).duplicate_of_id == original.pk
    page = citizen.get(f"/tickets/{duplicate.pk}/").content.decode()
    assert 'data-testid="merged-banner" hidden' not in page
    assert f'href="/tickets/{original.pk}/"' in page and original.title in page
    assert (
        'data-testid="merged-duplicates"'
        in citizen.get(f"/tickets/{original.pk}/").content.decode()
    )
    assert 'data-testid="unmerge-button"' in agent.get(f"/tickets/{duplicate.pk}/").content.decode()

    # A citizen's forged form post changes nothing.
    citizen.post(f"/tickets/{duplicate.pk}/unmerge/")
    assert Ticket.objects.get(pk=duplicate.pk).duplicate_of_id == original.pk
    assert agent.post(f"/tickets/{duplicate.pk}/unmerge/").status_code == 303
    assert Ticket.objects.get(pk=duplicate.pk).duplicate_of_id is None


# --- Concurrency (PostgreSQL) -------------------------------------------------------------------------

WRITERS = 8


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_merge_with_concurrent_comments_on_both_tickets_loses_nothing(
    world: dict[str, Any],
) -> None:
    original, duplicate = _pair(world)
    agent = world["agent"]  # not rate-limited: every comment must land
    barrier = threading.Barrier(2 * WRITERS + 2)
    errors: list[BaseException] = []

    def comment(ticket_id: int, i: int) -> None:
        try:
            barrier.wait(timeout=10)
            services.comment_create(
                actor=actor_for(agent), ticket_id=ticket_id, body=f"comment {ticket_id}/{i}"
            )
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    def merge_then_unmerge_then_merge() -> None:
        try:
            barrier.wait(timeout=10)
            actor = actor_for(agent)
            services.ticket_merge(actor=actor, ticket_id=duplicate.pk, into=original.pk)
            services.ticket_unmerge(actor=actor, ticket_id=duplicate.pk)
            services.ticket_merge(actor=actor, ticket_id=duplicate.pk, into=original.pk)
        except (Conflict, InvalidInput):
            pass  # the reverse merge won the race: refused cleanly, nothing half-done
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    def merge_the_other_way() -> None:
        # Locks taken in id order: a reverse merge racing the first never deadlocks; it
        # simply loses (409/400) or wins, cleanly.
        try:
            barrier.wait(timeout=10)
            services.ticket_merge(
                actor=actor_for(world["admin"]), ticket_id=original.pk, into=duplicate.pk
            )
        except (Conflict, InvalidInput):
            pass
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=merge_then_unmerge_then_merge)]
    threads.append(threading.Thread(target=merge_the_other_way))
    for i in range(WRITERS):
        threads.append(threading.Thread(target=comment, args=(duplicate.pk, i)))
        threads.append(threading.Thread(target=comment, args=(original.pk, i)))
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors, errors
    for ticket in (original, duplicate):
        ticket.refresh_from_db()
        seqs = list(
            TicketEvent.objects.filter(ticket=ticket).order_by("seq").values_list("seq", flat=True)
        )
        assert seqs == list(range(1, ticket.seq + 1)), seqs  # gap-free, no duplicates
        assert Comment.objects.filter(ticket=ticket).count() == WRITERS
        types = list(TicketEvent.objects.filter(ticket=ticket).values_list("type", flat=True))
        assert types.count(events.COMMENT_CREATED) == WRITERS
    # Either merge order may have won; exactly one ticket ends as the other's duplicate.
    merged = [t for t in (original, duplicate) if t.duplicate_of_id is not None]
    assert len(merged) == 1
