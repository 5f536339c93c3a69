"""The event page's live offers and activity feed: an offer of an emergency that changed is
told to the event's feed group (`event.offer`, public data only) after commit. Called by the
write layer inside the transaction that changed the offer (`offers._offer_events`)."""

from __future__ import annotations

from django.db import transaction

from moderation import event_hub
from moderation.models import Offer
from realtime import events, publish
from tickets.models import Ticket


def offer_changed(offer: Offer) -> None:
    """Nothing for a held offer (it writes nothing public until accepted, which releases
    it) or one on a taken-down ticket; never its contact, message or author."""
    emergency = event_hub.event_of(offer)
    if emergency is None or offer.held:
        return
    if offer.ticket is not None and offer.ticket.visibility == Ticket.Visibility.HIDDEN:
        return
    message = events.envelope(
        type=events.EVENT_OFFER,
        ticket=None,
        data=event_hub.offer_public(offer, emergency.slug),
        at=offer.updated_at,
    )
    groups = [publish.feed_group(event=emergency.slug)]
    transaction.on_commit(lambda: publish.send_to_groups(groups, message))
