"""Reads of the event page, the hub of an emergency (`/events/<slug>/`): its offers of help as
anyone may see them (moderators also see those awaiting review) and its activity feed (new
tickets, status changes, announcements, accepted offers), newest first.

Public only: no taken-down ticket, no hidden announcement, no held offer, and never an
offer's contact, message, area or author. The page renders the first entries; newer ones
arrive over the event's feed socket (`ticket.created`, `ticket.status_changed`,
`event.announcement`, `event.offer`) and the page's script adds them with the same sentences
(`sentences()`, sent to it in the page's language)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from moderation import selectors
from moderation.models import Offer
from realtime.events import iso
from tickets import selectors as ticket_selectors
from tickets.models import EmergencyEvent, StatusChange, Ticket

ACTIVITY_SIZE = 20  # entries rendered with the page; the script keeps at most ACTIVITY_KEEP
ACTIVITY_KEEP = 50
OFFERS_SIZE = 50
LISTED = (Offer.Status.ACCEPTED, Offer.Status.COMPLETED)


def sentences() -> dict[str, dict[str, str]]:
    """The words of the offers list and the activity feed, in the active language; the page
    renders with them and hands them to its script for live entries."""
    return {
        "offer": {
            "pending": _("Awaiting review"),
            "accepted": _("A neighbour is helping"),
            "completed": _("A neighbour helped"),
        },
        "activity": {
            "ticket": _("New ticket"),
            "status": _("Status: %(status)s"),
            "announcement": _("Announcement"),
            "accepted": _("Offer of help accepted"),
            "completed": _("A neighbour helped"),
        },
        "words": {
            "whole_event": _("For the whole event"),
            "review": _("Review in the console"),
            "no_skills": _("Help offered"),
        },
    }


def _event_offers(emergency: EmergencyEvent) -> QuerySet[Offer]:
    """Offers on the event itself or on one of its tickets, never on a taken-down ticket."""
    shown = ticket_selectors.public_tickets().filter(event=emergency)
    return (
        Offer.objects.filter(Q(event=emergency) | Q(ticket__event=emergency))
        .filter(Q(ticket__isnull=True) | Q(ticket__in=shown))
        .select_related("ticket")
    )


def event_offers(emergency: EmergencyEvent, *, moderator: bool) -> list[Offer]:
    """Accepted and completed offers for everyone; moderators also see pending ones (held
    ones too: they review them in the console)."""
    statuses = [*LISTED, Offer.Status.PENDING] if moderator else list(LISTED)
    offers = _event_offers(emergency).filter(status__in=statuses)
    if not moderator:
        offers = offers.filter(held=False)
    return list(offers.order_by("-updated_at", "-id")[:OFFERS_SIZE])


def event_of(offer: Offer) -> EmergencyEvent | None:
    if offer.event is not None:
        return offer.event
    return offer.ticket.event if offer.ticket is not None else None


def offer_public(offer: Offer, event: str) -> dict[str, Any]:
    """`event.offer`'s data: what anyone may see. A pending offer says only that it exists
    (nothing unreviewed is shown): no skills, no ticket title."""
    data: dict[str, Any] = {
        "id": offer.pk,
        "event": event,
        "status": offer.status,
        "ticket": offer.ticket_id,
        "at": iso(offer.updated_at),
    }
    if offer.status != Offer.Status.PENDING:
        data["skills"] = offer.skills
        if offer.ticket is not None:
            data["ticket_title"] = offer.ticket.title
            data["ticket_url"] = offer.ticket.get_absolute_url()
    return data


@dataclass
class Activity:
    """One entry of the feed. `key` names it once (the script skips an entry it has)."""

    key: str
    kind: str  # ticket, status, announcement, accepted, completed
    at: datetime
    ticket: Ticket | None = None
    status: str = ""
    body: str = ""
    skills: str = ""

    @property
    def status_label(self) -> str:
        return str(Ticket.Status(self.status).label) if self.status else ""


def status_key(ticket_id: int, to: str, at: datetime) -> str:
    return f"status-{ticket_id}-{to}-{iso(at)}"


def activity(emergency: EmergencyEvent, size: int = ACTIVITY_SIZE) -> list[Activity]:
    """The latest entries of the event's feed, newest first."""
    shown = ticket_selectors.public_tickets().filter(event=emergency)
    entries = [
        Activity(key=f"ticket-{t.pk}", kind="ticket", at=t.created_at, ticket=t)
        for t in shown.order_by("-created_at", "-id")[:size]
    ]
    changes = (
        StatusChange.objects.filter(ticket__in=shown)
        .select_related("ticket")
        .order_by("-at", "-id")[:size]
    )
    entries += [
        Activity(
            key=status_key(c.ticket_id, c.to_status, c.at),
            kind="status",
            at=c.at,
            ticket=c.ticket,
            status=c.to_status,
        )
        for c in changes
    ]
    entries += [
        Activity(key=f"announcement-{a.pk}", kind="announcement", at=a.created_at, body=a.body)
        for a in selectors.announcements(emergency).order_by("-created_at", "-id")[:size]
    ]
    offers = (
        _event_offers(emergency)
        .filter(status__in=LISTED, held=False)
        .order_by("-updated_at", "-id")[:size]
    )
    entries += [
        Activity(
            key=f"offer-{o.pk}-{o.status}",
            kind=o.status,
            at=o.updated_at,
            ticket=o.ticket,
            skills=o.skills,
        )
        for o in offers
    ]
    entries.sort(key=lambda e: e.at, reverse=True)
    return entries[:size]
