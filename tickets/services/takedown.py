"""Ticket takedown: a moderator hides a ticket (someone's phone number in its description, an
abusive title) or brings it back. Nothing is deleted: a hidden ticket stays readable by its
reporter and its moderators, and leaves every public surface (`Ticket.objects.public()`).

Moderation audits every change without `tickets` importing it: it registers a visibility
listener, called inside the writing transaction with who, why, and the state before."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from realtime import events
from tickets import permissions
from tickets.errors import Conflict, InvalidInput, NotAllowed, NotFound
from tickets.identity import Actor
from tickets.models import Ticket
from tickets.services.eventlog import _append_event, _lock_ticket

REASON_MAX = 1000


@dataclass(frozen=True)
class VisibilityChange:
    """What a visibility listener is told (inside the transaction)."""

    ticket: Ticket
    actor: Actor
    before: str
    after: str
    reason: str


VisibilityListener = Callable[[VisibilityChange], None]
_visibility_listeners: list[VisibilityListener] = []


def register_ticket_visibility_listener(listener: VisibilityListener) -> None:
    if listener not in _visibility_listeners:
        _visibility_listeners.append(listener)


def can_take_down(user: object, ticket: Ticket) -> bool:
    """The ticket's moderators: agents of its jurisdiction (and ancestors), trusted
    volunteers, admins — those who may hide its comments."""
    return permissions.is_moderator_for(user, ticket.jurisdiction_id)


def require_visible_to(actor: Actor, ticket: Ticket) -> None:
    """A taken-down ticket takes writes (comments, votes, status changes) only from its
    reporter and its moderators; to anyone else it does not exist (404, as its page)."""
    if ticket.visibility == Ticket.Visibility.VISIBLE:
        return
    if permissions.is_moderator_for(actor.user, ticket.jurisdiction_id):
        return
    if not actor.known_by_address and actor.identity().pk == ticket.reporter_id:
        return
    raise NotFound(_("No such ticket."))


def require_some_moderator(actor: Actor) -> None:
    """403 for anyone who moderates nowhere, before their input or the ticket is looked at."""
    if not permissions.is_moderator(actor.user):
        raise NotAllowed(_("Only this area's agents, trusted volunteers and admins can do this."))


def ticket_set_visibility(*, actor: Actor, ticket_id: int, visibility: str, reason: str) -> Ticket:
    """Hide ("hidden") or restore ("visible") a ticket, with a reason. 403 for anyone but its
    moderators (before any 404 or 409 could tell them more), 409 when nothing changes."""
    if visibility not in Ticket.Visibility.values:
        raise InvalidInput(_("Visibility must be visible or hidden."), field="visibility")
    reason = (reason or "").strip()
    require_some_moderator(actor)  # before the lookup: no 404 tells whether it exists
    with transaction.atomic():
        ticket = _lock_ticket(ticket_id)
        if not can_take_down(actor.user, ticket):
            raise NotAllowed(
                _("Only this area's agents, trusted volunteers and admins can do this.")
            )
        if not reason:
            raise InvalidInput(_("This field is required."), field="reason")
        if len(reason) > REASON_MAX:
            raise InvalidInput(_("At most %(n)s characters.") % {"n": REASON_MAX}, field="reason")
        before = ticket.visibility
        if before == visibility:
            raise Conflict(
                _("This ticket is already hidden.")
                if visibility == Ticket.Visibility.HIDDEN
                else _("This ticket is already visible.")
            )
        now = timezone.now()
        ticket.visibility = visibility
        ticket.moderation_reason = reason[:300]
        ticket.save(update_fields=["visibility", "moderation_reason"])
        kind = (
            events.TICKET_HIDDEN
            if visibility == Ticket.Visibility.HIDDEN
            else events.TICKET_RESTORED
        )
        _append_event(
            ticket,
            kind,
            {"id": ticket.pk, "visibility": visibility},
            at=now,
            actor=actor.identity(),
        )
        change = VisibilityChange(
            ticket=ticket, actor=actor, before=before, after=visibility, reason=reason
        )
        for listener in _visibility_listeners:
            listener(change)
    return ticket
