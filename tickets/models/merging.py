"""Casework: the log of merges. One row per merge of a duplicate into an original, with the
people whose follow and vote moved, so that unmerge puts back exactly what the merge took
(people who already followed or voted on the original before the merge keep it).

Its own module so `tickets.models` stays readable; `tickets.models` re-exports it, and it names
the other models by string, so it imports none of them."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class MergeRecord(models.Model):
    duplicate = models.ForeignKey(
        "tickets.Ticket", on_delete=models.PROTECT, related_name="merge_records"
    )
    original = models.ForeignKey("tickets.Ticket", on_delete=models.PROTECT, related_name="+")
    # The duplicate's status before the merge closed it, restored by unmerge.
    status_before = models.CharField(max_length=16)
    closed_at_before = models.DateTimeField(null=True, blank=True)
    # Identity ids: every follower/voter of the duplicate, and those the merge added to the
    # original (the others were already there and stay there).
    followers = models.JSONField(default=list)
    followers_added = models.JSONField(default=list)
    voters = models.JSONField(default=list)
    voters_added = models.JSONField(default=list)
    note = models.TextField(blank=True)
    merged_by = models.ForeignKey(
        "tickets.Identity", null=True, on_delete=models.PROTECT, related_name="+"
    )
    merged_at = models.DateTimeField(default=timezone.now)
    unmerged_by = models.ForeignKey(
        "tickets.Identity", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    unmerged_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        app_label = "tickets"
        ordering = ["-merged_at", "-id"]
        verbose_name = _("merge")
        verbose_name_plural = _("merges")
        constraints = [
            models.UniqueConstraint(
                fields=["duplicate"],
                condition=Q(unmerged_at__isnull=True),
                name="mergerecord_one_active_per_duplicate",
            )
        ]

    def __str__(self) -> str:
        return f"#{self.duplicate_id} → #{self.original_id}"
