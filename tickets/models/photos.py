"""Photos attached to a ticket or a comment (prepared and stored by `tickets.photos`)."""

from __future__ import annotations

import secrets

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tickets.models.people import Identity
from tickets.models.tickets import Comment, Ticket


def _photo_path(instance: Photo, filename: str) -> str:
    """Unguessable names, grouped by month; the uploader's file name is never kept."""
    now = timezone.now()
    return f"photos/{now:%Y/%m}/{secrets.token_urlsafe(16)}.jpg"


class Photo(models.Model):
    """A photo of a ticket, or of one of its comments (then `comment` is set too). Stored
    re-encoded by `tickets.photos` (resized, EXIF stripped) in the default file storage."""

    ticket = models.ForeignKey(Ticket, on_delete=models.PROTECT, related_name="photos")
    comment = models.ForeignKey(
        Comment, null=True, blank=True, on_delete=models.PROTECT, related_name="photos"
    )
    image = models.ImageField(
        _("photo"), upload_to=_photo_path, width_field="width", height_field="height"
    )
    width = models.PositiveIntegerField(default=0)
    height = models.PositiveIntegerField(default=0)
    size = models.PositiveIntegerField(default=0)
    uploader = models.ForeignKey(
        Identity, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("photo")
        verbose_name_plural = _("photos")

    def __str__(self) -> str:
        return f"photo {self.pk} of #{self.ticket_id}"

    @property
    def url(self) -> str:
        return self.image.url


# Casework: the log of merges (what moved, so that unmerge is exact) lives in its own module.
