"""Template pieces moderation lends to other pages (tickets know nothing of moderation)."""

from __future__ import annotations

from typing import Any

from django import template

from moderation import permissions, selectors
from moderation.event_forms import EventForm
from tickets.models import EmergencyEvent
from tickets.views import maps

register = template.Library()


@register.inclusion_tag("moderation/_ticket_offers.html", takes_context=True)
def ticket_offers(context: dict[str, Any], ticket: Any) -> dict[str, Any]:
    """Accepted offers as "a neighbour is helping" (no identity), and the offer-help form."""
    return {
        "ticket": ticket,
        "helping": selectors.public_offers(ticket).count(),
        "csrf_token": context.get("csrf_token"),
        "request": context.get("request"),
    }


@register.filter
def is_moderator(user: Any) -> bool:
    return permissions.is_moderator(user)


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
