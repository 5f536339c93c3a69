"""Flags: anyone flags a comment once; trust-weighted flags hide it at the threshold."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from moderation import feed, permissions, selectors
from moderation.models import Flag, Sanction
from moderation.services import audit
from moderation.services._common import FLAGGED, comment_snapshot, lock_comment, rate_limit
from moderation.services.sanctions import posting_policy
from tickets import permissions as base
from tickets import services as ticket_services
from tickets.errors import Conflict, InvalidInput, NotFound
from tickets.identity import Actor
from tickets.models import Comment, Identity, Ticket


def _flag_weight(actor: Actor, identity: Identity) -> float:
    weights = selectors.moderation_settings()["FLAG_WEIGHTS"]
    sanctions = selectors.active_sanctions(identity=identity, actor=actor)
    if any(s.kind in (Sanction.Kind.BAN, Sanction.Kind.SHADOWBAN) for s in sanctions):
        return float(weights["sanctioned"])
    user = actor.user
    if base.is_admin(user):
        return float(weights["admin"])
    if base.is_agent(user):
        return float(weights["agent"])
    if base.is_trusted_volunteer(user):
        return float(weights["trusted"])
    if actor.is_authenticated and selectors.has_standing(user):
        return float(weights["citizen"])
    return float(weights["anonymous"])


def _flag_address(actor: Actor) -> str:
    """The address a flag merges by: everyone's but staff's and accounts with standing."""
    return "" if selectors.has_standing(actor.user) else actor.ip_hash


def _never_auto_hidden(comment: Comment, ticket: Ticket) -> bool:
    """Official replies (by the jurisdiction's agents and admins) go to the queue instead:
    flags alone never silence the city's answer."""
    author = comment.author.user
    return comment.official or (
        author is not None and base.is_agent_for(author, ticket.jurisdiction_id)
    )


FLAG_REASONS = tuple(v for v in Flag.Reason.values if v)


def flag_reason_message() -> str:
    return _("Reason must be one of: %(choices)s.") % {"choices": ", ".join(FLAG_REASONS)}


def flag_create(
    *, actor: Actor, comment_id: int, reason: str, details: str = ""
) -> tuple[Flag, bool]:
    """Flag a comment the flagger can see. Once per identity per comment (a second flag is a
    Conflict). Returns the flag and whether this flag hid the comment."""
    if reason not in FLAG_REASONS:
        raise InvalidInput(flag_reason_message(), field="reason")
    identity = actor.identity()
    with transaction.atomic():
        ticket, comment = lock_comment(comment_id)
        public = comment.visibility == Comment.Visibility.VISIBLE and not comment.shadow
        if not public and not permissions.is_moderator(actor.user):
            raise NotFound(_("No such comment."))
        # Sanctions refuse flags too (403 before the 409 of a second flag).
        posting_policy(actor=actor, identity=identity, ticket=ticket, kind="flag")
        if Flag.objects.filter(comment=comment, identity=identity).exists():
            raise Conflict(_("You have already flagged this comment."))
        rate_limit(actor, "flag")
        try:
            with transaction.atomic():
                flag = Flag.objects.create(
                    comment=comment,
                    identity=identity,
                    reason=reason,
                    details=details,
                    weight=_flag_weight(actor, identity),
                    ip_hash=_flag_address(actor),
                )
        except IntegrityError:
            raise Conflict(_("You have already flagged this comment.")) from None
        conf = selectors.moderation_settings()
        score = selectors.comment_score(comment.pk)
        hidden = False
        if public and score >= conf["HIDE_THRESHOLD"] and not _never_auto_hidden(comment, ticket):
            before = comment_snapshot(comment)
            comment = ticket_services.comment_set_visibility(
                comment_id=comment.pk, visibility=Comment.Visibility.HIDDEN, reason=FLAGGED
            )
            hidden = True
            audit.record(
                actor=None,
                action="auto_hide",
                target_type="comment",
                target_id=comment.pk,
                reason=FLAGGED,
                before=before,
                after=comment_snapshot(comment),
                ticket=ticket,
            )
        feed.send(
            feed.FLAG_CREATED,
            ticket=ticket.pk,
            data={
                "id": flag.pk,
                "comment": comment.pk,
                "ticket": ticket.pk,
                "reason": flag.reason,
                "details": flag.details,
                "weight": flag.weight,
                "score": score,
                "threshold": conf["HIDE_THRESHOLD"],
                "hidden": hidden,
                "body": comment.body,
                **feed.scope_of(ticket),
            },
            at=flag.created_at,
        )
    return flag, hidden
