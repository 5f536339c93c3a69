"""Announcements: a moderator's message to everyone following an emergency. Pinned on the
event page and on the pages of its tickets, live (`event.announcement`, not durable). Never
deleted; hiding one takes it off every page."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from moderation import permissions
from moderation.models import ANNOUNCED, Announcement
from moderation.services import audit
from moderation.services._common import account_of, require_reason
from realtime import events, publish
from tickets import pagecache
from tickets.errors import Conflict, InvalidInput, NotAllowed, NotFound
from tickets.identity import Actor
from tickets.models import EmergencyEvent, Ticket

BODY_MAX = 2000


def _require_announcer(actor: Actor, emergency: EmergencyEvent) -> None:
    """Moderators of the event's place: trusted volunteers and admins everywhere, agents of
    its jurisdiction (any agent for an event without one)."""
    if not permissions.is_moderator(actor.user) or not permissions.can_moderate_jurisdiction(
        actor.user, emergency.jurisdiction_id
    ):
        raise NotAllowed(_("Only this event's moderators can post announcements."))


def _event(slug: str) -> EmergencyEvent:
    emergency = EmergencyEvent.objects.filter(slug=slug).first()
    if emergency is None:
        raise NotFound(_("No such event."))
    return emergency


def require_announcer(*, actor: Actor, event: str) -> EmergencyEvent:
    """Who before what: the API checks this before reading the body (a 403 before a 400)."""
    emergency = _event(event)
    _require_announcer(actor, emergency)
    return emergency


def _broadcast(announcement: Announcement, slug: str) -> None:
    message = events.envelope(
        type=events.EVENT_ANNOUNCEMENT,
        ticket=None,
        data={
            "id": announcement.pk,
            "body": announcement.body,
            "event": slug,
            "at": events.iso(announcement.created_at),
        },
        at=announcement.created_at,
    )
    groups = [publish.feed_group(event=slug), publish.event_group(slug)]
    transaction.on_commit(lambda: publish.send_to_groups(groups, message))
    _forget_pages(announcement.event_id)


def _forget_pages(event_id: int) -> None:
    """A page stored for anonymous visitors shows the event's latest announcement: forget those
    of the event's tickets once committed, so a page loaded then is current (and a hidden
    announcement is never served from the cache)."""
    ticket_ids = list(Ticket.objects.filter(event_id=event_id).values_list("id", flat=True))
    transaction.on_commit(lambda: pagecache.invalidate_many(ticket_ids))


def announcement_create(*, actor: Actor, event: str, body: str) -> Announcement:
    """Post an announcement (plain text, checked by the edges); every open page of the event
    and of its tickets shows it within a second."""
    emergency = require_announcer(actor=actor, event=event)
    if not body:
        raise InvalidInput(_("This field is required."), field="body")
    if len(body) > BODY_MAX:
        raise InvalidInput(_("At most 2000 characters."), field="body")
    with transaction.atomic():
        announcement = Announcement.objects.create(
            event=emergency,
            body=body,
            author=account_of(actor),
            author_name=actor.display_name,
        )
        audit.record(
            actor=actor,
            action="announcement.create",
            target_type="announcement",
            target_id=announcement.pk,
            reason=ANNOUNCED,
            after={"event": emergency.slug, "body": body},
        )
        _broadcast(announcement, emergency.slug)
    return announcement


def announcement_set_hidden(
    *, actor: Actor, announcement_id: int, hidden: bool, reason: str
) -> Announcement:
    """Hide an announcement (or show it again); it is never deleted."""
    require_reason(reason)
    with transaction.atomic():
        announcement = (
            Announcement.objects.select_for_update()
            .select_related("event")
            .filter(pk=announcement_id)
            .first()
        )
        if announcement is None:
            raise NotFound(_("No such announcement."))
        _require_announcer(actor, announcement.event)
        if announcement.hidden == hidden:
            raise Conflict(_("Already hidden.") if hidden else _("Already visible."))
        announcement.hidden = hidden
        announcement.save(update_fields=["hidden"])
        audit.record(
            actor=actor,
            action="announcement.hide" if hidden else "announcement.restore",
            target_type="announcement",
            target_id=announcement.pk,
            reason=reason,
            before={"hidden": not hidden},
            after={"hidden": hidden},
        )
        _forget_pages(announcement.event_id)
    return announcement
