"""Template pieces moderation lends to other pages (tickets know nothing of moderation)."""

from __future__ import annotations

from typing import Any

from django import template
from django.conf import settings

from moderation import permissions, selectors, sentences
from moderation.event_forms import EventForm
from moderation.forms import OFFER_RESULT
from moderation.models import Flag
from tickets.models import EmergencyEvent
from tickets.views import maps

register = template.Library()


@register.inclusion_tag("moderation/_ticket_offers.html", takes_context=True)
def ticket_offers(context: dict[str, Any], ticket: Any) -> dict[str, Any]:
    """Accepted offers as "a neighbour is helping" (no identity), each with a flag form, the
    offer-help form, and the outcome of the visitor's last offer (shown once, where the
    redirect lands: `moderation.views.ticket_offer`)."""
    request = context.get("request")
    result = None
    # Only a visitor with a session can have sent an offer: the others' (cacheable) page
    # does not touch the session at all.
    if request is not None and settings.SESSION_COOKIE_NAME in request.COOKIES:
        result = request.session.pop(OFFER_RESULT, None)
    offers = list(selectors.public_offers(ticket))
    return {
        "ticket": ticket,
        "helping": len(offers),
        "public_offers": offers,
        "flag_reasons": Flag.Reason.choices,
        "offer_result": result,
        "csrf_token": context.get("csrf_token"),
        "request": context.get("request"),
    }


@register.filter
def is_moderator(user: Any) -> bool:
    return permissions.is_moderator(user)


@register.filter
def audit_sentence(entry: Any) -> str:
    """An audit entry as a readable line (moderation.sentences)."""
    return sentences.describe(
        action=entry.action,
        target_type=entry.target_type,
        target_id=entry.target_id,
        by=entry.actor_name,
        ticket=entry.ticket_id_ref,
        reason=entry.reason,
    )


@register.filter
def flag_summary(flags: Any) -> list[tuple[str, int]]:
    """Open flags counted by reason, most frequent first: [("Spam", 2), …]."""
    counts: dict[str, int] = {}
    for flag in flags:
        label = str(flag.get_reason_display())
        counts[label] = counts.get(label, 0) + 1
    return sorted(counts.items(), key=lambda kv: -kv[1])


# --- Emergencies: the console's event form and a ticket's latest announcement ----------------


@register.simple_tag(takes_context=True)
def blank_event_form(context: dict[str, Any]) -> Any:
    """A fresh event form for the console (`_event_form.html` included without one)."""
    request = context.get("request")
    return EventForm(user=getattr(request, "user", None))


@register.simple_tag
def event_map_data() -> dict[str, Any]:
    """Tiles and jurisdiction outlines for the event form's drawing map."""
    return maps.leaflet_data([])


@register.simple_tag
def latest_announcement(ticket: Any) -> Any:
    """The newest visible announcement of the ticket's emergency, or None."""
    return selectors.latest_announcement(getattr(ticket, "event_id", None))


@register.simple_tag
def event_announcements(slug: str, limit: int = 3) -> list[Any]:
    """The newest visible announcements of an event (the widget shows them); [] if unknown."""
    emergency = EmergencyEvent.objects.filter(slug=slug).first()
    return list(selectors.announcements(emergency)[:limit]) if emergency else []


@register.simple_tag
def flag_reasons() -> list[tuple[str, str]]:
    """The flag reasons the API accepts, with their translated labels (the ticket page's
    flag form)."""
    return [(value, str(label)) for value, label in Flag.Reason.choices if value]
