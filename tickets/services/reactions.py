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
    Identity,
    Reaction,
    Thanks,
    Ticket,
    Vote,
)
from tickets.services.eventlog import _lock_ticket
from tickets.services.policy import _posting_decision, _rate_limit
from tickets.services.takedown import require_visible_to

# --- Follow, vote, thanks --------------------------------------------------------------------

_REACTIONS: dict[str, tuple[type[Reaction], str]] = {
    "follow": (Follow, "followers"),
    "vote": (Vote, "votes"),
    "thanks": (Thanks, "thanks"),
}
# Every reaction (unfollowing too: follow/unfollow loops flood the counters channel) shares
# one rate-limit scope, FIXLINE["RATE_LIMITS"][tier]["reaction"].
REACTION_SCOPE = "reaction"


def address_of(actor: Actor) -> str:
    """The address a reaction is merged by: people without an account (a fresh cookie costs
    nothing) from one daily-salted address count once per ticket; accounts count alone."""
    return "" if actor.is_authenticated else actor.ip_hash


def _address_counted(model: type[Reaction], ticket: Ticket, ip_hash: str) -> bool:
    """Whether this address already counts on this ticket (a non-account reaction of it)."""
    if not ip_hash:
        return False
    return (
        model._default_manager.filter(ticket=ticket, ip_hash=ip_hash)
        .exclude(identity__kind=Identity.Kind.ACCOUNT)
        .exists()
    )


def _counts(ticket: Ticket) -> dict[str, int]:
    ticket.refresh_from_db(fields=["followers", "votes", "thanks", "views"])
    return {
        "followers": ticket.followers,
        "votes": ticket.votes,
        "thanks": ticket.thanks,
        "views": ticket.views,
    }


def ticket_react(*, actor: Actor, ticket_id: int, kind: str) -> dict[str, int]:
    """Follow, vote ("me too") or thank: once per person, idempotent; the sanctions and the
    reaction rate limit apply (403 / 429), and an address without accounts counts once.
    Counts are not events; they reach the sockets through the coalesced counters channel."""
    model, counter = _REACTIONS[kind]
    ticket_row = Ticket.objects.filter(pk=ticket_id).first()
    if ticket_row is None:
        raise NotFound(_("No such ticket."))
    require_visible_to(actor, ticket_row)
    identity = actor.identity()
    _posting_decision(actor=actor, identity=identity, ticket=ticket_row, kind=kind)
    _rate_limit(actor, REACTION_SCOPE)
    ip_hash = address_of(actor)
    with transaction.atomic():
        ticket = _lock_ticket(ticket_id)
        counted = _address_counted(model, ticket, ip_hash)
        try:
            with transaction.atomic():
                model._default_manager.create(ticket=ticket, identity=identity, ip_hash=ip_hash)
        except IntegrityError:
            pass  # already done: idempotent
        else:
            if not counted:
                Ticket.objects.filter(pk=ticket.pk).update(**{counter: F(counter) + 1})
        counts = _counts(ticket)
    counters.changed(ticket.pk)
    return counts


def ticket_unfollow(*, actor: Actor, ticket_id: int) -> dict[str, int]:
    """Stop following. A follow is a subscription, not history, so it may be removed (also
    by someone sanctioned: it only means less mail)."""
    identity = actor.identity()
    _rate_limit(actor, REACTION_SCOPE)
    with transaction.atomic():
        ticket = _lock_ticket(ticket_id)
        follow = Follow.objects.filter(ticket=ticket, identity=identity).first()
        if follow is not None:
            follow.delete()
            # The address's one count goes only with its last follow.
            if not _address_counted(Follow, ticket, follow.ip_hash):
                Ticket.objects.filter(pk=ticket.pk).update(followers=F("followers") - 1)
        counts = _counts(ticket)
    counters.changed(ticket.pk)
    return counts
