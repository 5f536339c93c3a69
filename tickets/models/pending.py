"""Photos of a report form that came back with an error, kept until it is sent again."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class PendingPhoto(models.Model):
    """An upload of a report form whose submission failed (a missing title, a rate limit),
    kept as uploaded so that the resubmission attaches it without asking for it again. The
    form carries a signed token naming the batch; rows expire after a day and are deleted by
    the next batch that is kept (`tickets.services.pending`). In the database, not on a disk,
    so that every server of a cluster reads it; never served to anyone."""

    token = models.CharField(max_length=64, db_index=True)
    name = models.CharField(max_length=200)
    content = models.BinaryField()
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("photo awaiting its report")
        verbose_name_plural = _("photos awaiting their report")

    def __str__(self) -> str:
        return self.name
