"""The review queue: comments reach the moderation feed as they are created, and moderators
hide, restore, approve, reject or dismiss them."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from moderation import feed
from moderation.models import Flag
from moderation.services import audit
from moderation.services._common import (
    FLAGGED,
    comment_snapshot,
    lock_comment,
    require_moderator_of,
    require_reason,
    resolve_flags,
)
from tickets import services as ticket_services
from tickets.errors import Conflict, InvalidInput
from tickets.identity import Actor
from tickets.models import Comment, Ticket


def on_comment_created(comment: Comment) -> None:
    """Comment listener: every new comment goes to the moderation feed (held ones as
    `comment.held`), with the author's key. Called inside the creating transaction."""
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


def comment_moderate(*, actor: Actor, comment_id: int, action: str, reason: str) -> Comment:
    """hide, restore, approve (a held comment), reject (a held comment) or dismiss (its open
    flags). A Conflict when there is nothing left to do (someone else was faster)."""
    if action not in COMMENT_ACTIONS:
        raise InvalidInput(_("Unknown action."), field="action")
    require_reason(reason)
    with transaction.atomic():
        ticket, comment = lock_comment(comment_id)
        require_moderator_of(actor, ticket)
        open_flags = Flag.objects.filter(comment=comment, resolution=Flag.Resolution.OPEN).exists()
        visibility, shadow = comment.visibility, comment.shadow
        V = Comment.Visibility
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
