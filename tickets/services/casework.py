"""Casework: assignment, internal notes, priority and due dates, edit and reroute.

Staff-only happenings (assignment, notes, priority and due date, the dashboards' reroute
notice) are written with a `CaseworkEvent` row in the change's transaction and sent after
commit to the ticket's staff group and its agents' moderation group (`publish.staff_on_commit`):
they never take a public `seq`. Edits the public sees (title, description, type, location,
jurisdiction) are one durable `ticket.updated` event, as every public change is. Permission
first (403), then input (400 naming the field)."""

from __future__ import annotations

from datetime import datetime, timedelta
from types import EllipsisType
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from realtime import events, publish
from tickets import geo, permissions
from tickets.errors import InvalidInput, NotAllowed
from tickets.identity import Actor
from tickets.models import (
    CaseworkEvent,
    CaseworkNote,
    Jurisdiction,
    Priority,
    ServiceType,
    Team,
    Ticket,
)
from tickets.public import render_body
from tickets.services.eventlog import _append_event, _lock_ticket
from tickets.services.routing import route
from tickets.services.validation import (
    DESCRIPTION_MAX,
    TITLE_MAX,
    check_coordinate,
    clean_text,
)

NOTE_BODY_MAX = 5000


def casework_defaults(service_type: ServiceType, *, at: datetime) -> dict[str, Any]:
    """Priority and due date a new ticket of this type starts with."""
    hours = service_type.default_due_hours
    return {
        "priority": service_type.default_priority,
        "due_at": at + timedelta(hours=hours) if hours else None,
    }


def is_overdue(ticket: Ticket, *, now: datetime | None = None) -> bool:
    """Past its due date and not closed."""
    return (
        ticket.due_at is not None
        and ticket.status != Ticket.Status.CLOSED
        and ticket.due_at < (now or timezone.now())
    )


def _staff_ticket(actor: Actor, ticket_id: int) -> Ticket:
    """The locked ticket, once the actor is known to be staff of its jurisdiction."""
    ticket = _lock_ticket(ticket_id)
    if not permissions.can_do_casework(actor.user, ticket):
        raise NotAllowed(_("Only staff of the ticket's jurisdiction can do this."))
    return ticket


def _actor_name(actor: Actor) -> str:
    return actor.display_name or (actor.account.get_username() if actor.account else "")


def _staff_event(
    ticket: Ticket,
    type: str,
    data: dict[str, Any],
    *,
    actor: Actor,
    at: datetime,
    jurisdiction_ids: list[int] | None = None,
) -> CaseworkEvent:
    """Log a staff-only happening and send it to staff after commit."""
    row = CaseworkEvent.objects.create(
        ticket=ticket, type=type, data=data, actor=actor.account, at=at
    )
    message = events.envelope(type=type, ticket=ticket.pk, at=at, data=data)
    publish.staff_on_commit(message, jurisdiction_ids=jurisdiction_ids or [ticket.jurisdiction_id])
    return row


# --- Assignment --------------------------------------------------------------------------------


def ticket_assign(
    *, actor: Actor, ticket_id: int, assignee: str | None = None, team: str | None = None
) -> Ticket:
    """Assign to an agent (username) and/or a team (slug) of the ticket's jurisdiction;
    neither unassigns it."""
    with transaction.atomic():
        ticket = _staff_ticket(actor, ticket_id)
        user = None
        if assignee:
            user = get_user_model().objects.filter(username=assignee).first()
            if user is None or not permissions.is_assignable(user, ticket):
                raise InvalidInput(
                    _("“%(name)s” is not an agent of this ticket's jurisdiction.")
                    % {"name": assignee[:150]},
                    field="assignee",
                )
        found_team = None
        if team:
            found_team = Team.objects.filter(
                slug=team, jurisdiction_id__in=ticket.jurisdiction.ancestor_ids()
            ).first()
            if found_team is None:
                raise InvalidInput(
                    _("“%(slug)s” is not a team of this ticket's jurisdiction.")
                    % {"slug": team[:80]},
                    field="team",
                )
        if ticket.assignee_id == (user.pk if user else None) and ticket.team_id == (
            found_team.pk if found_team else None
        ):
            return ticket
        ticket.assignee = user
        ticket.team = found_team
        ticket.save(update_fields=["assignee", "team"])
        data: events.TicketAssigned = {
            "assignee": user.get_username() if user else None,
            "assignee_name": (user.get_full_name() or user.get_username()) if user else None,
            "team": found_team.slug if found_team else None,
            "team_name": found_team.name if found_team else None,
            "by": _actor_name(actor),
        }
        _staff_event(ticket, events.TICKET_ASSIGNED, dict(data), actor=actor, at=timezone.now())
    return ticket


# --- Internal notes ----------------------------------------------------------------------------


def note_data(note: CaseworkNote) -> events.NoteData:
    return {
        "id": note.pk,
        "ticket": note.ticket_id,
        "body": note.body,
        "body_html": render_body(note.body),
        "author": note.author_name,
        "created_at": events.iso(note.created_at),
    }


def note_create(*, actor: Actor, ticket_id: int, body: str) -> CaseworkNote:
    """An internal note: staff of the ticket's jurisdiction only, never public."""
    with transaction.atomic():
        ticket = _staff_ticket(actor, ticket_id)
        body = clean_text(body, field="body", max_length=NOTE_BODY_MAX)
        now = timezone.now()
        note = CaseworkNote.objects.create(
            ticket=ticket,
            author=actor.account,
            author_name=_actor_name(actor),
            body=body,
            created_at=now,
        )
        _staff_event(ticket, events.NOTE_CREATED, dict(note_data(note)), actor=actor, at=now)
    return note


def notes_for(*, actor: Actor, ticket: Ticket) -> list[CaseworkNote]:
    """The ticket's internal notes, oldest first, for its staff only."""
    if not permissions.can_do_casework(actor.user, ticket):
        raise NotAllowed(_("Only staff of the ticket's jurisdiction can do this."))
    return list(ticket.notes.order_by("created_at", "id"))


# --- Edit, priority, reroute -------------------------------------------------------------------


def _new_place(
    ticket: Ticket, *, lat: float, long: float, jurisdiction: str | None
) -> Jurisdiction:
    """Where the ticket belongs now: the named jurisdiction (its area must hold the point),
    else its own while the point stays inside it, else the one routing finds."""
    if jurisdiction:
        chosen = Jurisdiction.objects.filter(slug=jurisdiction).first()
        if chosen is None:
            raise InvalidInput(_("Unknown jurisdiction."), field="jurisdiction")
        if not geo.contains(chosen.boundary, lat=lat, long=long):
            raise InvalidInput(
                _("The location is outside %(place)s.") % {"place": chosen.name},
                field="jurisdiction",
            )
        return chosen
    if geo.contains(ticket.jurisdiction.boundary, lat=lat, long=long):
        return ticket.jurisdiction
    return route(lat=lat, long=long)


def ticket_edit(
    *,
    actor: Actor,
    ticket_id: int,
    title: str | None = None,
    description: str | None = None,
    service_code: str | None = None,
    lat: float | None = None,
    long: float | None = None,
    jurisdiction: str | None = None,
    priority: str | None = None,
    due_at: datetime | None | EllipsisType = ...,
) -> Ticket:
    """Staff correct a ticket. Public fields change in one `ticket.updated` event; a location
    outside the jurisdiction (or another jurisdiction named) reroutes it: assignment is
    cleared, the audit and the new jurisdiction's agents hear of it through the event's
    listeners. Priority and due date (`None` clears it, `...` leaves it) are staff-only."""
    with transaction.atomic():
        ticket = _staff_ticket(actor, ticket_id)
        changed: dict[str, Any] = {}
        if title is not None:
            changed["title"] = clean_text(title, field="title", max_length=TITLE_MAX)
        if description is not None:
            changed["description"] = clean_text(
                description, field="description", max_length=DESCRIPTION_MAX, required=False
            )
        new_lat = ticket.lat if lat is None else check_coordinate(lat, field="lat", bound=90)
        new_long = ticket.long if long is None else check_coordinate(long, field="long", bound=180)
        place = ticket.jurisdiction
        if (new_lat, new_long) != (ticket.lat, ticket.long) or jurisdiction:
            place = _new_place(ticket, lat=new_lat, long=new_long, jurisdiction=jurisdiction)
            if new_lat != ticket.lat:
                changed["lat"] = new_lat
            if new_long != ticket.long:
                changed["long"] = new_long
        stype = ticket.service_type
        if service_code is not None and service_code != stype.code:
            found = ServiceType.objects.filter(code=service_code, active=True).first()
            if found is None:
                raise InvalidInput(_("Unknown service code."), field="service_code")
            stype = found
            changed["service_code"] = stype.code
        if stype.jurisdiction_id not in place.ancestor_ids():
            raise InvalidInput(
                _("“%(type)s” is not offered at this location (%(place)s).")
                % {"type": stype.local_name, "place": place.name},
                field="service_code",
            )
        if priority is not None and priority not in Priority.values:
            raise InvalidInput(
                _("Priority must be one of: %(values)s.") % {"values": ", ".join(Priority.values)},
                field="priority",
            )
        previous = ticket.jurisdiction
        rerouted = place.pk != previous.pk
        if rerouted:
            changed["jurisdiction"] = place.slug
        now = timezone.now()
        for name in ("title", "description", "lat", "long"):
            if name in changed:
                setattr(ticket, name, changed[name])
        ticket.service_type = stype
        ticket.jurisdiction = place
        staff_changed = False
        if priority is not None and priority != ticket.priority:
            ticket.priority, staff_changed = priority, True
        if not isinstance(due_at, EllipsisType) and due_at != ticket.due_at:
            ticket.due_at, staff_changed = due_at, True
        if rerouted and (ticket.assignee_id or ticket.team_id):
            # The old jurisdiction's people and teams do not work on the new one's tickets.
            ticket.assignee = ticket.team = None
            _staff_event(
                ticket,
                events.TICKET_ASSIGNED,
                {"assignee": None, "assignee_name": None, "team": None, "team_name": None,
                 "by": _actor_name(actor)},
                actor=actor, at=now, jurisdiction_ids=[previous.pk, place.pk],
            )  # fmt: skip
        ticket.save(
            update_fields=[
                "title", "description", "lat", "long", "service_type", "jurisdiction",
                "priority", "due_at", "assignee", "team",
            ]
        )  # fmt: skip
        if staff_changed:
            priority_data: events.TicketPriorityChanged = {
                "priority": ticket.priority,
                "due_at": events.iso(ticket.due_at) if ticket.due_at else None,
                "overdue": is_overdue(ticket, now=now),
                "by": _actor_name(actor),
            }
            _staff_event(
                ticket, events.TICKET_PRIORITY_CHANGED, dict(priority_data), actor=actor, at=now
            )
        if changed:
            _append_event(
                ticket,
                events.TICKET_UPDATED,
                {
                    "changed": sorted(changed),
                    **changed,
                    **({"previous_jurisdiction": previous.slug} if rerouted else {}),
                },
                at=now,
                actor=actor.identity(),
            )
        if rerouted:
            rerouted_data: events.TicketRerouted = {
                "jurisdiction": place.slug,
                "previous_jurisdiction": previous.slug,
                "title": ticket.title,
                "by": _actor_name(actor),
            }
            _staff_event(
                ticket,
                events.TICKET_REROUTED,
                dict(rerouted_data),
                actor=actor,
                at=now,
                jurisdiction_ids=[previous.pk, place.pk],
            )
    return ticket
