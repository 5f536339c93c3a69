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
from tickets.photos import CheckedPhoto, PreparedPhoto
from tickets.services.eventlog import _append_event, _lock_ticket

# --- Photos ------------------------------------------------------------------------------------


def photo_check(uploads: Sequence[UploadedFile] | None, *, already: int = 0) -> list[CheckedPhoto]:
    """Count, size, format and declared pixels of the uploads, from their headers only: cheap
    enough to run before the posting policy and the rate limit; no pixel is decoded."""
    if not uploads:
        return []
    return photo_processing.check_all(uploads, already=already)


def photo_decode(checked: list[CheckedPhoto]) -> list[PreparedPhoto]:
    """Decode and re-encode checked uploads (resized, EXIF stripped) before any transaction.
    Call it only once the writer may write (policy and rate limit passed): decoding is the
    expensive part."""
    return photo_processing.decode_all(checked)


def photo_prepare(
    uploads: Sequence[UploadedFile] | None, *, already: int = 0
) -> list[PreparedPhoto]:
    """Both steps, for callers with nothing to check in between."""
    return photo_decode(photo_check(uploads, already=already))


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
