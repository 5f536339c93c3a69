"""Template pieces moderation lends to other pages (tickets know nothing of moderation)."""

from __future__ import annotations

from typing import Any

from django import template
from django.conf import settings

from moderation import permissions, selectors, sentences
from moderation.forms import OFFER_RESULT
from moderation.models import Flag

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
