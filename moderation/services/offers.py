"""Volunteer offers: anyone offers help on a ticket or an emergency; those handling offers
review them; their author may withdraw them."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from moderation import feed, selectors
from moderation.models import Offer
from moderation.services._common import REASON_MAX, _hit
from moderation.services.audit import _audit
from moderation.services.sanctions import posting_policy
from realtime import events
from tickets import services as ticket_services
from tickets.errors import Conflict, InvalidInput, NotAllowed, NotFound
from tickets.identity import Actor
from tickets.models import EmergencyEvent, Ticket


def _offer_snapshot(offer: Offer) -> dict[str, Any]:
    """For the audit log: the state and the public text, never the contact."""
    return {
        "status": offer.status,
        "held": offer.held,
        "message": offer.message,
        "skills": offer.skills,
        "availability": offer.availability,
        "note": offer.note,
    }


def _offer_events(offer: Offer, *, created: bool) -> None:
    """The public durable event on the ticket's log (no contact, no identity) and the
    private copy for the moderation feed (with the contact)."""
    if offer.ticket_id and not offer.held:
        kind = events.OFFER_UPDATED if offer.published else events.OFFER_CREATED
        ticket_services.ticket_record_event(
            ticket_id=offer.ticket_id, type=kind, data=selectors.offer_public(offer)
        )
        if not offer.published:
            offer.published = True
            Offer.objects.filter(pk=offer.pk).update(published=True)
    feed.send(
        feed.OFFER_CREATED if created else feed.OFFER_UPDATED,
        ticket=offer.ticket_id,
        data=selectors.offer_private(offer),
        at=offer.updated_at,
    )


def offer_create(
    *,
    actor: Actor,
    message: Any,
    contact: Any,
    ticket_id: Any = None,
    emergency_slug: Any = None,
    skills: Any = "",
    availability: Any = "",
    area: Any = "",
) -> Offer:
    """Anyone offers help on a ticket or an event. Held (not public until accepted) when
    the event pre-moderates anonymous posts, or when its author is shadow-banned."""
    message = ticket_services.clean_text(message, field="message", max_length=2000)
    contact = ticket_services.clean_text(contact, field="contact", max_length=300)
    skills = ticket_services.clean_text(skills, field="skills", max_length=300, required=False)
    availability = ticket_services.clean_text(
        availability, field="availability", max_length=300, required=False
    )
    area = ticket_services.clean_text(area, field="area", max_length=300, required=False)
    ticket = None
    if ticket_id is not None:
        ticket = Ticket.objects.select_related("event", "jurisdiction").filter(pk=ticket_id).first()
        if ticket is None:
            raise NotFound(_("No such ticket."))
    emergency = None
    if emergency_slug not in (None, ""):
        emergency = EmergencyEvent.objects.filter(slug=str(emergency_slug)).first()
        if emergency is None:
            raise NotFound(_("No such event."))
    elif ticket is not None and ticket.event_id:
        emergency = ticket.event
    if ticket is None and emergency is None:
        raise InvalidInput(_("An offer is made on a ticket or an event."), field="ticket")
    identity = actor.identity()
    decision = posting_policy(actor=actor, identity=identity, ticket=ticket, kind="offer")
    _hit(actor, "offer")
    held = bool(decision and decision.shadow)
    if emergency and emergency.is_active() and emergency.premoderate_anonymous:
        held = held or not actor.is_authenticated
    now = timezone.now()
    with transaction.atomic():
        if ticket is not None:
            Ticket.objects.select_for_update(no_key=True).get(pk=ticket.pk)
        offer = Offer.objects.create(
            ticket=ticket,
            event=emergency,
            author=identity,
            message=message,
            skills=skills,
            availability=availability,
            area=area,
            contact=contact,
            held=held,
            created_at=now,
            updated_at=now,
        )
        _audit(
            actor=actor,
            action="offer.create",
            target_type="offer",
            target_id=offer.pk,
            reason=_("offered help"),
            after=_offer_snapshot(offer),
            ticket=ticket,
            announce=False,
        )
        _offer_events(offer, created=True)
    return offer


OFFER_DECISIONS: dict[str, tuple[frozenset[str], str]] = {
    "accept": (frozenset({Offer.Status.PENDING}), Offer.Status.ACCEPTED),
    "decline": (frozenset({Offer.Status.PENDING, Offer.Status.ACCEPTED}), Offer.Status.DECLINED),
    "complete": (frozenset({Offer.Status.ACCEPTED}), Offer.Status.COMPLETED),
}


def _lock_offer(offer_id: Any) -> Offer:
    try:
        ticket_id = Offer.objects.values_list("ticket_id", flat=True).get(pk=int(offer_id))
    except (Offer.DoesNotExist, ValueError, TypeError, OverflowError):
        raise NotFound(_("No such offer.")) from None
    if ticket_id is not None:
        Ticket.objects.select_for_update(no_key=True).get(pk=ticket_id)
    return (
        Offer.objects.select_for_update(of=("self",))
        .select_related("ticket", "ticket__jurisdiction", "event", "author")
        .get(pk=offer_id)
    )


def offer_review(*, actor: Actor, offer_id: Any, decision: Any, note: Any = "") -> Offer:
    """accept (pending → accepted), decline (pending/accepted → declined), complete
    (accepted → completed), by the agents and volunteers handling offers."""
    if decision not in OFFER_DECISIONS:
        raise InvalidInput(_("Decision must be accept, decline or complete."), field="decision")
    note = ticket_services.clean_text(note, field="note", max_length=2000, required=False)
    sources, target = OFFER_DECISIONS[decision]
    with transaction.atomic():
        offer = _lock_offer(offer_id)
        if not selectors.can_handle_offer(actor.user, offer):
            raise NotAllowed(_("Only the agents and volunteers handling offers can review them."))
        if offer.status not in sources:
            raise Conflict(
                _("This offer is %(status)s: “%(decision)s” is not possible now.")
                % {"status": offer.get_status_display(), "decision": decision}
            )
        before = _offer_snapshot(offer)
        offer.status = target
        if target == Offer.Status.ACCEPTED:
            offer.held = False  # accepting releases an offer held for review
        offer.note = note
        offer.updated_at = timezone.now()
        offer.save(update_fields=["status", "held", "note", "updated_at"])
        _audit(
            actor=actor,
            action=f"offer.{decision}",
            target_type="offer",
            target_id=offer.pk,
            reason=note or decision,
            before=before,
            after=_offer_snapshot(offer),
            ticket=offer.ticket,
        )
        _offer_events(offer, created=False)
    return offer


def offer_withdraw(*, actor: Actor, offer_id: Any, reason: Any = "") -> Offer:
    """Its author withdraws a pending or accepted offer."""
    reason = ticket_services.clean_text(
        reason, field="reason", max_length=REASON_MAX, required=False
    )
    with transaction.atomic():
        offer = _lock_offer(offer_id)
        if offer.author_id != actor.identity().pk:
            raise NotAllowed(_("Only the person who offered can withdraw an offer."))
        if offer.status not in (Offer.Status.PENDING, Offer.Status.ACCEPTED):
            raise Conflict(_("This offer can no longer be withdrawn."))
        before = _offer_snapshot(offer)
        offer.status = Offer.Status.WITHDRAWN
        offer.updated_at = timezone.now()
        offer.save(update_fields=["status", "updated_at"])
        _audit(
            actor=actor,
            action="offer.withdraw",
            target_type="offer",
            target_id=offer.pk,
            reason=reason or _("withdrawn by its author"),
            before=before,
            after=_offer_snapshot(offer),
            ticket=offer.ticket,
        )
        _offer_events(offer, created=False)
    return offer
