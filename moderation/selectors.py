"""Moderation reads: the review queue, flag scores, active sanctions, offers as each viewer
may see them, the audit log, the console's events.

Over 400 lines because every read the console and the event pages share lives here (the
write layer's one read module); each section below is one concept."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from moderation import feed, permissions
from moderation.models import Announcement, AuditEntry, Flag, Offer, Sanction
from realtime.events import iso
from tickets import permissions as base
from tickets.feeds import FEED_SIZE, Entry
from tickets.identity import Actor, sanction_ip_hashes
from tickets.models import Comment, EmergencyEvent, Identity, Ticket


def moderation_settings() -> dict[str, Any]:
    """Flag weights and the hiding threshold: FIXLINE["MODERATION"] in project/settings.py
    is their one definition."""
    fixline: dict[str, Any] = settings.FIXLINE  # a plain dict of mixed values
    configured = fixline["MODERATION"]
    standing = configured.get("STANDING", {})
    return {
        "FLAG_WEIGHTS": dict(configured["FLAG_WEIGHTS"]),
        "HIDE_THRESHOLD": float(configured["HIDE_THRESHOLD"]),
        "STANDING_MIN_ACCOUNT_DAYS": int(standing.get("MIN_ACCOUNT_DAYS", 7)),
        "STANDING_MIN_HISTORY_HOURS": int(standing.get("MIN_HISTORY_HOURS", 24)),
    }


def has_standing(user: Any) -> bool:
    """The one definition of an account with standing, whose flag counts on its own: old
    enough (FIXLINE["MODERATION"]["STANDING"]["MIN_ACCOUNT_DAYS"]) and with a history (a
    visible comment or a ticket older than MIN_HISTORY_HOURS). Staff always have it. Accounts
    without it flag like anonymous people: their flags merge by address. (When accounts get
    a verified e-mail flag, require it here too.)"""
    if not base.is_account(user):
        return False
    if base.is_moderator(user):
        return True
    conf = moderation_settings()
    now = timezone.now()
    if user.date_joined > now - timedelta(days=conf["STANDING_MIN_ACCOUNT_DAYS"]):
        return False
    settled = now - timedelta(hours=conf["STANDING_MIN_HISTORY_HOURS"])
    identity = Identity.objects.filter(user=user).first()
    if identity is None:
        return False
    return (
        Ticket.objects.filter(reporter=identity, created_at__lte=settled).exists()
        or Comment.objects.filter(
            author=identity,
            created_at__lte=settled,
            visibility=Comment.Visibility.VISIBLE,
            shadow=False,
        ).exists()
    )


def score_of(flags: list[Flag]) -> float:
    """Sum of open flag weights. Flags that carry an address (people without an account, and
    accounts without standing: `has_standing`) count once per address (same daily-salted
    hash, the highest weight): clearing cookies or opening accounts does not multiply a flag."""
    total = 0.0
    by_address: dict[str, float] = defaultdict(float)
    for flag in flags:
        if flag.resolution != Flag.Resolution.OPEN:
            continue
        if flag.ip_hash:
            by_address[flag.ip_hash] = max(by_address[flag.ip_hash], flag.weight)
        else:
            total += flag.weight
    return total + sum(by_address.values())


def comment_score(comment_id: int) -> float:
    return target_score(comment=comment_id)


def target_score(**target: int) -> float:
    """The open flags' score of one comment, ticket or offer (`comment=`, `ticket=`, `offer=`)."""
    return score_of(list(Flag.objects.filter(resolution=Flag.Resolution.OPEN, **target)))


# --- Sanctions ---------------------------------------------------------------------------------


def active_sanctions(*, identity: Identity, actor: Actor | None = None) -> list[Sanction]:
    """Sanctions in force on this identity and, for someone without an account, on the
    address their request comes from. An account is never caught by an address match."""
    hashes: set[str] = set()
    if identity.kind != Identity.Kind.ACCOUNT and not (actor and actor.is_authenticated):
        hashes = {identity.last_ip_hash}
        if actor is not None and actor.ip:
            # Today's hash and the ones under older salts kept for sanctions: an address ban
            # outlives the daily salt rotation.
            hashes |= sanction_ip_hashes(actor.ip)
        hashes.discard("")
    # Raw SQL, the same as `_in_force(filter(Q(identity) | Q(ip_hash__in)))`: this runs before
    # every write, and the ORM took 1.1 ms to build it against 0.4 ms for the whole raw query
    # (docs/performance.md, "The write path"). tests/moderation/test_sanctions.py covers each
    # condition.
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    by_address = f' OR "ip_hash" IN ({", ".join(["%s"] * len(hashes))})' if hashes else ""
    return list(
        Sanction.objects.raw(
            f'SELECT * FROM "moderation_sanction" WHERE ("identity_id" = %s{by_address}) '
            'AND "revoked_at" IS NULL AND "starts_at" <= %s '
            'AND ("ends_at" IS NULL OR "ends_at" > %s) ORDER BY "created_at", "id"',
            [identity.pk, *sorted(hashes), now, now],
        )
    )


def _in_force(sanctions: QuerySet[Sanction]) -> QuerySet[Sanction]:
    now = timezone.now()
    return sanctions.filter(revoked_at__isnull=True, starts_at__lte=now).filter(
        Q(ends_at__isnull=True) | Q(ends_at__gt=now)
    )


def salt_days_in_use() -> set[date]:
    """Salt keeper (registered with `tickets.identity`): the days whose salts active address
    sanctions were keyed with, kept through the daily rotation until the sanction ends."""
    days = (
        _in_force(Sanction.objects.exclude(ip_hash=""))
        .exclude(ip_salt_day__isnull=True)
        .values_list("ip_salt_day", flat=True)
        .distinct()
    )
    return {day for day in days if day is not None}


def identity_by_key(author_key: str) -> Identity | None:
    if not author_key or len(author_key) > 32:
        return None
    return Identity.objects.filter(public_key=author_key).first()


# --- Queue ---------------------------------------------------------------------------------


def _scoped(qs: QuerySet[Any], user: Any, field: str) -> QuerySet[Any]:
    if permissions.moderates_everywhere(user):
        return qs
    return qs.filter(**{f"{field}__in": base.agent_jurisdiction_ids(user)})


def _open_flags(field: str, ids: list[int]) -> dict[int, list[Flag]]:
    flags: dict[int, list[Flag]] = defaultdict(list)
    for flag in Flag.objects.filter(
        **{f"{field}_id__in": ids}, resolution=Flag.Resolution.OPEN
    ).order_by("created_at", "id"):
        flags[getattr(flag, f"{field}_id")].append(flag)
    return flags


def _item(
    kind: str, target: Any, ticket: Ticket | None, flags: list[Flag], held: bool
) -> dict[str, Any]:
    return {
        "kind": kind,
        "id": target.pk,
        "comment": target if kind == "comment" else None,
        "offer": target if kind == "offer" else None,
        "ticket": ticket,
        "score": score_of(flags),
        "flags": flags,
        "held": held,
        "created_at": target.created_at,
    }


def queue_item(*, user: Any, kind: str, pk: int) -> dict[str, Any] | None:
    """One item of the user's queue, or None when it is not (or no longer) in it."""
    if kind not in ("comment", "ticket", "offer") or not 0 < pk < 2**62:
        return None
    items = queue(user=user, only=(kind, pk))
    return items[0] if items else None


def queue(
    *, user: Any, limit: int = 200, only: tuple[str, int] | None = None
) -> list[dict[str, Any]]:
    """Flagged (open flags) and held comments, and flagged tickets and offers, that the user
    may act on, most urgent first: highest flag score, then oldest. Each item has a `kind`
    ("comment", "ticket" or "offer"). `only` = (kind, id) narrows it to one item."""
    open_flags = Flag.objects.filter(resolution=Flag.Resolution.OPEN)
    comments = _scoped(
        Comment.objects.filter(
            Q(pk__in=open_flags.filter(comment__isnull=False).values("comment_id"))
            | Q(visibility=Comment.Visibility.HELD)
        ).select_related("ticket", "ticket__jurisdiction", "author"),
        user,
        "ticket__jurisdiction_id",
    )
    tickets = _scoped(
        Ticket.objects.filter(
            pk__in=open_flags.filter(ticket__isnull=False).values("ticket_id")
        ).select_related("jurisdiction", "reporter"),
        user,
        "jurisdiction_id",
    )
    offers = Offer.objects.filter(
        pk__in=open_flags.filter(offer__isnull=False).values("offer_id")
    ).select_related("ticket", "ticket__jurisdiction", "event", "author")
    if not permissions.moderates_everywhere(user):
        offers = offers.filter(
            Q(ticket__isnull=True)
            | Q(ticket__jurisdiction_id__in=base.agent_jurisdiction_ids(user))
        )
    if only is not None:
        kind, pk = only
        none = Q(pk__in=[])
        comments = comments.filter(Q(pk=pk) if kind == "comment" else none)
        tickets = tickets.filter(Q(pk=pk) if kind == "ticket" else none)
        offers = offers.filter(Q(pk=pk) if kind == "offer" else none)
    comment_rows = list(comments.order_by("created_at", "id")[: limit * 2])
    ticket_rows = list(tickets.order_by("created_at", "id")[:limit])
    offer_rows = list(offers.order_by("created_at", "id")[:limit])
    by_comment = _open_flags("comment", [c.pk for c in comment_rows])
    by_ticket = _open_flags("ticket", [t.pk for t in ticket_rows])
    by_offer = _open_flags("offer", [o.pk for o in offer_rows])
    items = [
        _item(
            "comment",
            c,
            c.ticket,
            by_comment.get(c.pk, []),
            c.visibility == Comment.Visibility.HELD,
        )
        for c in comment_rows
    ]
    items += [_item("ticket", t, t, by_ticket.get(t.pk, []), False) for t in ticket_rows]
    items += [_item("offer", o, o.ticket, by_offer.get(o.pk, []), False) for o in offer_rows]
    items.sort(key=lambda i: (-i["score"], i["created_at"], i["kind"], i["id"]))
    return items[:limit]


def pending_offers(*, user: Any, limit: int = 100) -> list[Offer]:
    """Offers awaiting a decision or under way (pending, accepted) that the user handles,
    oldest first: the console's offer queue."""
    offers = Offer.objects.filter(
        status__in=(Offer.Status.PENDING, Offer.Status.ACCEPTED)
    ).select_related("ticket", "ticket__jurisdiction", "event", "author")
    if not permissions.moderates_everywhere(user):
        offers = offers.filter(
            Q(ticket__isnull=True)
            | Q(ticket__jurisdiction_id__in=base.agent_jurisdiction_ids(user))
        )
    return list(offers.order_by("created_at", "id")[:limit])


def active_sanction_list(*, limit: int = 200) -> list[Sanction]:
    """Sanctions in force now, soonest to end first (permanent ones last)."""
    rows = _in_force(Sanction.objects.select_related("identity", "created_by"))
    return sorted(
        rows.order_by("-created_at", "-id")[:limit],
        key=lambda s: (s.ends_at is None, s.ends_at or s.created_at),
    )


def collateral(identity: Identity) -> int:
    """How many OTHER identities were seen from this identity's (salted) network address in
    the last 24 h: the people an address-following sanction would also catch."""
    if identity.kind == Identity.Kind.ACCOUNT or not identity.last_ip_hash:
        return 0
    since = timezone.now() - timedelta(hours=24)
    return (
        Identity.objects.filter(last_ip_hash=identity.last_ip_hash, last_seen_at__gte=since)
        .exclude(pk=identity.pk)
        .count()
    )


def last_action_on(
    target_type: str, target_id: int | str, actions: Iterable[str] | None = None
) -> AuditEntry | None:
    """The latest audit entry on a target (of `actions`, when given): who handled it, for
    "Already handled by …"."""
    rows = AuditEntry.objects.filter(target_type=target_type, target_id=str(target_id))
    if actions is not None:
        rows = rows.filter(action__in=list(actions))
    return rows.order_by("-at", "-id").first()


# --- Offers ------------------------------------------------------------------------------------

NEIGHBOUR_HELPING = "A neighbour is helping"
PUBLIC_OFFER_STATUSES = (Offer.Status.ACCEPTED, Offer.Status.COMPLETED)


def can_handle_offer(user: Any, offer: Offer) -> bool:
    jurisdiction_id = offer.ticket.jurisdiction_id if offer.ticket is not None else None
    return permissions.can_moderate_jurisdiction(user, jurisdiction_id)


def offer_public(offer: Offer) -> dict[str, Any]:
    """What anyone may see of an offer: no message, no identity, no contact."""
    label = (
        _("A neighbour is helping")
        if offer.status == Offer.Status.ACCEPTED
        else _("A neighbour helped")
        if offer.status == Offer.Status.COMPLETED
        else _("A neighbour offered to help")
    )
    return {
        "id": offer.pk,
        "status": offer.status,
        "author": str(label),
        "created_at": iso(offer.created_at),
    }


def offer_private(offer: Offer) -> dict[str, Any]:
    """Everything, for the agents and volunteers handling it (and for its author)."""
    return {
        "id": offer.pk,
        "ticket": offer.ticket_id,
        "event": offer.event.slug if offer.event is not None else None,
        "status": offer.status,
        "held": offer.held,
        "message": offer.message,
        "skills": offer.skills,
        "availability": offer.availability,
        "area": offer.area,
        "contact": offer.contact,
        "author_key": offer.author.public_key,
        "note": offer.note,
        "created_at": iso(offer.created_at),
        **feed.scope_of(offer.ticket),
    }


def public_offers(ticket: Ticket) -> QuerySet[Offer]:
    """Offers shown on a ticket's public page: accepted ("a neighbour is helping") or done."""
    return ticket.offers.filter(status__in=PUBLIC_OFFER_STATUSES).order_by("created_at", "id")


def offers_for(
    *, user: Any, ticket: Ticket | None = None, emergency: EmergencyEvent | None = None
) -> QuerySet[Offer]:
    qs = Offer.objects.select_related("ticket", "event", "author")
    if ticket is not None:
        qs = qs.filter(ticket=ticket)
    if emergency is not None:
        qs = qs.filter(event=emergency)
    return qs.order_by("created_at", "id")


def audit_log(*, user: Any) -> QuerySet[AuditEntry]:
    """Admins and trusted volunteers (who act everywhere) read the whole log; an agent reads
    the entries of their jurisdictions and the ones tied to no place (sanctions, trust)."""
    entries = AuditEntry.objects.all().order_by("-at", "-id")
    if base.is_admin(user) or base.is_trusted_volunteer(user):
        return entries
    return entries.filter(
        Q(jurisdiction_id_ref__in=base.agent_jurisdiction_ids(user))
        | Q(jurisdiction_id_ref__isnull=True)
    )


def console_events(*, user: Any, limit: int = 50) -> list[EmergencyEvent]:
    """The console's events card: events in effect or coming up that `user` may edit and end
    (each with `active`), soonest first. Nothing for those who may not declare events."""
    if not permissions.can_declare_emergency(user):
        return []
    now = timezone.now()
    rows = (
        EmergencyEvent.objects.filter(Q(ends_at__isnull=True) | Q(ends_at__gt=now))
        .select_related("jurisdiction")
        .order_by("starts_at", "id")[:limit]
    )
    events = [e for e in rows if permissions.can_moderate_jurisdiction(user, e.jurisdiction_id)]
    for emergency in events:
        emergency.active = emergency.is_active(now)  # type: ignore[attr-defined]
    return events


# --- Emergencies: their announcements and their offers, as the public sees them ----------------


def announcements(emergency: EmergencyEvent) -> QuerySet[Announcement]:
    """Visible announcements of an event, newest first."""
    return Announcement.objects.filter(event=emergency, hidden=False).select_related("event")


def latest_announcement(event_id: int | None) -> Announcement | None:
    if event_id is None:
        return None
    return Announcement.objects.filter(event_id=event_id, hidden=False).first()


def event_offer_counts(emergency: EmergencyEvent) -> dict[str, int]:
    """Public view of an event's offers: how many neighbours help (accepted) and how many
    offers wait for review. Never who, never a contact."""
    offers = Offer.objects.filter(Q(event=emergency) | Q(ticket__event=emergency))
    return {
        "helping": offers.filter(status=Offer.Status.ACCEPTED).count(),
        "pending": offers.filter(status=Offer.Status.PENDING).count(),
    }


def announcement_entries(emergency: EmergencyEvent) -> list[Entry]:
    """An event's visible announcements as entries of its RSS/Atom feed."""
    return [
        Entry(
            guid=f"fixline-announcement-{a.pk}",
            title=_("Announcement: %(name)s") % {"name": emergency.name},
            body=a.body,
            author=a.author_name or "Fixline",
            at=a.created_at,
            link=f"/events/{emergency.slug}/",
        )
        for a in announcements(emergency)[:FEED_SIZE]
    ]
