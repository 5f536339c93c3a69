"""The review queue: comments reach the moderation feed as they are created, and moderators
hide, restore, approve, reject or dismiss them."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from moderation import feed, selectors
from moderation.models import FLAGGED, Flag, Offer
from moderation.services import audit
from moderation.services._common import (
    comment_snapshot,
    lock_comment,
    lock_offer,
    require_moderator_of,
    require_reason,
    resolve_flags,
)
from moderation.services.handled import already_handled
from moderation.services.offers import offer_review
from tickets import services as ticket_services
from tickets.errors import Conflict, InvalidInput, NotAllowed, NotFound
from tickets.identity import Actor
from tickets.models import Comment, Ticket


def on_comment_created(comment: Comment) -> None:
    """Comment listener: every new comment goes to the moderation feed (held ones as
    `comment.held`), with the author's key. Called inside the creating transaction."""
    if not Ticket.jurisdiction.is_cached(comment.ticket):
        # The writer's ticket row usually comes with its jurisdiction (`comment_create`).
        comment.ticket = Ticket.objects.select_related("jurisdiction").get(pk=comment.ticket_id)
    kind = (
        feed.COMMENT_HELD if comment.visibility == Comment.Visibility.HELD else feed.COMMENT_CREATED
    )
    feed.send(
        kind,
        ticket=comment.ticket_id,
        data=feed.comment_for_moderators(comment),
        at=comment.created_at,
    )


COMMENT_ACTIONS = ("hide", "restore", "approve", "reject", "dismiss")
TICKET_ACTIONS = ("hide", "dismiss")
OFFER_ACTIONS = ("decline", "dismiss")


def comment_moderate(
    *, actor: Actor, comment_id: int, action: str, reason: str, from_queue: bool = False
) -> Comment:
    """hide, restore, approve (a held comment), reject (a held comment) or dismiss (its open
    flags). A Conflict when there is nothing left to do (someone else was faster). From the
    queue (`from_queue`), the item must still be in it (held, or with open flags): a late
    click never gives a second outcome, and its Conflict says who handled it."""
    if action not in COMMENT_ACTIONS:
        raise InvalidInput(_("Unknown action."), field="action")
    require_reason(reason)
    with transaction.atomic():
        ticket, comment = lock_comment(comment_id)
        require_moderator_of(actor, ticket)
        open_flags = Flag.objects.filter(comment=comment, resolution=Flag.Resolution.OPEN).exists()
        visibility, shadow = comment.visibility, comment.shadow
        V = Comment.Visibility
        if from_queue and not open_flags and visibility != V.HELD:
            raise already_handled("comment", comment.pk)
        target: str | None = None
        clear_shadow = False
        resolution: str | None = None
        if action == "hide":
            if visibility == V.HIDDEN and not open_flags:
                raise Conflict(_("This comment is already hidden."))
            target, resolution = V.HIDDEN, Flag.Resolution.ACTIONED
        elif action == "restore":
            if visibility == V.VISIBLE and not shadow:
                raise Conflict(_("This comment is already visible."))
            target, clear_shadow, resolution = V.VISIBLE, True, Flag.Resolution.DISMISSED
        elif action == "approve":
            if visibility != V.HELD:
                raise Conflict(_("This comment is not awaiting review."))
            target, resolution = V.VISIBLE, Flag.Resolution.DISMISSED
        elif action == "reject":
            if visibility != V.HELD:
                raise Conflict(_("This comment is not awaiting review."))
            target, resolution = V.HIDDEN, Flag.Resolution.ACTIONED
        else:  # dismiss
            if not open_flags:
                raise Conflict(_("This comment has no open flags."))
            resolution = Flag.Resolution.DISMISSED
            if visibility == V.HIDDEN and comment.moderation_reason == FLAGGED:
                target = V.VISIBLE  # the flags hid it; dismissing them undoes that
        before = comment_snapshot(comment)
        if target is not None:
            comment = ticket_services.comment_set_visibility(
                comment_id=comment.pk,
                visibility=target,
                reason=reason,
                clear_shadow=clear_shadow,
            )
        if resolution is not None:
            resolve_flags(comment, resolution)
        audit.record(
            actor=actor,
            action=action,
            target_type="comment",
            target_id=comment.pk,
            reason=reason,
            before=before,
            after=comment_snapshot(comment),
            ticket=ticket,
        )
    return comment


def _resolve(resolution: str, **target: Any) -> int:
    return Flag.objects.filter(resolution=Flag.Resolution.OPEN, **target).update(
        resolution=resolution, resolved_at=timezone.now()
    )


def ticket_flags_moderate(*, actor: Actor, ticket_id: int, action: str, reason: str) -> Ticket:
    """A flagged ticket in the queue: `hide` takes it down (through the takedown service,
    `tickets.services.ticket_set_visibility`) and resolves its flags; `dismiss` resolves them.
    A Conflict when it has no open flags left (someone else handled it)."""
    if action not in TICKET_ACTIONS:
        raise InvalidInput(_("Unknown action."), field="action")
    require_reason(reason)
    with transaction.atomic():
        try:
            ticket = (
                Ticket.objects.select_for_update(no_key=True)
                .select_related("jurisdiction")
                .get(pk=ticket_id)
            )
        except (Ticket.DoesNotExist, OverflowError):
            raise NotFound(_("No such ticket.")) from None
        require_moderator_of(actor, ticket)
        if not Flag.objects.filter(ticket=ticket, resolution=Flag.Resolution.OPEN).exists():
            raise already_handled("ticket", ticket.pk)
        if action == "dismiss":
            _resolve(Flag.Resolution.DISMISSED, ticket=ticket)
            audit.record(
                actor=actor,
                action="dismiss",
                target_type="ticket",
                target_id=ticket.pk,
                reason=reason,
                ticket=ticket,
            )
            return ticket
        _resolve(Flag.Resolution.ACTIONED, ticket=ticket)
        # The takedown service writes the audit entry and the events (its Conflict, e.g.
        # already hidden, rolls the resolution back with it).
        hidden: Ticket = ticket_services.ticket_set_visibility(
            actor=actor, ticket_id=ticket_id, visibility="hidden", reason=reason
        )
        return hidden


def offer_flags_moderate(*, actor: Actor, offer_id: int, action: str, reason: str) -> Offer:
    """A flagged offer in the queue: `decline` it (and resolve its flags as acted on) or
    `dismiss` its flags. A Conflict when it has no open flags left."""
    if action not in OFFER_ACTIONS:
        raise InvalidInput(_("Unknown action."), field="action")
    require_reason(reason)
    with transaction.atomic():
        offer = lock_offer(offer_id)
        if not selectors.can_handle_offer(actor.user, offer):
            raise NotAllowed(_("Only the agents and volunteers handling offers can review them."))
        if not Flag.objects.filter(offer=offer, resolution=Flag.Resolution.OPEN).exists():
            raise already_handled("offer", offer.pk)
        if action == "dismiss":
            _resolve(Flag.Resolution.DISMISSED, offer=offer)
            audit.record(
                actor=actor,
                action="dismiss",
                target_type="offer",
                target_id=offer.pk,
                reason=reason,
                ticket=offer.ticket,
            )
            return offer
        _resolve(Flag.Resolution.ACTIONED, offer=offer)
        if offer.status in (Offer.Status.PENDING, Offer.Status.ACCEPTED):
            # offer_review writes the audit entry and the offer's events (nested atomic).
            return offer_review(
                actor=actor,
                offer_id=offer.pk,
                decision="decline",
                note=reason,
                expect=offer.status,
            )
        audit.record(
            actor=actor,
            action="offer.decline",
            target_type="offer",
            target_id=offer.pk,
            reason=reason,
            ticket=offer.ticket,
        )
        return offer
