"""Follow, vote and thanks."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils.translation import gettext as _

from realtime import counters
from tickets.errors import NotFound
from tickets.identity import Actor
from tickets.models import (
    Follow,
    Reaction,
    Thanks,
    Ticket,
    Vote,
)
from tickets.services.eventlog import _lock_ticket

# --- Follow, vote, thanks --------------------------------------------------------------------

_REACTIONS: dict[str, tuple[type[Reaction], str]] = {
    "follow": (Follow, "followers"),
    "vote": (Vote, "votes"),
    "thanks": (Thanks, "thanks"),
}


def ticket_react(*, actor: Actor, ticket_id: int, kind: str) -> dict[str, int]:
    """Follow, vote ("me too") or thank: once per person, idempotent. Counts are not events;
    they reach the sockets through the coalesced counters channel."""
    model, counter = _REACTIONS[kind]
    if not Ticket.objects.filter(pk=ticket_id).exists():
        raise NotFound(_("No such ticket."))
    identity = actor.identity()
    with transaction.atomic():
        ticket = _lock_ticket(ticket_id)
        try:
            with transaction.atomic():
                model._default_manager.create(ticket=ticket, identity=identity)
        except IntegrityError:
            pass  # already done: idempotent
        else:
            Ticket.objects.filter(pk=ticket.pk).update(**{counter: F(counter) + 1})
        ticket.refresh_from_db(fields=["followers", "votes", "thanks", "views"])
    counters.changed(ticket.pk)
    return {
        "followers": ticket.followers,
        "votes": ticket.votes,
        "thanks": ticket.thanks,
        "views": ticket.views,
    }


def ticket_unfollow(*, actor: Actor, ticket_id: int) -> dict[str, int]:
    """Stop following. A follow is a subscription, not history, so it may be removed."""
    identity = actor.identity()
    with transaction.atomic():
        ticket = _lock_ticket(ticket_id)
        removed, _detail = Follow.objects.filter(ticket=ticket, identity=identity).delete()
        if removed:
            Ticket.objects.filter(pk=ticket.pk).update(followers=F("followers") - 1)
        ticket.refresh_from_db(fields=["followers", "votes", "thanks", "views"])
    counters.changed(ticket.pk)
    return {
        "followers": ticket.followers,
        "votes": ticket.votes,
        "thanks": ticket.thanks,
        "views": ticket.views,
    }
