"""The write layer: routing, the status matrix cell by cell, the event log, reactions,
anonymous identities, rate limits and the never-delete rule."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection

from realtime import events
from tests.conftest import BOROUGH_POINT, CITY_POINT, OUTSIDE_POINT, UNIVERSITY_POINT, actor_for
from tickets import services
from tickets.errors import Conflict, InvalidInput, NotAllowed, RateLimited
from tickets.models import Comment, Identity, StatusChange, Ticket, TicketEvent

pytestmark = pytest.mark.django_db


# --- Routing ------------------------------------------------------------------------------


def test_ticket_in_borough_goes_to_the_borough_not_the_city(make_ticket: Any) -> None:
    assert make_ticket(**BOROUGH_POINT).jurisdiction.slug == "old-port"


def test_ticket_in_city_only_goes_to_the_city(make_ticket: Any) -> None:
    assert make_ticket(**CITY_POINT).jurisdiction.slug == "riverton"


def test_ticket_on_campus_goes_to_the_university(make_ticket: Any) -> None:
    ticket = make_ticket(service_code="campus-access", **UNIVERSITY_POINT)
    assert ticket.jurisdiction.slug == "riverton-university"


def test_point_outside_every_jurisdiction_is_refused_with_a_reason(make_ticket: Any) -> None:
    with pytest.raises(InvalidInput, match="outside every jurisdiction"):
        make_ticket(**OUTSIDE_POINT)
    assert Ticket.objects.count() == 0


def test_type_of_another_jurisdiction_is_not_offered_here(make_ticket: Any) -> None:
    # campus-access belongs to the university; the borough does not descend from it.
    with pytest.raises(InvalidInput) as err:
        make_ticket(service_code="campus-access", **BOROUGH_POINT)
    assert err.value.field == "service_code"


def test_city_type_is_offered_in_the_borough(make_ticket: Any) -> None:
    assert make_ticket(service_code="graffiti", **BOROUGH_POINT).service_type.code == "graffiti"


def test_inactive_type_is_refused(make_ticket: Any, world: dict[str, Any]) -> None:
    from tickets.models import ServiceType

    ServiceType.objects.filter(code="graffiti").update(active=False)
    with pytest.raises(InvalidInput, match="Unknown service code"):
        make_ticket(service_code="graffiti")


# --- Custom questions -----------------------------------------------------------------------


def test_required_question_must_be_answered(make_ticket: Any) -> None:
    with pytest.raises(InvalidInput) as err:
        make_ticket(service_code="pothole", answers={})
    assert err.value.field == "answers.depth"


def test_answers_are_checked_against_the_choices(make_ticket: Any) -> None:
    with pytest.raises(InvalidInput):
        make_ticket(service_code="pothole", answers={"depth": "bottomless"})
    with pytest.raises(InvalidInput):
        make_ticket(service_code="pothole", answers={"depth": "deep", "width_cm": "wide"})
    with pytest.raises(InvalidInput, match="Unknown question"):
        make_ticket(service_code="pothole", answers={"depth": "deep", "colour": "red"})


def test_valid_answers_are_kept_normalised(make_ticket: Any) -> None:
    ticket = make_ticket(
        service_code="pothole", answers={"depth": "deep", "lane": ["bike", "car"], "width_cm": "40"}
    )
    assert ticket.answers == {"depth": "deep", "lane": ["bike", "car"], "width_cm": 40}


# --- Status matrix, cell by cell ------------------------------------------------------------

ROLES = ["agent", "borough_agent", "other_agent", "admin", "reporter", "citizen", "anonymous"]
ACTIONS = ["acknowledge", "close", "reopen"]
STATUSES = ["open", "acknowledged", "closed"]
VALID = {
    ("acknowledge", "open"),
    ("close", "open"),
    ("close", "acknowledged"),
    ("reopen", "closed"),
}
# Who may use each action on a ticket of the Old Port borough (whatever its status).
MAY = {
    "acknowledge": {"agent", "borough_agent", "admin"},  # city agents act on descendants
    "close": {"agent", "borough_agent", "admin"},
    "reopen": {
        "agent",
        "borough_agent",
        "other_agent",
        "admin",
        "reporter",
        "citizen",
    },  # any account
}


def _actor(role: str, world: dict[str, Any], reporter_anon: str) -> Any:
    from django.contrib.auth import get_user_model

    if role == "other_agent":
        # An agent of the university only: no power over the borough.
        user, _ = get_user_model().objects.get_or_create(username="campus-agent")
        world["university"].agents.add(user)
        return actor_for(user)
    if role == "reporter":
        return actor_for(anon=reporter_anon)
    if role == "anonymous":
        return actor_for(anon="someone-else-entirely-000")
    if role == "borough_agent":
        return actor_for(world["borough-agent"])
    return actor_for(world[{"agent": "agent", "admin": "admin", "citizen": "outsider"}[role]])


def _ticket_in(status: str, world: dict[str, Any], reporter_anon: str) -> Ticket:
    ticket = services.ticket_create(
        actor=actor_for(anon=reporter_anon),
        title="Broken",
        service_code="snow",
        anonymous=True,
        **BOROUGH_POINT,
    )
    agent = actor_for(world["agent"])
    if status in ("acknowledged", "closed"):
        services.ticket_transition(actor=agent, ticket_id=ticket.pk, action="acknowledge")
    if status == "closed":
        services.ticket_transition(actor=agent, ticket_id=ticket.pk, action="close")
    return Ticket.objects.get(pk=ticket.pk)


@pytest.mark.parametrize("status", STATUSES)
@pytest.mark.parametrize("action", ACTIONS)
@pytest.mark.parametrize("role", ROLES)
def test_status_matrix(world: dict[str, Any], role: str, action: str, status: str) -> None:
    reporter = "the-anonymous-reporter-01"
    ticket = _ticket_in(status, world, reporter)
    actor = _actor(role, world, reporter)
    before_seq = ticket.seq
    note = "It is broken again"
    if role not in MAY[action]:
        with pytest.raises(NotAllowed):
            services.ticket_transition(actor=actor, ticket_id=ticket.pk, action=action, note=note)
    elif (action, status) not in VALID:
        with pytest.raises(Conflict):
            services.ticket_transition(actor=actor, ticket_id=ticket.pk, action=action, note=note)
    else:
        updated = services.ticket_transition(
            actor=actor, ticket_id=ticket.pk, action=action, note=note
        )
        assert updated.status == services.TRANSITIONS[action][1]
        change = StatusChange.objects.get(
            ticket=ticket, from_status=status, to_status=updated.status
        )
        assert change.note == note and change.actor == actor.identity()
        event = TicketEvent.objects.get(ticket=ticket, seq=before_seq + 1)
        assert event.type == events.TICKET_STATUS_CHANGED
        assert event.data["from"] == status and event.data["to"] == updated.status
        return
    assert Ticket.objects.get(pk=ticket.pk).status == status
    assert Ticket.objects.get(pk=ticket.pk).seq == before_seq


def test_reopen_needs_a_reason(world: dict[str, Any]) -> None:
    ticket = _ticket_in("closed", world, "the-anonymous-reporter-02")
    with pytest.raises(InvalidInput, match="why"):
        services.ticket_transition(
            actor=actor_for(world["owner"]), ticket_id=ticket.pk, action="reopen", note="  "
        )
    assert Ticket.objects.get(pk=ticket.pk).status == "closed"


def test_close_and_reopen_set_and_clear_closed_at(world: dict[str, Any]) -> None:
    ticket = _ticket_in("closed", world, "the-anonymous-reporter-03")
    assert ticket.closed_at is not None
    reopened = services.ticket_transition(
        actor=actor_for(world["owner"]), ticket_id=ticket.pk, action="reopen", note="Not fixed"
    )
    assert reopened.closed_at is None and reopened.status == "open"


def test_unknown_action_is_bad_input(world: dict[str, Any], make_ticket: Any) -> None:
    ticket = make_ticket()
    with pytest.raises(InvalidInput):
        services.ticket_transition(
            actor=actor_for(world["agent"]), ticket_id=ticket.pk, action="delete"
        )


# --- Event log ----------------------------------------------------------------------------------


def test_every_visible_change_appends_one_event_with_consecutive_seq(
    world: dict[str, Any], make_ticket: Any
) -> None:
    ticket = make_ticket()
    services.comment_create(
        actor=actor_for(anon="a-neighbour-token-0001"), ticket_id=ticket.pk, body="Me too"
    )
    services.ticket_transition(
        actor=actor_for(world["agent"]), ticket_id=ticket.pk, action="acknowledge"
    )
    services.ticket_update(
        actor=actor_for(world["agent"]), ticket_id=ticket.pk, title="Pothole, Harbour St"
    )
    rows = list(TicketEvent.objects.filter(ticket=ticket).order_by("seq"))
    assert [r.seq for r in rows] == [1, 2, 3, 4]
    assert [r.type for r in rows] == [
        events.TICKET_CREATED,
        events.COMMENT_CREATED,
        events.TICKET_STATUS_CHANGED,
        events.TICKET_UPDATED,
    ]
    assert Ticket.objects.get(pk=ticket.pk).seq == 4
    for row in rows:
        events.validate(
            events.envelope(type=row.type, ticket=ticket.pk, seq=row.seq, at=row.at, data=row.data)
        )


def test_event_payloads_hold_no_private_data(world: dict[str, Any], make_ticket: Any) -> None:
    ticket = make_ticket(contact_email="secret-reporter@example.org", contact_phone="+1 555 0100")
    services.comment_create(actor=actor_for(world["owner"]), ticket_id=ticket.pk, body="hello")
    dump = str(list(TicketEvent.objects.filter(ticket=ticket).values_list("data", flat=True)))
    assert "secret-reporter@example.org" not in dump
    assert "555 0100" not in dump
    assert "owner@example.org" not in dump
    assert "198.51.100.7" not in dump


def test_hiding_and_restoring_a_comment_are_events_and_nothing_is_deleted(make_ticket: Any) -> None:
    ticket = make_ticket()
    comment = services.comment_create(
        actor=actor_for(anon="a-neighbour-token-0002"), ticket_id=ticket.pk, body="spam spam"
    )
    services.comment_set_visibility(comment_id=comment.pk, visibility="hidden", reason="spam")
    services.comment_set_visibility(comment_id=comment.pk, visibility="visible", reason="mistake")
    types = list(
        TicketEvent.objects.filter(ticket=ticket).order_by("seq").values_list("type", "data")
    )
    assert types[-2] == (events.COMMENT_HIDDEN, {"id": comment.pk})
    assert types[-1][0] == events.COMMENT_RESTORED and types[-1][1]["body"] == "spam spam"
    assert Comment.objects.get(pk=comment.pk).body == "spam spam"


def test_nothing_can_delete_history(make_ticket: Any) -> None:
    ticket = make_ticket()
    comment = services.comment_create(
        actor=actor_for(anon="a-neighbour-token-0003"), ticket_id=ticket.pk, body="x"
    )
    for obj in (ticket, comment, TicketEvent.objects.filter(ticket=ticket).first()):
        with pytest.raises(PermissionError):
            obj.delete()
    for qs in (
        Ticket.objects.all(),
        Comment.objects.all(),
        TicketEvent.objects.all(),
        StatusChange.objects.all(),
    ):
        with pytest.raises(PermissionError):
            qs.delete()
    assert Ticket.objects.filter(pk=ticket.pk).exists()


# --- Comments -----------------------------------------------------------------------------------


def test_agent_comment_gets_the_official_badge_only_in_their_jurisdiction(
    world: dict[str, Any], make_ticket: Any
) -> None:
    borough_ticket = make_ticket()
    campus_ticket = make_ticket(service_code="campus-access", **UNIVERSITY_POINT)
    borough_agent = actor_for(world["borough-agent"])
    assert services.comment_create(
        actor=borough_agent, ticket_id=borough_ticket.pk, body="On it"
    ).official
    assert not services.comment_create(
        actor=borough_agent, ticket_id=campus_ticket.pk, body="Not mine"
    ).official
    assert not services.comment_create(
        actor=actor_for(world["owner"]), ticket_id=borough_ticket.pk, body="hi"
    ).official


def test_empty_or_huge_comment_is_refused(make_ticket: Any) -> None:
    ticket = make_ticket()
    with pytest.raises(InvalidInput):
        services.comment_create(
            actor=actor_for(anon="a-neighbour-token-0004"), ticket_id=ticket.pk, body="   "
        )
    with pytest.raises(InvalidInput, match="At most"):
        services.comment_create(
            actor=actor_for(anon="a-neighbour-token-0004"), ticket_id=ticket.pk, body="x" * 5001
        )


def test_event_premoderation_holds_anonymous_comments(
    world: dict[str, Any], make_ticket: Any
) -> None:
    from django.utils import timezone

    from tickets.models import EmergencyEvent

    EmergencyEvent.objects.create(
        name="Storm", slug="storm", starts_at=timezone.now(), premoderate_anonymous=True
    )
    ticket = make_ticket(event="storm")
    held = services.comment_create(
        actor=actor_for(anon="a-neighbour-token-0005"), ticket_id=ticket.pk, body="hello"
    )
    assert held.visibility == Comment.Visibility.HELD
    assert not TicketEvent.objects.filter(ticket=ticket, type=events.COMMENT_CREATED).exists()
    signed_in = services.comment_create(
        actor=actor_for(world["owner"]), ticket_id=ticket.pk, body="hi"
    )
    assert signed_in.visibility == Comment.Visibility.VISIBLE
    # Approving publishes it as a new comment.created event.
    services.comment_set_visibility(comment_id=held.pk, visibility="visible", reason="ok")
    assert TicketEvent.objects.filter(
        ticket=ticket, type=events.COMMENT_CREATED, data__id=held.pk
    ).exists()


# --- Follow, vote, thanks ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "field"), [("follow", "followers"), ("vote", "votes"), ("thanks", "thanks")]
)
def test_reactions_are_once_per_person(
    world: dict[str, Any], make_ticket: Any, kind: str, field: str
) -> None:
    ticket = make_ticket()
    base = getattr(ticket, field)
    owner, neighbour = actor_for(world["outsider"]), actor_for(anon="a-neighbour-token-0006")
    for _ in range(3):
        counts = services.ticket_react(actor=owner, ticket_id=ticket.pk, kind=kind)
    assert counts[field] == base + 1
    counts = services.ticket_react(actor=neighbour, ticket_id=ticket.pk, kind=kind)
    assert counts[field] == base + 2
    assert getattr(Ticket.objects.get(pk=ticket.pk), field) == base + 2


def test_reporter_follows_their_ticket_by_default(make_ticket: Any) -> None:
    ticket = make_ticket()
    assert ticket.followers == 1
    assert (
        services.ticket_unfollow(actor=actor_for(ticket.reporter.user), ticket_id=ticket.pk)[
            "followers"
        ]
        == 0
    )


# --- Identities ------------------------------------------------------------------------------------


def test_same_cookie_is_one_identity_and_another_cookie_is_another(make_ticket: Any) -> None:
    a = make_ticket(actor=actor_for(anon="cookie-token-aaaaaaaa"), anonymous=True)
    b = make_ticket(actor=actor_for(anon="cookie-token-aaaaaaaa", ip="203.0.113.9"), anonymous=True)
    c = make_ticket(actor=actor_for(anon="cookie-token-bbbbbbbb"), anonymous=True)
    assert a.reporter_id == b.reporter_id != c.reporter_id
    assert a.reporter.kind == Identity.Kind.ANONYMOUS


def test_raw_ip_is_never_stored(make_ticket: Any) -> None:
    make_ticket(actor=actor_for(ip="203.0.113.77"))
    make_ticket(actor=actor_for(anon=None, ip="203.0.113.78"))
    with connection.cursor() as cursor:
        for table in ("tickets_identity", "tickets_ticket", "tickets_ticketevent"):
            cursor.execute(f"SELECT * FROM {table}")  # noqa: S608 - fixed table names
            assert "203.0.113.7" not in str(cursor.fetchall())


def test_anonymous_ticket_shows_no_name(make_ticket: Any, world: dict[str, Any]) -> None:
    ticket = make_ticket(actor=actor_for(world["owner"]), anonymous=True, display_name="Olive")
    assert ticket.public_reporter == "Anonymous"
    named = make_ticket(actor=actor_for(world["owner"]))
    assert named.public_reporter == "Olive"


# --- Rate limits --------------------------------------------------------------------------------------


def test_anonymous_comments_are_limited_to_five_a_minute(make_ticket: Any) -> None:
    ticket = make_ticket()
    troll = actor_for(anon="troll-cookie-token-01")
    for i in range(5):
        services.comment_create(actor=troll, ticket_id=ticket.pk, body=f"comment {i}")
    with pytest.raises(RateLimited) as err:
        services.comment_create(actor=troll, ticket_id=ticket.pk, body="one too many")
    assert 1 <= err.value.retry_after <= 61
    # Someone else is not affected.
    services.comment_create(
        actor=actor_for(anon="a-different-person-01", ip="203.0.113.10"),
        ticket_id=ticket.pk,
        body="hi",
    )


def test_anonymous_tickets_are_limited_to_three_per_ten_minutes(make_ticket: Any) -> None:
    anon = actor_for(anon="eager-reporter-token-1")
    for _ in range(3):
        make_ticket(actor=anon, anonymous=True)
    with pytest.raises(RateLimited) as err:
        make_ticket(actor=anon, anonymous=True)
    assert err.value.retry_after <= 600


def test_agents_are_not_throttled(world: dict[str, Any], make_ticket: Any) -> None:
    ticket = make_ticket()
    agent = actor_for(world["agent"])
    for i in range(30):
        services.comment_create(actor=agent, ticket_id=ticket.pk, body=f"update {i}")
    assert Comment.objects.filter(ticket=ticket).count() == 30


def test_slow_mode_allows_one_comment_per_interval(world: dict[str, Any], make_ticket: Any) -> None:
    from django.utils import timezone

    from tickets.models import EmergencyEvent

    EmergencyEvent.objects.create(
        name="Storm", slug="storm", starts_at=timezone.now(), slow_mode_seconds=30
    )
    ticket = make_ticket(event="storm")
    neighbour = actor_for(world["outsider"])
    services.comment_create(actor=neighbour, ticket_id=ticket.pk, body="first")
    with pytest.raises(RateLimited, match="Slow mode"):
        services.comment_create(actor=neighbour, ticket_id=ticket.pk, body="second")
