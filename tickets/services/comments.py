"""Public comments and their visibility."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from realtime import events, publish
from tickets import permissions, ratelimit
from tickets.errors import InvalidInput, NotFound
from tickets.identity import Actor
from tickets.models import (
    Comment,
    Ticket,
    TicketEvent,
)
from tickets.public import comment_public
from tickets.services.eventlog import _append_event, _lock_taking_seq, _lock_ticket
from tickets.services.photos import _photos_save, photo_check, photo_decode
from tickets.services.policy import _posting_decision, _rate_limit
from tickets.services.takedown import require_visible_to
from tickets.services.validation import (
    COMMENT_MAX,
    clean_text,
)

# Moderation also watches every new comment (its live feed); listeners are called with the
# comment inside the creating transaction, so they can publish with `transaction.on_commit`.
CommentListener = Callable[[Comment], None]
_comment_listeners: list[CommentListener] = []


def register_comment_listener(listener: CommentListener) -> None:
    if listener not in _comment_listeners:
        _comment_listeners.append(listener)


# --- Comments ----------------------------------------------------------------------------------

# What a comment's write reads of its ticket: its place, visibility, reporter and seq, the
# emergency's rules, and the jurisdiction's slug for the moderators' feed. The ORM compiles and
# converts every selected column on each read: the whole three rows (61 columns) took 1.24 ms
# on PostgreSQL, these 0.9 ms (docs/performance.md, "The write path", round 4). A column not
# listed is still read on use, by one more query, which the storm's query count
# (tests/tickets/test_write_queries.py) would show.
COMMENT_READ = (
    "title",
    "status",
    "visibility",
    "jurisdiction__slug",
    "jurisdiction__parent",
    "reporter",
    "seq",
    "updated_at",
    "event__slug",
    "event__starts_at",
    "event__ends_at",
    "event__premoderate_anonymous",
    "event__slow_mode_seconds",
    "event__anonymous_comment_limit",
)


def comment_create(
    *, actor: Actor, ticket_id: int, body: str, photos: Sequence[UploadedFile] | None = None
) -> Comment:
    """A public comment. Returns it visible, or held for review (the API answers 202)."""
    body = clean_text(body, field="body", max_length=COMMENT_MAX)
    checked_photos = photo_check(photos)  # headers only: a bomb is refused before any decode
    # With its event (the storm's rules) and jurisdiction (the moderators' feed): the one read
    # before the write, of the columns the write uses (COMMENT_READ).
    # get(), not first(): no ORDER BY to compile on the storm's hottest read.
    try:
        ticket = (
            Ticket.objects.select_related("event", "jurisdiction")
            .only(*COMMENT_READ)
            .get(pk=ticket_id)
        )
    except (Ticket.DoesNotExist, ValueError, TypeError):
        raise NotFound(_("No such ticket.")) from None
    require_visible_to(actor, ticket)
    identity = actor.identity()
    decision = _posting_decision(actor=actor, identity=identity, ticket=ticket, kind="comment")
    override = None
    emergency = ticket.event
    if emergency is not None and not emergency.is_active():
        emergency = None
    if emergency and not actor.is_authenticated and emergency.anonymous_comment_limit:
        override = (emergency.anonymous_comment_limit, 60)
    _rate_limit(actor, "comment", override=override)
    if emergency and emergency.slow_mode_seconds and not permissions.is_moderator(actor.user):
        ratelimit.slow_mode(
            scope=f"comment:{ticket.pk}", key=actor.key, seconds=emergency.slow_mode_seconds
        )
    if emergency and emergency.premoderate_anonymous and not actor.is_authenticated:
        decision.visibility = Comment.Visibility.HELD
    prepared_photos = photo_decode(checked_photos)  # only for a writer who may write now

    now = timezone.now()
    public = decision.visibility == Comment.Visibility.VISIBLE and not decision.shadow
    # One hop to the sockets after commit: the ticket's event, then the moderators' feed.
    with transaction.atomic(), publish.one_hop():
        # A public comment appends one event: its lock takes the seq (one statement fewer on
        # the storm's hottest write, docs/performance.md "The write path").
        ticket = _lock_taking_seq(ticket, at=now) if public else _lock_ticket(ticket.pk)
        comment = Comment.objects.create(
            ticket=ticket,
            author=identity,
            display_name=actor.display_name,
            body=body,
            official=permissions.is_agent_for(actor.user, ticket.jurisdiction_id),
            visibility=decision.visibility,
            shadow=decision.shadow,
            created_at=now,
            updated_at=now,
        )
        _photos_save(prepared_photos, ticket=ticket, comment=comment, uploader=identity)
        if public:
            _append_event(
                ticket,
                events.COMMENT_CREATED,
                comment_public(comment),
                at=now,
                actor=identity,
                seq_taken=True,
            )
        for listener in _comment_listeners:
            listener(comment)
    return comment


def comment_set_visibility(
    *, comment_id: int, visibility: str, reason: str = "", clear_shadow: bool = False
) -> Comment:
    """Hide, restore or approve a comment. Nothing is deleted: a hidden comment keeps its text
    for its author and the moderators. Permission checks belong to the caller (moderation)."""
    if visibility not in Comment.Visibility.values:
        raise InvalidInput(_("Unknown visibility."), field="visibility")
    with transaction.atomic():
        try:
            ticket_id = Comment.objects.values_list("ticket_id", flat=True).get(pk=comment_id)
        except (Comment.DoesNotExist, ValueError, TypeError):
            raise NotFound(_("No such comment.")) from None
        ticket = _lock_ticket(ticket_id)
        comment = Comment.objects.select_for_update().get(pk=comment_id)
        was_public = comment.visibility == Comment.Visibility.VISIBLE and not comment.shadow
        comment.visibility = visibility
        comment.moderation_reason = reason[:300]
        if clear_shadow:
            comment.shadow = False
        comment.updated_at = timezone.now()
        comment.save(update_fields=["visibility", "moderation_reason", "shadow", "updated_at"])
        is_public = comment.visibility == Comment.Visibility.VISIBLE and not comment.shadow
        if was_public and not is_public:
            _append_event(ticket, events.COMMENT_HIDDEN, {"id": comment.pk}, at=comment.updated_at)
        elif is_public and not was_public:
            published_before = TicketEvent.objects.filter(
                ticket=ticket, type=events.COMMENT_CREATED, data__id=comment.pk
            ).exists()
            kind = events.COMMENT_RESTORED if published_before else events.COMMENT_CREATED
            _append_event(ticket, kind, comment_public(comment), at=comment.updated_at)
    return comment
