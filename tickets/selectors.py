"""Reads that matter: what a given viewer may see, the event log, similar reports."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from realtime.events import envelope
from tickets import config, geo, permissions
from tickets.models import Comment, ServiceType, Ticket, TicketEvent

EVENTS_PAGE_MAX = 500


def ticket_list() -> QuerySet[Ticket]:
    return Ticket.objects.select_related("service_type", "jurisdiction", "event")


def ticket_get(ticket_id: Any) -> Ticket | None:
    """Any ticket, taken down or not: for writers and staff. Pages and public answers use
    `ticket_get_for` (one viewer) or `public_tickets` (lists)."""
    try:
        return ticket_list().get(pk=int(ticket_id))
    except (Ticket.DoesNotExist, ValueError, TypeError, OverflowError):
        return None


# --- Takedown: the one public filter -----------------------------------------------------------


def public_tickets() -> QuerySet[Ticket]:
    """Every public list, map, feed, export, widget and Open311 answer reads from here: a
    taken-down ticket is not in it (until it is restored)."""
    return Ticket.objects.public().select_related("service_type", "jurisdiction", "event")


def sees_hidden(ticket: Ticket, *, user: Any, identity_id: int | None) -> bool:
    """Its reporter and its moderators would still see this ticket taken down."""
    if identity_id is not None and identity_id == ticket.reporter_id:
        return True
    return permissions.is_moderator_for(user, ticket.jurisdiction_id)


def can_see_ticket(ticket: Ticket, *, user: Any, identity_id: int | None) -> bool:
    """A hidden ticket is still seen, marked, by its reporter and its moderators."""
    if ticket.visibility == Ticket.Visibility.VISIBLE:
        return True
    return sees_hidden(ticket, user=user, identity_id=identity_id)


def ticket_get_for(ticket_id: Any, *, user: Any, identity_id: int | None) -> Ticket | None:
    """The ticket if this viewer may see it; None (a 404) for a taken-down one otherwise."""
    ticket = ticket_get(ticket_id)
    if ticket is None or not can_see_ticket(ticket, user=user, identity_id=identity_id):
        return None
    return ticket


def ticket_for_socket(ticket_id: Any) -> Ticket | None:
    """What a ticket socket's handshake reads, in one query: its seq, its jurisdiction (for
    the casework rule), its visibility and its reporter's key (takedown: is this browser the
    one that filed it?), its emergency's slug (announcements) and stored counters (`hello`)."""
    fields = (
        "id",
        "seq",
        "jurisdiction_id",
        "views",
        "followers",
        "votes",
        "thanks",
        "visibility",
        "reporter__key",
        "event__slug",
    )
    query = Ticket.objects.select_related("event", "reporter").only(*fields)
    return query.filter(pk=ticket_id).first()


def comments_for(ticket: Ticket, *, user: Any, identity_id: int | None) -> QuerySet[Comment]:
    """Visible comments, oldest first; their own held/hidden/shadowed comments for an author;
    everything, marked, for moderators."""
    qs = ticket.comments.select_related("author")
    if permissions.is_moderator_for(user, ticket.jurisdiction_id):
        return qs
    public = Q(visibility=Comment.Visibility.VISIBLE, shadow=False)
    if identity_id is not None:
        return qs.filter(public | Q(author_id=identity_id))
    return qs.filter(public)


def events_since(ticket_id: int, since: int, *, limit: int = EVENTS_PAGE_MAX) -> list[TicketEvent]:
    return list(
        TicketEvent.objects.filter(ticket_id=ticket_id, seq__gt=since).order_by("seq")[:limit]
    )


_COMMENT_TEXT_EVENTS = {"comment.created", "comment.restored"}
# What a taken-down ticket's log no longer serves: the events that carry its own text.
_TICKET_TEXT_EVENTS = {"ticket.created", "ticket.updated", "ticket.status_changed"}


def public_events_since(
    ticket_id: int, since: int, *, limit: int = EVENTS_PAGE_MAX
) -> list[dict[str, Any]]:
    """The log as the public may read it now, as envelopes. A comment hidden (or held, or
    shadowed) since it was logged is served as `comment.hidden` at its original seq, so a
    replay never shows text a moderator has taken down, and seq numbering stays gapless. So
    is a taken-down ticket: the events carrying its title and description are served as
    `ticket.hidden` at their seq (whoever reads: its page shows the rest to those allowed)."""
    rows = events_since(ticket_id, since, limit=limit)
    hidden = (
        Ticket.objects.filter(pk=ticket_id, visibility=Ticket.Visibility.HIDDEN).exists()
        if any(r.type in _TICKET_TEXT_EVENTS for r in rows)
        else False
    )
    comment_ids = {r.data.get("id") for r in rows if r.type in _COMMENT_TEXT_EVENTS}
    public_ids = (
        set(
            Comment.objects.filter(
                pk__in=comment_ids, visibility=Comment.Visibility.VISIBLE, shadow=False
            ).values_list("pk", flat=True)
        )
        if comment_ids
        else set()
    )
    out = []
    for r in rows:
        type_, data = r.type, r.data
        if type_ in _COMMENT_TEXT_EVENTS and data.get("id") not in public_ids:
            type_, data = "comment.hidden", {"id": data.get("id")}
        elif hidden and type_ in _TICKET_TEXT_EVENTS:
            type_, data = "ticket.hidden", {"id": r.ticket_id, "visibility": "hidden"}
        out.append(envelope(type=type_, ticket=r.ticket_id, seq=r.seq, at=r.at, data=data))
    return out


def ticket_counters_many(ticket_ids: list[int]) -> dict[int, dict[str, int]]:
    rows = Ticket.objects.filter(pk__in=ticket_ids).values(
        "id", "views", "followers", "votes", "thanks"
    )
    return {
        row["id"]: {
            "views": row["views"],
            "followers": row["followers"],
            "votes": row["votes"],
            "thanks": row["thanks"],
            "watching": 0,
        }
        for row in rows
    }


def similar_open_tickets(
    *, service_type: ServiceType, lat: float, long: float, exclude_id: int | None = None
) -> list[Ticket]:
    """Open tickets of the same type within the configured radius (250 m), nearest first."""
    radius = config.setting_int("SIMILAR_RADIUS_METERS")
    min_lat, min_long, max_lat, max_long = geo.bbox_around(lat, long, radius)
    candidates = Ticket.objects.public().filter(
        service_type=service_type,
        status__in=[Ticket.Status.OPEN, Ticket.Status.ACKNOWLEDGED],
        lat__gte=min_lat,
        lat__lte=max_lat,
        long__gte=min_long,
        long__lte=max_long,
    )
    if exclude_id is not None:
        candidates = candidates.exclude(pk=exclude_id)
    near = [(geo.distance_m(lat, long, t.lat, t.long), t) for t in candidates]
    return [t for d, t in sorted(near, key=lambda p: p[0]) if d <= radius]
