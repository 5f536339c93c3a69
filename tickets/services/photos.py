"""Photos of tickets and comments."""

from __future__ import annotations

from collections.abc import Sequence

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from realtime import events
from tickets import permissions
from tickets import photos as photo_processing
from tickets.errors import Conflict, InvalidInput, NotAllowed, NotFound
from tickets.identity import Actor
from tickets.models import (
    Comment,
    Identity,
    Photo,
    Ticket,
)
from tickets.photos import PreparedPhoto
from tickets.services.eventlog import _append_event, _lock_ticket

# --- Photos ------------------------------------------------------------------------------------


def photo_prepare(
    uploads: Sequence[UploadedFile] | None, *, already: int = 0
) -> list[PreparedPhoto]:
    """Check and re-encode uploads (resized, EXIF stripped) before any transaction."""
    if not uploads:
        return []
    return photo_processing.prepare_all(uploads, already=already)


def _photos_save(
    prepared: list[PreparedPhoto],
    *,
    ticket: Ticket,
    uploader: Identity,
    comment: Comment | None = None,
) -> list[Photo]:
    saved = []
    for item in prepared:
        photo = Photo(ticket=ticket, comment=comment, uploader=uploader, size=item.size)
        photo.image.save(item.name, item.content, save=False)
        photo.width, photo.height = item.width, item.height
        photo.save()
        saved.append(photo)
    return saved


def photo_attach(
    *,
    actor: Actor,
    ticket_id: int,
    files: Sequence[UploadedFile],
    comment_id: int | None = None,
) -> list[Photo]:
    """Add photos to an existing ticket (its reporter or its agents) or comment (its author),
    at most `FIXLINE["PHOTO_MAX_COUNT"]` each. A ticket's new photos are a `ticket.updated`
    event (`changed: ["photos"]`)."""
    ticket = Ticket.objects.filter(pk=ticket_id).first()
    if ticket is None:
        raise NotFound(_("No such ticket."))
    identity = actor.identity()
    comment = None
    if comment_id is not None:
        comment = Comment.objects.filter(pk=comment_id, ticket=ticket).first()
        if comment is None:
            raise NotFound(_("No such comment."))
        allowed = comment.author_id == identity.pk
    else:
        allowed = identity.pk == ticket.reporter_id or permissions.is_agent_for(
            actor.user, ticket.jurisdiction_id
        )
    if not allowed:
        raise NotAllowed(_("Only the author can add photos here."))
    existing = Photo.objects.filter(ticket=ticket, comment=comment).count()
    prepared = photo_prepare(files, already=existing)
    if not prepared:
        raise InvalidInput(_("Choose at least one photo."), field="photos")
    with transaction.atomic():
        ticket = _lock_ticket(ticket.pk)
        if Photo.objects.filter(ticket=ticket, comment=comment).count() != existing:
            raise Conflict(_("Photos were added at the same time; try again."))
        saved = _photos_save(prepared, ticket=ticket, comment=comment, uploader=identity)
        if comment is None:
            _append_event(
                ticket,
                events.TICKET_UPDATED,
                {"changed": ["photos"]},
                at=timezone.now(),
                actor=identity,
            )
    return saved
