"""Sanctions (mute, ban, shadow-ban, rate-limit override) and the posting policy that
enforces them on every way of posting (registered in AppConfig.ready)."""

from __future__ import annotations

from datetime import UTC, date, timedelta
from typing import Any

from django.db import transaction
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from moderation import permissions, selectors
from moderation.models import Sanction
from moderation.services import audit
from moderation.services._common import account_of, require_reason
from realtime import events
from tickets import ratelimit
from tickets import services as ticket_services
from tickets.errors import Conflict, InvalidInput, NotAllowed, NotFound
from tickets.identity import Actor
from tickets.models import Identity, Ticket

SANCTION_MAX_MINUTES = 10 * 365 * 24 * 60


def posting_policy(
    *, actor: Actor, identity: Identity, ticket: Ticket | None, kind: str
) -> ticket_services.PostingDecision | None:
    """Called before every write (tickets, comments, status changes, votes, thanks, follows,
    offers, flags). Mutes and bans refuse, saying until when; a shadow-ban shows new comments
    to their author only; a rate-limit override adds a tighter limit on top of the defaults."""
    sanctions = selectors.active_sanctions(identity=identity, actor=actor)
    if not sanctions:
        return None
    decision = None
    for sanction in sanctions:
        if sanction.kind in (Sanction.Kind.BAN, Sanction.Kind.MUTE):
            raise NotAllowed(refusal_message(sanction))
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


def refusal_message(sanction: Sanction) -> str:
    """Why a write is refused and until when (every write: post, vote, follow, flag…)."""
    if sanction.ends_at is None:
        if sanction.kind == Sanction.Kind.MUTE:
            return _("You are muted: you can still read, but not post, react or flag.")
        return _("You have been banned: you can still read, but not post, react or flag.")
    # The site's one date format (DATETIME_FORMAT, in the reader's language), and the zone.
    ends_at = timezone.localtime(sanction.ends_at)
    until = f"{formats.date_format(ends_at, 'DATETIME_FORMAT')} {ends_at.tzname()}"
    if sanction.kind == Sanction.Kind.MUTE:
        return _(
            "You are muted until %(until)s: you can still read, but not post, react or flag."
        ) % {"until": until}
    return _(
        "You have been banned until %(until)s: you can still read, but not post, react or flag."
    ) % {"until": until}


KIND_MESSAGE = gettext_noop("Kind must be mute, ban, shadowban or rate_limit.")
RATE_LIMIT_MESSAGE = gettext_noop("A rate limit needs limit_count (and limit_seconds).")


def sanction_create(
    *,
    actor: Actor,
    author_key: str,
    kind: str,
    reason: str,
    minutes: int | None = None,
    limit_count: int | None = None,
    limit_seconds: int | None = None,
    cookie_only: bool = False,
) -> Sanction:
    """Mute (needs minutes), ban or shadow-ban (permanent without minutes), or a rate-limit
    override (`limit_count` posts per `limit_seconds`, 60 by default). An identity without an
    account is also sanctioned by its last salted address hash, unless `cookie_only`: then
    only that browser (its cookie identity) is, and the neighbours behind the same address
    (`selectors.collateral`) are spared."""
    if kind not in Sanction.Kind.values:
        raise InvalidInput(_(KIND_MESSAGE), field="kind")
    require_reason(reason)
    target = selectors.identity_by_key(author_key)
    if target is None:
        raise InvalidInput(_("No identity has this author key."), field="author_key")
    if not permissions.can_sanction(actor.user, target):
        raise NotAllowed(_("You may not sanction this person."))
    if minutes is not None and not 1 <= minutes <= SANCTION_MAX_MINUTES:
        raise InvalidInput(_("Must be between 1 and 5256000 minutes."), field="minutes")
    if kind == Sanction.Kind.MUTE and minutes is None:
        raise InvalidInput(_("A mute needs a duration in minutes."), field="minutes")
    count = seconds = None
    if kind == Sanction.Kind.RATE_LIMIT:
        if limit_count is None:
            raise InvalidInput(_(RATE_LIMIT_MESSAGE), field="limit_count")
        count, seconds = limit_count, limit_seconds or 60
        if count < 0 or not 1 <= seconds <= 86400:
            raise InvalidInput(_("limit_count ≥ 0, limit_seconds 1–86400."), field="limit_count")
    now = timezone.now()
    by_address = target.kind != Identity.Kind.ACCOUNT and not cookie_only
    with transaction.atomic():
        sanction = Sanction.objects.create(
            identity=target,
            ip_hash=target.last_ip_hash if by_address else "",
            # last_ip_hash is rewritten (with last_seen_at) whenever it changes, so the day
            # the identity was last seen is the day of the salt its hash was made with.
            ip_salt_day=_salt_day(target) if by_address else None,
            kind=kind,
            reason=reason,
            starts_at=now,
            ends_at=now + timedelta(minutes=minutes) if minutes else None,
            limit_count=count,
            limit_seconds=seconds,
            created_by=account_of(actor),
            created_at=now,
        )
        audit.record(
            actor=actor,
            action=f"sanction.{kind}",
            target_type="identity",
            target_id=target.public_key,
            reason=reason,
            after=_sanction_snapshot(sanction),
        )
    return sanction


def _salt_day(target: Identity) -> date:
    # Salt days are UTC dates (tickets.identity.todays_salt uses timezone.now().date()).
    return target.last_seen_at.astimezone(UTC).date()


def _sanction_snapshot(sanction: Sanction) -> dict[str, Any]:
    return {
        "sanction": sanction.pk,
        "kind": sanction.kind,
        "ends_at": events.iso(sanction.ends_at) if sanction.ends_at else None,
        "limit_count": sanction.limit_count,
        "limit_seconds": sanction.limit_seconds,
        "revoked": sanction.revoked_at is not None,
        "follows_address": bool(sanction.ip_hash),
    }


def sanction_revoke(*, actor: Actor, sanction_id: int, reason: str) -> Sanction:
    require_reason(reason)
    with transaction.atomic():
        try:
            sanction = (
                Sanction.objects.select_for_update().select_related("identity").get(pk=sanction_id)
            )
        except (Sanction.DoesNotExist, OverflowError):
            raise NotFound(_("No such sanction.")) from None
        if not permissions.can_sanction(actor.user, sanction.identity):
            raise NotAllowed(_("You may not lift this sanction."))
        if sanction.revoked_at is not None:
            raise Conflict(_("This sanction was already lifted."))
        before = _sanction_snapshot(sanction)
        sanction.revoked_at = timezone.now()
        sanction.revoked_by = account_of(actor)
        sanction.revoke_reason = reason
        sanction.save(update_fields=["revoked_at", "revoked_by", "revoke_reason"])
        audit.record(
            actor=actor,
            action="sanction.revoke",
            target_type="identity",
            target_id=sanction.identity.public_key,
            reason=reason,
            before=before,
            after=_sanction_snapshot(sanction),
        )
    return sanction
