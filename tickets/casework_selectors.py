"""Casework reads: the merge panel of a ticket page, and a citizen's own tickets ("my
reports", "following"). Writes are in `tickets.services.merging`."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from tickets import permissions, selectors
from tickets.models import Follow, Identity, Ticket

SUGGESTIONS_MAX = 5


def merge_panel(ticket: Ticket, user: Any) -> dict[str, Any]:
    """What the ticket page shows about duplicates: the original this one is merged into,
    the tickets merged into this one, and for staff the nearby tickets it may duplicate."""
    staff = permissions.can_acknowledge_or_close(user, ticket)
    original = selectors.ticket_get(ticket.duplicate_of_id) if ticket.duplicate_of_id else None
    duplicates = list(
        Ticket.objects.filter(duplicate_of_id=ticket.pk).order_by("pk").values("pk", "title")
    )
    suggestions: list[Ticket] = []
    if staff and original is None and not duplicates:
        nearby = selectors.similar_open_tickets(
            service_type=ticket.service_type, lat=ticket.lat, long=ticket.long, exclude_id=ticket.pk
        )
        suggestions = [
            t
            for t in nearby
            if t.duplicate_of_id is None and permissions.can_acknowledge_or_close(user, t)
        ][:SUGGESTIONS_MAX]
    return {
        "staff": staff,
        "original": original,
        "duplicates": duplicates,
        "suggestions": suggestions,
    }


def _account_identity_ids(user: Any) -> QuerySet[Identity]:
    """The identity of a signed-in account (none for anyone else: a network address is shared
    by neighbours, so it never says "mine")."""
    if not permissions.is_account(user):
        return Identity.objects.none()
    return Identity.objects.filter(user_id=user.pk)


def reported_by(qs: QuerySet[Ticket], user: Any) -> QuerySet[Ticket]:
    """The tickets of `qs` this account reported."""
    return qs.filter(reporter__in=_account_identity_ids(user))


def followed_by(qs: QuerySet[Ticket], user: Any) -> QuerySet[Ticket]:
    """The tickets of `qs` this account follows."""
    follows = Follow.objects.filter(identity__in=_account_identity_ids(user))
    return qs.filter(pk__in=follows.values("ticket_id"))
