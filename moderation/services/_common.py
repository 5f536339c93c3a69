"""Helpers shared by the moderation services: the reason every moderator action takes,
comment snapshots, rate limits and the comment lock order."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.utils import timezone
from django.utils.translation import gettext as _

from moderation import permissions
from moderation.models import Flag, Offer
from tickets import permissions as base
from tickets import ratelimit
from tickets.errors import InvalidInput, NotAllowed, NotFound
from tickets.identity import Actor
from tickets.models import Comment, Ticket

REASON_MAX = 1000
DETAILS_MAX = 1000


def require_reason(reason: str) -> str:
    """Every moderator action says why (the edges check its length and strip it)."""
    if not reason:
        raise InvalidInput(_("This field is required."), field="reason")
    return reason


def account_of(actor: Actor) -> User | None:
    """The actor's account, for the `…_by` columns (None for someone without one)."""
    user = actor.user
    return user if actor.is_authenticated and isinstance(user, User) else None


def comment_snapshot(comment: Comment) -> dict[str, Any]:
    return {
        "body": comment.body,
        "visibility": comment.visibility,
        "shadow": comment.shadow,
        "moderation_reason": comment.moderation_reason,
    }


def rate_limit(actor: Actor, scope: str) -> None:
    """The default per-identity limits of `FIXLINE["RATE_LIMITS"]` for moderation scopes."""
    if base.is_exempt_from_rate_limits(actor.user):
        return
    tier = "citizen" if actor.is_authenticated else "anonymous"
    fixline: dict[str, Any] = settings.FIXLINE  # a plain dict of mixed values
    limit, window = fixline["RATE_LIMITS"][tier][scope]
    ratelimit.hit(scope=scope, key=actor.key, limit=limit, window=window)


def lock_comment(comment_id: int) -> tuple[Ticket, Comment]:
    """Lock the comment's ticket, then the comment (the write layer's lock order)."""
    try:
        ticket_id = Comment.objects.values_list("ticket_id", flat=True).get(pk=comment_id)
    except (Comment.DoesNotExist, OverflowError):
        raise NotFound(_("No such comment.")) from None
    ticket = (
        Ticket.objects.select_for_update(no_key=True)
        .select_related("jurisdiction")
        .get(pk=ticket_id)
    )
    comment = Comment.objects.select_for_update().select_related("author").get(pk=comment_id)
    comment.ticket = ticket
    return ticket, comment


def require_moderator_of(actor: Actor, ticket: Ticket) -> None:
    if not permissions.can_moderate_ticket(actor.user, ticket):
        raise NotAllowed(_("Only this area's agents, trusted volunteers and admins can do this."))


def resolve_flags(comment: Comment, resolution: str) -> int:
    return Flag.objects.filter(comment=comment, resolution=Flag.Resolution.OPEN).update(
        resolution=resolution, resolved_at=timezone.now()
    )


def lock_offer(offer_id: int) -> Offer:
    """Lock the offer's ticket (if any), then the offer: the same order as comments."""
    try:
        ticket_id = Offer.objects.values_list("ticket_id", flat=True).get(pk=offer_id)
    except (Offer.DoesNotExist, OverflowError):
        raise NotFound(_("No such offer.")) from None
    if ticket_id is not None:
        Ticket.objects.select_for_update(no_key=True).get(pk=ticket_id)
    return (
        Offer.objects.select_for_update(of=("self",))
        .select_related("ticket", "ticket__jurisdiction", "event", "author")
        .get(pk=offer_id)
    )
