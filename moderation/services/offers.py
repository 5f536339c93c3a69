"""Volunteer offers: anyone offers help on a ticket or an emergency; those handling offers
review them; their author may withdraw them."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from moderation import feed, selectors
from moderation.models import OFFERED_HELP, Offer
from moderation.services import audit, event_feed
from moderation.services._common import lock_offer, rate_limit
from moderation.services.handled import DONE, OFFER_OUTCOMES, already_handled
from moderation.services.sanctions import posting_policy
from realtime import events
from tickets import services as ticket_services
from tickets.errors import Conflict, InvalidInput, NotAllowed, NotFound
from tickets.identity import Actor
from tickets.models import EmergencyEvent, Ticket

MESSAGE_MAX = 2000  # an offer's message, and a reviewer's note
CONTACT_MAX = 300
DETAIL_MAX = 300  # skills, availability, area


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
    event_feed.offer_changed(offer)  # the event page's offers and activity feed


def offer_create(
    *,
    actor: Actor,
    message: str,
    contact: str,
    ticket_id: int | None = None,
    emergency_slug: str | None = None,
    skills: str = "",
    availability: str = "",
    area: str = "",
) -> Offer:
    """Anyone offers help on a ticket or an emergency (by its slug). Held (not public until
    accepted) when the emergency pre-moderates anonymous posts, or when its author is
    shadow-banned. The edges check the text fields (the `*_MAX` above)."""
    ticket = None
    if ticket_id is not None:
        ticket = Ticket.objects.select_related("event", "jurisdiction").filter(pk=ticket_id).first()
        if ticket is None:
            raise NotFound(_("No such ticket."))
    emergency = None
    if emergency_slug:
        emergency = EmergencyEvent.objects.filter(slug=emergency_slug).first()
        if emergency is None:
            raise NotFound(_("No such event."))
    elif ticket is not None and ticket.event_id:
        emergency = ticket.event
    if ticket is None and emergency is None:
        raise InvalidInput(_("An offer is made on a ticket or an event."), field="ticket")
    identity = actor.identity()
    decision = posting_policy(actor=actor, identity=identity, ticket=ticket, kind="offer")
    rate_limit(actor, "offer")
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
        audit.record(
            actor=actor,
            action="offer.create",
            target_type="offer",
            target_id=offer.pk,
            reason=OFFERED_HELP,
            after=_offer_snapshot(offer),
            ticket=ticket,
            announce=False,
        )
        _offer_events(offer, created=True)
    return offer


DECISION_MESSAGE = gettext_noop("Decision must be accept, decline or complete.")
OFFER_DECISIONS: dict[str, tuple[frozenset[str], str]] = {
    "accept": (frozenset({Offer.Status.PENDING}), Offer.Status.ACCEPTED),
    "decline": (frozenset({Offer.Status.PENDING, Offer.Status.ACCEPTED}), Offer.Status.DECLINED),
    "complete": (frozenset({Offer.Status.ACCEPTED}), Offer.Status.COMPLETED),
}


def _too_late(offer: Offer, decision: str) -> Conflict:
    """A late or impossible decision: who decided first ("Already handled by Ana:
    accepted."), or why it cannot be done, in words."""
    if selectors.last_action_on("offer", offer.pk, OFFER_OUTCOMES) is not None:
        return already_handled("offer", offer.pk, OFFER_OUTCOMES)
    return Conflict(
        _("This offer is %(status)s: it cannot be %(done)s now.")
        % {"status": offer.get_status_display().lower(), "done": _(DONE[f"offer.{decision}"])}
    )


def offer_review(
    *, actor: Actor, offer_id: int, decision: str, note: str = "", expect: str = ""
) -> Offer:
    """accept (pending → accepted), decline (pending → declined, or accepted → declined when
    the caller `expect`s it accepted), complete (accepted → completed), by the agents and
    volunteers handling offers. `expect` is the status the caller's screen shows: when the
    offer moved on meanwhile, a Conflict says who handled it (a late click never gives a
    second outcome)."""
    if decision not in OFFER_DECISIONS:
        raise InvalidInput(_(DECISION_MESSAGE), field="decision")
    if expect and expect not in Offer.Status.values:
        raise InvalidInput(_("Unknown offer status."), field="expect")
    sources, target = OFFER_DECISIONS[decision]
    with transaction.atomic():
        offer = lock_offer(offer_id)
        if not selectors.can_handle_offer(actor.user, offer):
            raise NotAllowed(_("Only the agents and volunteers handling offers can review them."))
        if (expect and offer.status != expect) or offer.status not in sources:
            raise _too_late(offer, decision)
        if decision == "decline" and offer.status == Offer.Status.ACCEPTED and not expect:
            # Declining an accepted offer is deliberate only from a screen that shows it
            # accepted; a click on a pending offer that someone accepted meanwhile is late.
            raise _too_late(offer, decision)
        before = _offer_snapshot(offer)
        offer.status = target
        if target == Offer.Status.ACCEPTED:
            offer.held = False  # accepting releases an offer held for review
        offer.note = note
        offer.updated_at = timezone.now()
        offer.save(update_fields=["status", "held", "note", "updated_at"])
        audit.record(
            actor=actor,
            action=f"offer.{decision}",
            target_type="offer",
            target_id=offer.pk,
            reason=note,
            before=before,
            after=_offer_snapshot(offer),
            ticket=offer.ticket,
        )
        _offer_events(offer, created=False)
    return offer


def offer_withdraw(*, actor: Actor, offer_id: int, reason: str = "") -> Offer:
    """Its author withdraws a pending or accepted offer."""
    with transaction.atomic():
        offer = lock_offer(offer_id)
        if offer.author_id != actor.identity().pk or actor.known_by_address:
            raise NotAllowed(_("Only the person who offered can withdraw an offer."))
        if offer.status not in (Offer.Status.PENDING, Offer.Status.ACCEPTED):
            raise Conflict(_("This offer can no longer be withdrawn."))
        before = _offer_snapshot(offer)
        offer.status = Offer.Status.WITHDRAWN
        offer.updated_at = timezone.now()
        offer.save(update_fields=["status", "updated_at"])
        audit.record(
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
