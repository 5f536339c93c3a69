"""What moderators (and flaggers, and volunteers) can do: the only code that writes moderation
data. Every moderator action takes a reason, writes one immutable AuditEntry and tells the
moderation feed (`moderation.action`) after commit. Comments change only through
`tickets.services.comment_set_visibility`, so their durable events are written in one place.

Concurrency: every action on a comment locks its ticket row, then the comment row (the order
`tickets.services` uses), then checks the state. A second moderator doing the same thing a
moment later finds nothing to do and gets a Conflict (409), never a double outcome.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.core.validators import validate_slug
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from moderation import feed, permissions, selectors
from moderation.models import AuditEntry, Flag, Offer, Sanction, TrustGrant
from realtime import events
from tickets import geo, ratelimit
from tickets import permissions as base
from tickets import services as ticket_services
from tickets.errors import Conflict, InvalidInput, NotAllowed, NotFound
from tickets.identity import Actor
from tickets.models import Comment, EmergencyEvent, Identity, Ticket

REASON_MAX = 1000
DETAILS_MAX = 1000
FLAGGED = "flagged"
SANCTION_MAX_MINUTES = 10 * 365 * 24 * 60


# --- Helpers -----------------------------------------------------------------------------------


def _reason(value: Any) -> str:
    return ticket_services.clean_text(value, field="reason", max_length=REASON_MAX)


def _actor_name(actor: Actor | None) -> str:
    if actor is None:
        return _("automatic")
    if actor.is_authenticated:
        return actor.user.get_username()  # type: ignore[attr-defined]
    return _("anonymous %(key)s") % {"key": actor.identity().public_key}


def _snapshot(comment: Comment) -> dict[str, Any]:
    return {
        "body": comment.body,
        "visibility": comment.visibility,
        "shadow": comment.shadow,
        "moderation_reason": comment.moderation_reason,
    }


def _audit(
    *,
    actor: Actor | None,
    action: str,
    target_type: str,
    target_id: Any,
    reason: str,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    ticket: Ticket | None = None,
    announce: bool = True,
) -> AuditEntry:
    """Write the audit entry and, after commit, the feed's `moderation.action`."""
    entry = AuditEntry.objects.create(
        actor=actor.identity() if actor is not None else None,
        actor_name=_actor_name(actor),
        action=action,
        target_type=target_type,
        target_id=str(target_id),
        ticket_id_ref=ticket.pk if ticket is not None else None,
        jurisdiction_id_ref=ticket.jurisdiction_id if ticket is not None else None,
        reason=reason,
        before=before or {},
        after=after or {},
    )
    if announce:
        feed.send(
            feed.MODERATION_ACTION,
            ticket=ticket.pk if ticket is not None else None,
            data={
                "action": action,
                "target": {"type": target_type, "id": target_id},
                "reason": reason,
                "by": entry.actor_name,
                "audit": entry.pk,
                **feed.scope_of(ticket),
            },
            at=entry.at,
        )
    return entry


def _hit(actor: Actor, scope: str) -> None:
    """The default per-identity limits of `FIXLINE["RATE_LIMITS"]` for moderation scopes."""
    from django.conf import settings

    if base.is_exempt_from_rate_limits(actor.user):
        return
    tier = "citizen" if actor.is_authenticated else "anonymous"
    limit, window = settings.FIXLINE["RATE_LIMITS"][tier][scope]
    ratelimit.hit(scope=scope, key=actor.key, limit=limit, window=window)


def _lock_comment(comment_id: Any) -> tuple[Ticket, Comment]:
    """Lock the comment's ticket, then the comment (the write layer's lock order)."""
    try:
        ticket_id = Comment.objects.values_list("ticket_id", flat=True).get(pk=int(comment_id))
    except (Comment.DoesNotExist, ValueError, TypeError, OverflowError):
        raise NotFound(_("No such comment.")) from None
    ticket = (
        Ticket.objects.select_for_update(no_key=True)
        .select_related("jurisdiction")
        .get(pk=ticket_id)
    )
    comment = Comment.objects.select_for_update().select_related("author").get(pk=comment_id)
    comment.ticket = ticket
    return ticket, comment


def _require_moderator_of(actor: Actor, ticket: Ticket) -> None:
    if not permissions.can_moderate_ticket(actor.user, ticket):
        raise NotAllowed(_("Only this area's agents, trusted volunteers and admins can do this."))


def _resolve_flags(comment: Comment, resolution: str) -> int:
    return Flag.objects.filter(comment=comment, resolution=Flag.Resolution.OPEN).update(
        resolution=resolution, resolved_at=timezone.now()
    )


# --- Posting policy (registered in AppConfig.ready) ---------------------------------------------


def posting_policy(
    *, actor: Actor, identity: Identity, ticket: Ticket | None, kind: str
) -> ticket_services.PostingDecision | None:
    """Mutes and bans refuse; a shadow-ban shows new comments to their author only; a
    rate-limit override adds a tighter limit on top of the defaults."""
    sanctions = selectors.active_sanctions(identity=identity, actor=actor)
    if not sanctions:
        return None
    decision = None
    for sanction in sanctions:
        if sanction.kind == Sanction.Kind.BAN:
            raise NotAllowed(_("You have been banned from posting. You can still read."))
        if sanction.kind == Sanction.Kind.MUTE:
            until = timezone.localtime(sanction.ends_at) if sanction.ends_at else None
            raise NotAllowed(
                _("You are muted until %(until)s.") % {"until": f"{until:%Y-%m-%d %H:%M %Z}"}
                if until
                else _("You are muted.")
            )
    for sanction in sanctions:
        if sanction.kind == Sanction.Kind.SHADOWBAN and kind in ("comment", "offer"):
            decision = ticket_services.PostingDecision(shadow=True)
        if sanction.kind == Sanction.Kind.RATE_LIMIT and sanction.limit_count is not None:
            ratelimit.hit(
                scope=f"sanction:{kind}",
                key=str(sanction.pk),
                limit=sanction.limit_count,
                window=sanction.limit_seconds or 60,
            )
    return decision


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


# --- Flags ---------------------------------------------------------------------------------


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
    if actor.is_authenticated:
        return float(weights["citizen"])
    return float(weights["anonymous"])


def flag_create(
    *, actor: Actor, comment_id: Any, reason: Any, details: Any = ""
) -> tuple[Flag, bool]:
    """Flag a comment the flagger can see. Once per identity per comment (a second flag is a
    Conflict). Returns the flag and whether this flag hid the comment."""
    if reason not in Flag.Reason.values or not reason:
        raise InvalidInput(
            _("Reason must be one of: %(choices)s.")
            % {"choices": ", ".join(v for v in Flag.Reason.values if v)},
            field="reason",
        )
    details = ticket_services.clean_text(
        details, field="details", max_length=DETAILS_MAX, required=False
    )
    identity = actor.identity()
    with transaction.atomic():
        ticket, comment = _lock_comment(comment_id)
        public = comment.visibility == Comment.Visibility.VISIBLE and not comment.shadow
        if not public and not permissions.is_moderator(actor.user):
            raise NotFound(_("No such comment."))
        if Flag.objects.filter(comment=comment, identity=identity).exists():
            raise Conflict(_("You have already flagged this comment."))
        _hit(actor, "flag")
        try:
            with transaction.atomic():
                flag = Flag.objects.create(
                    comment=comment,
                    identity=identity,
                    reason=reason,
                    details=details,
                    weight=_flag_weight(actor, identity),
                    ip_hash="" if actor.is_authenticated else actor.ip_hash,
                )
        except IntegrityError:
            raise Conflict(_("You have already flagged this comment.")) from None
        conf = selectors.moderation_settings()
        score = selectors.comment_score(comment.pk)
        hidden = False
        if public and score >= conf["HIDE_THRESHOLD"]:
            before = _snapshot(comment)
            comment = ticket_services.comment_set_visibility(
                comment_id=comment.pk, visibility=Comment.Visibility.HIDDEN, reason=FLAGGED
            )
            hidden = True
            _audit(
                actor=None,
                action="auto_hide",
                target_type="comment",
                target_id=comment.pk,
                reason=FLAGGED,
                before=before,
                after=_snapshot(comment),
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


# --- Comment actions (the queue) --------------------------------------------------------------

COMMENT_ACTIONS = ("hide", "restore", "approve", "reject", "dismiss")


def comment_moderate(*, actor: Actor, comment_id: Any, action: str, reason: Any) -> Comment:
    """hide, restore, approve (a held comment), reject (a held comment) or dismiss (its open
    flags). A Conflict when there is nothing left to do (someone else was faster)."""
    if action not in COMMENT_ACTIONS:
        raise InvalidInput(_("Unknown action."), field="action")
    reason = _reason(reason)
    with transaction.atomic():
        ticket, comment = _lock_comment(comment_id)
        _require_moderator_of(actor, ticket)
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
        before = _snapshot(comment)
        if target is not None:
            comment = ticket_services.comment_set_visibility(
                comment_id=comment.pk,
                visibility=target,
                reason=reason,
                clear_shadow=clear_shadow,
            )
        if resolution is not None:
            _resolve_flags(comment, resolution)
        _audit(
            actor=actor,
            action=action,
            target_type="comment",
            target_id=comment.pk,
            reason=reason,
            before=before,
            after=_snapshot(comment),
            ticket=ticket,
        )
    return comment


# --- Sanctions ---------------------------------------------------------------------------------


def sanction_create(
    *,
    actor: Actor,
    author_key: Any,
    kind: Any,
    reason: Any,
    minutes: Any = None,
    limit_count: Any = None,
    limit_seconds: Any = None,
) -> Sanction:
    """Mute (needs minutes), ban or shadow-ban (permanent without minutes), or a rate-limit
    override (`limit_count` posts per `limit_seconds`). An identity without an account is
    also sanctioned by its last salted address hash."""
    if kind not in Sanction.Kind.values:
        raise InvalidInput(_("Kind must be mute, ban, shadowban or rate_limit."), field="kind")
    reason = _reason(reason)
    target = selectors.identity_by_key(author_key)
    if target is None:
        raise InvalidInput(_("No identity has this author key."), field="author_key")
    if not permissions.can_sanction(actor.user, target):
        raise NotAllowed(_("You may not sanction this person."))
    duration = None
    if minutes not in (None, ""):
        if isinstance(minutes, bool):
            raise InvalidInput(_("Must be a whole number of minutes."), field="minutes")
        try:
            duration = int(minutes)
        except (TypeError, ValueError):
            raise InvalidInput(_("Must be a whole number of minutes."), field="minutes") from None
        if not 1 <= duration <= SANCTION_MAX_MINUTES:
            raise InvalidInput(_("Must be between 1 and 5256000 minutes."), field="minutes")
    if kind == Sanction.Kind.MUTE and duration is None:
        raise InvalidInput(_("A mute needs a duration in minutes."), field="minutes")
    count = seconds = None
    if kind == Sanction.Kind.RATE_LIMIT:
        try:
            count = int(limit_count)
            seconds = int(limit_seconds or 60)
        except (TypeError, ValueError):
            raise InvalidInput(
                _("A rate limit needs limit_count (and limit_seconds)."), field="limit_count"
            ) from None
        if count < 0 or not 1 <= seconds <= 86400:
            raise InvalidInput(_("limit_count ≥ 0, limit_seconds 1–86400."), field="limit_count")
    now = timezone.now()
    with transaction.atomic():
        sanction = Sanction.objects.create(
            identity=target,
            ip_hash="" if target.kind == Identity.Kind.ACCOUNT else target.last_ip_hash,
            kind=kind,
            reason=reason,
            starts_at=now,
            ends_at=now + timedelta(minutes=duration) if duration else None,
            limit_count=count,
            limit_seconds=seconds,
            created_by=actor.user if actor.is_authenticated else None,
            created_at=now,
        )
        _audit(
            actor=actor,
            action=f"sanction.{kind}",
            target_type="identity",
            target_id=target.public_key,
            reason=reason,
            after=_sanction_snapshot(sanction),
        )
    return sanction


def _sanction_snapshot(sanction: Sanction) -> dict[str, Any]:
    return {
        "sanction": sanction.pk,
        "kind": sanction.kind,
        "ends_at": events.iso(sanction.ends_at) if sanction.ends_at else None,
        "limit_count": sanction.limit_count,
        "limit_seconds": sanction.limit_seconds,
        "revoked": sanction.revoked_at is not None,
    }


def sanction_revoke(*, actor: Actor, sanction_id: Any, reason: Any) -> Sanction:
    reason = _reason(reason)
    with transaction.atomic():
        try:
            sanction = (
                Sanction.objects.select_for_update().select_related("identity").get(pk=sanction_id)
            )
        except (Sanction.DoesNotExist, ValueError, TypeError, OverflowError):
            raise NotFound(_("No such sanction.")) from None
        if not permissions.can_sanction(actor.user, sanction.identity):
            raise NotAllowed(_("You may not lift this sanction."))
        if sanction.revoked_at is not None:
            raise Conflict(_("This sanction was already lifted."))
        before = _sanction_snapshot(sanction)
        sanction.revoked_at = timezone.now()
        sanction.revoked_by = actor.user if actor.is_authenticated else None
        sanction.revoke_reason = reason
        sanction.save(update_fields=["revoked_at", "revoked_by", "revoke_reason"])
        _audit(
            actor=actor,
            action="sanction.revoke",
            target_type="identity",
            target_id=sanction.identity.public_key,
            reason=reason,
            before=before,
            after=_sanction_snapshot(sanction),
        )
    return sanction


# --- Emergency events ------------------------------------------------------------------------


def _moment(value: Any, *, field: str, required: bool) -> datetime | None:
    if value in (None, ""):
        if required:
            raise InvalidInput(_("This field is required."), field=field)
        return None
    if isinstance(value, datetime):
        moment = value
    else:
        moment = parse_datetime(str(value)) if isinstance(value, str) else None
        if moment is None:
            raise InvalidInput(_("Must be a date and time (ISO 8601)."), field=field)
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment


def event_create(
    *,
    actor: Actor,
    name: Any,
    slug: Any,
    starts_at: Any,
    ends_at: Any = None,
    description: Any = "",
    premoderate_anonymous: bool = False,
    slow_mode_seconds: Any = 0,
    anonymous_comment_limit: Any = None,
    area: Any = None,
    reason: Any = "",
) -> EmergencyEvent:
    """Agents and admins declare an emergency; tickets join it with `event=<slug>`."""
    if not permissions.can_declare_event(actor.user):
        raise NotAllowed(_("Only agents and admins can declare an emergency event."))
    name = ticket_services.clean_text(name, field="name", max_length=200)
    slug = ticket_services.clean_text(slug, field="slug", max_length=80)
    try:
        validate_slug(slug)
    except ValidationError:
        raise InvalidInput(
            _("Letters, digits, hyphens and underscores only."), field="slug"
        ) from None
    description = ticket_services.clean_text(
        description, field="description", max_length=5000, required=False
    )
    start = _moment(starts_at, field="starts_at", required=True)
    end = _moment(ends_at, field="ends_at", required=False)
    if end is not None and start is not None and end <= start:
        raise InvalidInput(_("The end must come after the start."), field="ends_at")
    try:
        slow = int(slow_mode_seconds or 0)
        if not 0 <= slow <= 86400:
            raise ValueError
    except (TypeError, ValueError):
        raise InvalidInput(_("Between 0 and 86400 seconds."), field="slow_mode_seconds") from None
    limit = None
    if anonymous_comment_limit not in (None, ""):
        try:
            limit = int(anonymous_comment_limit)
            if not 0 <= limit <= 1000:
                raise ValueError
        except (TypeError, ValueError):
            raise InvalidInput(
                _("Between 0 and 1000 per minute."), field="anonymous_comment_limit"
            ) from None
    if area not in (None, ""):
        try:
            geo.parse_area(area)
        except geo.GeometryError as exc:
            raise InvalidInput(str(exc), field="area") from None
    else:
        area = None
    with transaction.atomic():
        if EmergencyEvent.objects.filter(slug=slug).exists():
            raise Conflict(_("An event with this slug already exists."))
        event = EmergencyEvent.objects.create(
            name=name,
            slug=slug,
            description=description,
            starts_at=start,
            ends_at=end,
            area=area,
            premoderate_anonymous=bool(premoderate_anonymous),
            slow_mode_seconds=slow,
            anonymous_comment_limit=limit,
        )
        _audit(
            actor=actor,
            action="event.create",
            target_type="event",
            target_id=event.slug,
            reason=ticket_services.clean_text(
                reason, field="reason", max_length=REASON_MAX, required=False
            )
            or _("declared"),
            after={
                "name": event.name,
                "premoderate_anonymous": event.premoderate_anonymous,
                "slow_mode_seconds": event.slow_mode_seconds,
                "anonymous_comment_limit": event.anonymous_comment_limit,
            },
        )
    return event


# --- Trust ---------------------------------------------------------------------------------------


def _trust(*, actor: Actor, username: Any, reason: Any, grant: bool) -> TrustGrant:
    from tickets.permissions import TRUSTED_VOLUNTEERS_GROUP

    if not permissions.can_grant_trust(actor.user):
        raise NotAllowed(_("Only agents and admins can grant or revoke trust."))
    reason = _reason(reason)
    if not isinstance(username, str) or not username:
        raise InvalidInput(_("This field is required."), field="username")
    user = get_user_model().objects.filter(username=username).first()
    if user is None:
        raise InvalidInput(_("No account has this username."), field="username")
    with transaction.atomic():
        group, _created = Group.objects.get_or_create(name=TRUSTED_VOLUNTEERS_GROUP)
        get_user_model().objects.select_for_update().get(pk=user.pk)
        member = user.groups.filter(pk=group.pk).exists()
        if grant and member:
            raise Conflict(_("This person is already a trusted volunteer."))
        if not grant and not member:
            raise Conflict(_("This person is not a trusted volunteer."))
        if grant:
            user.groups.add(group)
        else:
            user.groups.remove(group)
        user.__dict__.pop("_fixline_perm_cache", None)
        record = TrustGrant.objects.create(
            user=user,
            action=TrustGrant.Action.GRANT if grant else TrustGrant.Action.REVOKE,
            reason=reason,
            by=actor.user if actor.is_authenticated else None,
        )
        _audit(
            actor=actor,
            action="trust.grant" if grant else "trust.revoke",
            target_type="user",
            target_id=user.get_username(),
            reason=reason,
            before={"trusted": member},
            after={"trusted": grant},
        )
    return record


def trust_grant(*, actor: Actor, username: Any, reason: Any) -> TrustGrant:
    return _trust(actor=actor, username=username, reason=reason, grant=True)


def trust_revoke(*, actor: Actor, username: Any, reason: Any) -> TrustGrant:
    return _trust(actor=actor, username=username, reason=reason, grant=False)


# --- Volunteer offers -----------------------------------------------------------------------


def _offer_snapshot(offer: Offer) -> dict[str, Any]:
    """For the audit log: the state and the public text, never the contact."""
    return {
        "status": offer.status,
        "held": offer.held,
        "message": offer.message,
        "skills": offer.skills,
        "availability": offer.availability,
        "note": offer.note,
    }


def _offer_events(offer: Offer, *, created: bool) -> None:
    """The public durable event on the ticket's log (no contact, no identity) and the
    private copy for the moderation feed (with the contact)."""
    if offer.ticket_id and not offer.held:
        kind = events.OFFER_UPDATED if offer.published else events.OFFER_CREATED
        ticket_services.ticket_record_event(
            ticket_id=offer.ticket_id, type=kind, data=selectors.offer_public(offer)
        )
        if not offer.published:
            offer.published = True
            Offer.objects.filter(pk=offer.pk).update(published=True)
    feed.send(
        feed.OFFER_CREATED if created else feed.OFFER_UPDATED,
        ticket=offer.ticket_id,
        data=selectors.offer_private(offer),
        at=offer.updated_at,
    )


def offer_create(
    *,
    actor: Actor,
    message: Any,
    contact: Any,
    ticket_id: Any = None,
    event: Any = None,
    skills: Any = "",
    availability: Any = "",
    area: Any = "",
) -> Offer:
    """Anyone offers help on a ticket or an event. Held (not public until accepted) when
    the event pre-moderates anonymous posts, or when its author is shadow-banned."""
    message = ticket_services.clean_text(message, field="message", max_length=2000)
    contact = ticket_services.clean_text(contact, field="contact", max_length=300)
    skills = ticket_services.clean_text(skills, field="skills", max_length=300, required=False)
    availability = ticket_services.clean_text(
        availability, field="availability", max_length=300, required=False
    )
    area = ticket_services.clean_text(area, field="area", max_length=300, required=False)
    ticket = None
    if ticket_id is not None:
        ticket = Ticket.objects.select_related("event", "jurisdiction").filter(pk=ticket_id).first()
        if ticket is None:
            raise NotFound(_("No such ticket."))
    emergency = None
    if event not in (None, ""):
        emergency = EmergencyEvent.objects.filter(slug=str(event)).first()
        if emergency is None:
            raise NotFound(_("No such event."))
    elif ticket is not None and ticket.event_id:
        emergency = ticket.event
    if ticket is None and emergency is None:
        raise InvalidInput(_("An offer is made on a ticket or an event."), field="ticket")
    identity = actor.identity()
    decision = posting_policy(actor=actor, identity=identity, ticket=ticket, kind="offer")
    _hit(actor, "offer")
    held = bool(decision and decision.shadow)
    if emergency and emergency.is_active() and emergency.premoderate_anonymous:
        held = held or not actor.is_authenticated
    now = timezone.now()
    with transaction.atomic():
        if ticket is not None:
            Ticket.objects.select_for_update(no_key=True).get(pk=ticket.pk)
        offer = Offer.objects.create(
            ticket=ticket,
            event=emergency,
            author=identity,
            message=message,
            skills=skills,
            availability=availability,
            area=area,
            contact=contact,
            held=held,
            created_at=now,
            updated_at=now,
        )
        _audit(
            actor=actor,
            action="offer.create",
            target_type="offer",
            target_id=offer.pk,
            reason=_("offered help"),
            after=_offer_snapshot(offer),
            ticket=ticket,
            announce=False,
        )
        _offer_events(offer, created=True)
    return offer


OFFER_DECISIONS: dict[str, tuple[frozenset[str], str]] = {
    "accept": (frozenset({Offer.Status.PENDING}), Offer.Status.ACCEPTED),
    "decline": (frozenset({Offer.Status.PENDING, Offer.Status.ACCEPTED}), Offer.Status.DECLINED),
    "complete": (frozenset({Offer.Status.ACCEPTED}), Offer.Status.COMPLETED),
}


def _lock_offer(offer_id: Any) -> Offer:
    try:
        ticket_id = Offer.objects.values_list("ticket_id", flat=True).get(pk=int(offer_id))
    except (Offer.DoesNotExist, ValueError, TypeError, OverflowError):
        raise NotFound(_("No such offer.")) from None
    if ticket_id is not None:
        Ticket.objects.select_for_update(no_key=True).get(pk=ticket_id)
    return (
        Offer.objects.select_for_update(of=("self",))
        .select_related("ticket", "ticket__jurisdiction", "event", "author")
        .get(pk=offer_id)
    )


def offer_review(*, actor: Actor, offer_id: Any, decision: Any, note: Any = "") -> Offer:
    """accept (pending → accepted), decline (pending/accepted → declined), complete
    (accepted → completed), by the agents and volunteers handling offers."""
    if decision not in OFFER_DECISIONS:
        raise InvalidInput(_("Decision must be accept, decline or complete."), field="decision")
    note = ticket_services.clean_text(note, field="note", max_length=2000, required=False)
    sources, target = OFFER_DECISIONS[decision]
    with transaction.atomic():
        offer = _lock_offer(offer_id)
        if not selectors.can_handle_offer(actor.user, offer):
            raise NotAllowed(_("Only the agents and volunteers handling offers can review them."))
        if offer.status not in sources:
            raise Conflict(
                _("This offer is %(status)s: “%(decision)s” is not possible now.")
                % {"status": offer.get_status_display(), "decision": decision}
            )
        before = _offer_snapshot(offer)
        offer.status = target
        if target == Offer.Status.ACCEPTED:
            offer.held = False  # accepting releases an offer held for review
        offer.note = note
        offer.updated_at = timezone.now()
        offer.save(update_fields=["status", "held", "note", "updated_at"])
        _audit(
            actor=actor,
            action=f"offer.{decision}",
            target_type="offer",
            target_id=offer.pk,
            reason=note or decision,
            before=before,
            after=_offer_snapshot(offer),
            ticket=offer.ticket,
        )
        _offer_events(offer, created=False)
    return offer


def offer_withdraw(*, actor: Actor, offer_id: Any, reason: Any = "") -> Offer:
    """Its author withdraws a pending or accepted offer."""
    reason = ticket_services.clean_text(
        reason, field="reason", max_length=REASON_MAX, required=False
    )
    with transaction.atomic():
        offer = _lock_offer(offer_id)
        if offer.author_id != actor.identity().pk:
            raise NotAllowed(_("Only the person who offered can withdraw an offer."))
        if offer.status not in (Offer.Status.PENDING, Offer.Status.ACCEPTED):
            raise Conflict(_("This offer can no longer be withdrawn."))
        before = _offer_snapshot(offer)
        offer.status = Offer.Status.WITHDRAWN
        offer.updated_at = timezone.now()
        offer.save(update_fields=["status", "updated_at"])
        _audit(
            actor=actor,
            action="offer.withdraw",
            target_type="offer",
            target_id=offer.pk,
            reason=reason or _("withdrawn by its author"),
            before=before,
            after=_offer_snapshot(offer),
            ticket=offer.ticket,
        )
        _offer_events(offer, created=False)
    return offer
