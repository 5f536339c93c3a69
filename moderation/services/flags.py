"""Flags: anyone flags a comment, a ticket or a volunteer offer once; trust-weighted flags
hide a comment at the threshold (tickets and offers wait for a moderator: a takedown is
never automatic)."""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from moderation import feed, permissions, selectors
from moderation.models import FLAGGED, Flag, Sanction
from moderation.services import audit
from moderation.services._common import (
    comment_snapshot,
    lock_comment,
    lock_offer,
    rate_limit,
)
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


def _new_flag(
    actor: Actor, identity: Identity, conflict: str, *, target: dict[str, Any], **fields: Any
) -> Flag:
    """The flag row, once per identity per target (a second one is a Conflict)."""
    if Flag.objects.filter(identity=identity, **target).exists():
        raise Conflict(conflict)
    rate_limit(actor, "flag")
    try:
        with transaction.atomic():
            return Flag.objects.create(
                identity=identity,
                weight=_flag_weight(actor, identity),
                ip_hash=_flag_address(actor),
                **target,
                **fields,
            )
    except IntegrityError:
        raise Conflict(conflict) from None


def _announce(flag: Flag, *, ticket: Ticket, score: float, hidden: bool, body: str) -> None:
    feed.send(
        feed.FLAG_CREATED,
        ticket=ticket.pk,
        data={
            "id": flag.pk,
            "kind": flag.kind,
            "comment": flag.comment_id,
            "offer": flag.offer_id,
            "ticket": ticket.pk,
            "reason": flag.reason,
            "details": flag.details,
            "weight": flag.weight,
            "score": score,
            "threshold": selectors.moderation_settings()["HIDE_THRESHOLD"],
            "hidden": hidden,
            "body": body,
            **feed.scope_of(ticket),
        },
        at=flag.created_at,
    )


def _check_reason(reason: str) -> None:
    if reason not in FLAG_REASONS:
        raise InvalidInput(flag_reason_message(), field="reason")


def flag_create(
    *, actor: Actor, comment_id: int, reason: str, details: str = ""
) -> tuple[Flag, bool]:
    """Flag a comment the flagger can see. Once per identity per comment (a second flag is a
    Conflict). Returns the flag and whether this flag hid the comment."""
    _check_reason(reason)
    identity = actor.identity()
    with transaction.atomic():
        ticket, comment = lock_comment(comment_id)
        public = comment.visibility == Comment.Visibility.VISIBLE and not comment.shadow
        if not public and not permissions.is_moderator(actor.user):
            raise NotFound(_("No such comment."))
        # Sanctions refuse flags too (403 before the 409 of a second flag).
        posting_policy(actor=actor, identity=identity, ticket=ticket, kind="flag")
        flag = _new_flag(
            actor,
            identity,
            _("You have already flagged this comment."),
            target={"comment": comment},
            reason=reason,
            details=details,
        )
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
        _announce(flag, ticket=ticket, score=score, hidden=hidden, body=comment.body)
    return flag, hidden


def flag_ticket(*, actor: Actor, ticket_id: int, reason: str, details: str = "") -> Flag:
    """Flag a ticket (an abusive title, a phone number in its description). Anyone who can
    see it, once; the same weights and address merging as comments. It goes to the queue:
    only a moderator takes a ticket down."""
    _check_reason(reason)
    identity = actor.identity()
    with transaction.atomic():
        try:
            ticket = (
                Ticket.objects.select_for_update(no_key=True)
                .select_related("jurisdiction")
                .get(pk=ticket_id)
            )
        except (Ticket.DoesNotExist, OverflowError):
            raise NotFound(_("No such ticket.")) from None
        if getattr(ticket, "visibility", "visible") != "visible" and not permissions.is_moderator(
            actor.user
        ):
            raise NotFound(_("No such ticket."))
        posting_policy(actor=actor, identity=identity, ticket=ticket, kind="flag")
        flag = _new_flag(
            actor,
            identity,
            _("You have already flagged this ticket."),
            target={"ticket": ticket},
            reason=reason,
            details=details,
        )
        score = selectors.target_score(ticket=ticket.pk)
        _announce(flag, ticket=ticket, score=score, hidden=False, body=ticket.title)
    return flag


def flag_offer(*, actor: Actor, offer_id: int, reason: str, details: str = "") -> Flag:
    """Flag a volunteer offer that is shown publicly ("a neighbour is helping"), once."""
    _check_reason(reason)
    identity = actor.identity()
    with transaction.atomic():
        offer = lock_offer(offer_id)
        public = offer.status in selectors.PUBLIC_OFFER_STATUSES
        if not public and not selectors.can_handle_offer(actor.user, offer):
            raise NotFound(_("No such offer."))
        posting_policy(actor=actor, identity=identity, ticket=offer.ticket, kind="flag")
        flag = _new_flag(
            actor,
            identity,
            _("You have already flagged this offer."),
            target={"offer": offer},
            reason=reason,
            details=details,
        )
        score = selectors.target_score(offer=offer.pk)
        if offer.ticket is not None:
            _announce(flag, ticket=offer.ticket, score=score, hidden=False, body=offer.message)
        else:
            feed.send(
                feed.FLAG_CREATED,
                ticket=None,
                data={
                    "id": flag.pk,
                    "kind": "offer",
                    "offer": offer.pk,
                    "reason": flag.reason,
                    "score": score,
                    "threshold": selectors.moderation_settings()["HIDE_THRESHOLD"],
                    "body": offer.message,
                    **feed.scope_of(None),
                },
                at=flag.created_at,
            )
    return flag
