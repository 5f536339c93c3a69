"""Template pieces moderation lends to other pages (tickets know nothing of moderation)."""

from __future__ import annotations

from typing import Any

from django import template

from moderation import permissions, selectors
from moderation.models import Flag

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


@register.simple_tag
def flag_reasons() -> list[tuple[str, str]]:
    """The flag reasons the API accepts, with their translated labels (the ticket page's
    flag form)."""
    return [(value, str(label)) for value, label in Flag.Reason.choices if value]
